"""Counting: aggregate queries over the snapshot, handed to the rules engine.

Every count goes through deliberation.rules: this module only gathers, per head, the frozen
areas and the choices with aggregate queries (`count_matter`), and `tally_vote` stores what
rules returns.
"""

from collections import namedtuple
from decimal import Decimal

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from deliberation import rules
from deliberation.audit import record_audit
from deliberation.models import (
    Ballot,
    BallotChoice,
    BallotSelection,
    Candidate,
    ElectorateHead,
    ResultConfirmation,
    VoteResult,
    VoteState,
    VoteStatus,
)
from deliberation.services.votes.paper import _paper_pending_error, paper_worklist
from deliberation.services.votes.roles import VoteError, _lock, _require, _when, policy_for


def holdings_of(vote):
    """One rules.Holding per head, its frozen area summed in the database."""
    return _heads_and_choices(vote, None)[0]


def _heads_and_choices(vote, matter):
    """(holdings, {head: choice}) from the frozen per-head totals, in one query.

    Each head's area was summed when the electorate was frozen (ElectorateHead, in integer
    hundredths); its choice on `matter` is joined in (the unique constraint makes it at most
    one). Raw SQL skips the ORM's per-row conversions, which at 10,000 units cost more than the
    count itself (bench/tally.py).
    """
    heads = ElectorateHead._meta.db_table
    ballots = Ballot._meta.db_table
    if matter is None:
        sql = f"SELECT h.head, h.area_hundredths, NULL FROM {heads} h WHERE h.vote_id = %s"  # noqa: S608
        params = [vote.pk]
    else:
        sql = (
            f"SELECT h.head, h.area_hundredths, b.choice FROM {heads} h "  # noqa: S608
            f"LEFT JOIN {ballots} b ON b.matter_id = %s AND b.head = h.head "
            "WHERE h.vote_id = %s"
        )
        params = [matter.pk, vote.pk]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    holdings = []
    choices = {}
    decimals = {}
    for head, hundredths, choice in rows:
        area = decimals.get(hundredths)
        if area is None:
            area = decimals[hundredths] = Decimal(hundredths).scaleb(-2)
        holdings.append(HeadHolding(head, area, head))
        if choice is not None:
            choices[head] = choice
    return holdings, choices


# rules reads a holding's .unit, .area and .holder only; a named tuple with those fields is
# built in a fraction of the time of the frozen dataclass, which matters at 10,000 heads.
HeadHolding = namedtuple("HeadHolding", ["unit", "area", "holder"])


def _election_ballots(matter):
    names = dict(matter.candidates.values_list("pk", "name"))
    ballots = {}
    spoiled = []
    for head, choice in Ballot.objects.filter(matter=matter).values_list("head", "choice"):
        if choice == BallotChoice.SPOILED:
            spoiled.append(head)
        else:
            ballots[head] = []
    for head, candidate_id in BallotSelection.objects.filter(ballot__matter=matter).values_list(
        "ballot__head", "candidate_id"
    ):
        ballots[head].append(names[candidate_id])
    approved = list(
        matter.candidates.filter(vetting_result=Candidate.Vetting.APPROVED)
        .order_by("pk")
        .values_list("name", flat=True)
    )
    # rules.elect treats a ballot naming someone twice as spoiled but participating: that is
    # exactly what a spoiled paper ballot is, so it is passed on in that form.
    for head in spoiled:
        ballots[head] = [approved[0], approved[0]]
    return ballots, approved


def count_matter(matter, holdings=None):
    """The rules engine's answer for one matter from the current ballots (nothing stored)."""
    vote = matter.vote
    policy = policy_for(vote.community, matter)
    if matter.is_election:
        holdings = holdings if holdings is not None else holdings_of(vote)
        ballots, approved = _election_ballots(matter)
        return rules.elect(holdings, ballots, approved, matter.seats, policy)
    holdings, ballots = _heads_and_choices(vote, matter)
    return rules.decide(matter.code, holdings, ballots, policy)


def _reasons(outcome):
    return [{"code": r.code, "zh": r.zh, "en": r.en, "met": r.met} for r in outcome.reasons]


def _figures(outcome):
    def d(value):
        return str(value) if isinstance(value, Decimal) else value

    if isinstance(outcome, rules.ElectionResult):
        return {
            "kind": "election",
            "seats": outcome.seats,
            "total_area": d(outcome.total_area),
            "total_headcount": outcome.total_headcount,
            "participating_area": d(outcome.participating_area),
            "participating_headcount": outcome.participating_headcount,
            "participation_met": outcome.participation_met,
            "spoiled_area": d(outcome.spoiled_area),
            "spoiled_headcount": outcome.spoiled_headcount,
            "elected": list(outcome.elected),
            "alternates": list(outcome.alternates),
            "vacancies": outcome.vacancies,
            "undecided_seats": outcome.undecided_seats,
            "ties": [list(t) for t in outcome.ties],
            "alternate_ties": [list(t) for t in outcome.alternate_ties],
            "committee_valid": outcome.committee_valid,
            "candidates": [
                {
                    "name": c.name,
                    "area": d(c.area),
                    "headcount": c.headcount,
                    "area_met": c.area_met,
                    "headcount_met": c.headcount_met,
                    "qualified": c.qualified,
                    "outcome": c.outcome,
                }
                for c in outcome.counts.values()
            ],
        }
    figures = {
        "kind": "decision",
        **{
            name: d(getattr(outcome, name))
            for name in (
                "total_area",
                "total_headcount",
                "participating_area",
                "participating_headcount",
                "participation_met",
                "yes_area",
                "yes_headcount",
                "no_area",
                "no_headcount",
                "abstain_area",
                "abstain_headcount",
                "spoiled_area",
                "spoiled_headcount",
                "non_voting_area",
                "non_voting_headcount",
                "approval_met",
                "passed",
                "depends_on_deemed",
            )
        },
    }
    if outcome.deemed is not None:
        figures["deemed"] = {
            "passed": outcome.deemed.passed,
            "deemed_area": d(outcome.deemed.deemed_area),
            "deemed_headcount": outcome.deemed.deemed_headcount,
            "reasons": [{"zh": r.zh, "en": r.en, "met": r.met} for r in outcome.deemed.reasons],
        }
    return figures


def _passed(outcome):
    if isinstance(outcome, rules.ElectionResult):
        if outcome.seats == 1:
            return bool(outcome.elected)
        return outcome.committee_valid and outcome.participation_met
    return outcome.passed


def tally_vote(vote, *, by):
    """Count every matter after closing and store the results; tellers then confirm."""
    with transaction.atomic():
        vote = _lock(vote)
        state = vote.state
        if state not in (VoteState.CLOSED, VoteState.COUNTED):
            if state in (VoteState.OPEN, VoteState.NOTICED, VoteState.DRAFT):
                raise VoteError(
                    _("The count starts after voting closes on %(time)s.")
                    % {"time": _when(vote.closes_at)},
                    code="not_closed",
                )
            raise VoteError(_("This vote can no longer be counted."), code="done")
        _require(by, vote, "vote.tally", state)
        worklist = paper_worklist(vote)
        if worklist:
            raise _paper_pending_error(worklist)
        holdings = holdings_of(vote)
        now = timezone.now()
        summary = {}
        for matter in vote.matters.order_by("position"):
            outcome = count_matter(matter, holdings)
            VoteResult.objects.update_or_create(
                matter=matter,
                defaults={
                    "passed": _passed(outcome),
                    "figures": _figures(outcome),
                    "reasons": _reasons(outcome),
                    "computed_at": now,
                    "computed_by": by,
                },
            )
            summary[matter.pk] = _passed(outcome)
        ResultConfirmation.objects.filter(vote=vote).delete()  # a recount needs new confirmations
        vote.status = VoteStatus.COUNTED
        vote.counted_at = now
        vote.save(update_fields=["status", "counted_at"])
        record_audit(
            actor=by,
            verb="vote.tally",
            target=vote,
            community=vote.community,
            data={"passed": summary},
        )
    return vote
