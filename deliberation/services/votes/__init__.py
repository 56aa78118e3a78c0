"""Owners' assembly votes: convene, announce, cast on every channel, count, confirm, publish.

Public entry points for other features:

- ``cast_ballot(matter, holder, choice, *, by, channel, candidates=None, mandate=None)``: the one
  way a ballot is cast, whatever the channel (the live meeting calls it with
  ``channel=BallotChannel.MEETING``). Returns the Ballot with ``ballot.receipt_code`` set (the
  code is shown once; only its keyed hash is stored). Raises ``VoteError`` (a ValidationError
  whose message is ready for the user) when the ballot cannot be cast; nothing is saved then.
- ``result_context(vote)`` and ``ballot_sheets(vote)``: plain dicts and lists for the result
  announcement and the personalised paper ballots (PDF documents).
- ``vote_result_for_topic(topic)``: the latest published result of a topic's assembly vote.

Every count goes through deliberation.rules: this module only gathers, per head, the frozen
areas and the choices with aggregate queries, and stores what rules returns.
"""

import hashlib
from datetime import timedelta
from decimal import Decimal
from fractions import Fraction

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count, Exists, Max, OuterRef, Subquery, Sum
from django.utils import timezone
from django.utils.translation import get_language, gettext_lazy, gettext_noop
from django.utils.translation import gettext as _

from deliberation import rules
from deliberation.access import roles_in_estate
from deliberation.audit import record_audit
from deliberation.delivery import queue_delivery, queue_reminder
from deliberation.messages import Bilingual, Message
from deliberation.models import (
    AssemblyVote,
    Ballot,
    Candidate,
    CompanyApplication,
    ElectorateAmendment,
    ElectorateEntry,
    MatterKind,
    NoticeKind,
    PlanStatus,
    PropertySelectionPlan,
    ResultConfirmation,
    Role,
    VoteMatter,
    VoteResult,
    VoteStatus,
)
from deliberation.natural import natural_key
from deliberation.notices import notify, publish_notice
from deliberation.permissions import may
from deliberation.services.votes.casting import (
    RECEIPT_ALPHABET,
    cast_ballot,
    cast_ballots,
    new_receipt_code,
    own_ballots,
    receipt_hash,
    verify_receipt,
)
from deliberation.services.votes.convening import (
    NoticeCheck,
    add_matter,
    appoint_teller,
    attach_matter_document,
    cancel_vote,
    convene_vote,
    notice_checks,
    publish_vote_notice,
    remove_matter_document,
)
from deliberation.services.votes.counting import HeadHolding, count_matter, holdings_of, tally_vote
from deliberation.services.votes.elections import (
    _seat_new_committee,
    by_election_plan,
    register_candidate,
    start_by_election,
    vet_candidate,
)
from deliberation.services.votes.electorate import (
    _electorate_users,
    amend_electorate,
    head_for_holder,
)
from deliberation.services.votes.paper import (
    PAPER_DISAGREE,
    PAPER_REENTER,
    PAPER_SECOND,
    ballot_sheets,
    clear_paper_mismatch,
    enter_paper_ballot,
    find_paper_ballot,
    paper_ballot_status,
    paper_entry_refusal,
    paper_mismatches,
    paper_worklist,
)
from deliberation.services.votes.proxies import cast_as_instructed, register_mandate
from deliberation.services.votes.roles import (
    ORDINARY_CHOICES,
    VoteError,
    _lock,
    _require,
    head_of,
    is_teller,
    matters_of,
    may_vote_action,
    policy_for,
    read_vote_page,
    remember_teller,
    vote_roles,
    vote_with_teller,
    voter_of,
)
from deliberation.signals import vote_result_published

__all__ = [
    "HeadHolding",
    "NoticeCheck",
    "ORDINARY_CHOICES",
    "PAPER_DISAGREE",
    "PAPER_REENTER",
    "PAPER_SECOND",
    "RECEIPT_ALPHABET",
    "VERDICTS",
    "VoteError",
    "add_company_application",
    "add_matter",
    "amend_electorate",
    "appoint_teller",
    "approve_selection_plan",
    "attach_matter_document",
    "ballot_sheets",
    "building_breakdown",
    "by_election_plan",
    "cancel_vote",
    "candidate_result_label",
    "cast_as_instructed",
    "cast_ballot",
    "cast_ballots",
    "clear_paper_mismatch",
    "confirm_result",
    "confirmations_needed",
    "convene_vote",
    "count_matter",
    "create_selection_plan",
    "enter_paper_ballot",
    "find_paper_ballot",
    "head_for_holder",
    "head_of",
    "holdings_of",
    "is_teller",
    "matters_of",
    "may_vote_action",
    "new_receipt_code",
    "non_voters",
    "notice_checks",
    "own_ballots",
    "paper_ballot_status",
    "paper_entry_refusal",
    "paper_mismatches",
    "paper_worklist",
    "participation_gap",
    "policy_for",
    "publish_result",
    "publish_selection_plan",
    "publish_vote_notice",
    "published_verdict",
    "read_vote_page",
    "receipt_hash",
    "register_candidate",
    "register_mandate",
    "remember_teller",
    "remind_non_voters",
    "remove_matter_document",
    "result_context",
    "selection_round",
    "shortlist_application",
    "start_by_election",
    "start_selection_vote",
    "tally_vote",
    "turnout",
    "turnout_version",
    "verify_receipt",
    "vet_candidate",
    "vote_result_for_topic",
    "vote_roles",
    "vote_with_teller",
    "voter_of",
]


# ---------------------------------------------------------------------------------------------
# Roles and states


# ---------------------------------------------------------------------------------------------
# Convening and the notice


# ---------------------------------------------------------------------------------------------
# Ballots


# ---------------------------------------------------------------------------------------------
# Paper ballots: two tellers enter each one separately
#
# Closing time (docs/rules.md): a paper ballot handed in inside the voting window, with the time
# it was handed in recorded, may be entered (and its entries corrected) until the count starts;
# a ballot handed in at or after the close is never entered.


# ---------------------------------------------------------------------------------------------
# Proxies


# ---------------------------------------------------------------------------------------------
# Counting: aggregate queries over the snapshot, handed to the rules engine


def confirmations_needed(vote):
    return max(1, min(2, vote.tellers.count()))


def confirm_result(vote, *, by):
    with transaction.atomic():
        vote = _lock(vote)
        _require(by, vote, "vote.confirm")
        _row, created = ResultConfirmation.objects.get_or_create(vote=vote, teller=by)
        if not created:
            raise VoteError(_("You have already confirmed this count."), code="twice")
        record_audit(actor=by, verb="vote.confirm", target=vote, community=vote.community, data={})
    return vote


# What a published result says of each matter, by `passed` (None: not counted).
VERDICTS = {
    None: gettext_lazy("Not yet counted"),
    True: gettext_lazy("Passed"),
    False: gettext_lazy("Not passed"),
    # The vote did not stand: the approval figures decide nothing.
    "no_participation": gettext_lazy("Not passed: participation did not reach two thirds"),
}


def publish_result(vote, *, by):
    """Post the confirmed result on the notice board; elected members get the committee role."""
    with transaction.atomic():
        vote = _lock(vote)
        _require(by, vote, "vote.publish_result")
        needed = confirmations_needed(vote)
        if vote.confirmations.count() < needed:
            raise VoteError(
                _("%(n)s tellers must confirm the count before it is published.") % {"n": needed},
                code="unconfirmed",
            )
        now = timezone.now()
        context = result_context(vote)
        lines = []
        for item in context["matters"]:
            lines.append(
                Message(
                    gettext_noop("%(position)s. %(title)s: %(verdict)s"),
                    position=item["position"],
                    title=item["title"],
                    verdict=VERDICTS[
                        "no_participation"
                        if item["figures"].get("participation_met") is False
                        else item["passed"]
                    ],
                )
            )
            lines += [
                Message("  %(reason)s", reason=Bilingual(r["zh"], r["en"])) for r in item["reasons"]
            ]
        late = now > vote.closes_at + timedelta(days=vote.community.result_notice_days)
        notice = publish_notice(
            community=vote.community,
            kind=NoticeKind.VOTE_RESULT,
            title=Message(
                gettext_noop("Result of the owners' assembly vote: %(title)s"), title=vote.title
            ),
            body=lines,
            by=by,
            source=vote,
        )
        vote.status = VoteStatus.PUBLISHED
        vote.result_published_at = now
        vote.result_notice = notice
        vote.save(update_fields=["status", "result_published_at", "result_notice"])
        granted = _seat_new_committee(vote, by)
        record_audit(
            actor=by,
            verb="vote.publish_result",
            target=vote,
            community=vote.community,
            data={"notice": notice.pk, "late": late, "committee": granted},
        )
        # Served like the notice: every household, every channel, with proof.
        queue_delivery(notice, by=by)
        vote_result_published.send(AssemblyVote, vote=vote)  # its PDF, on a task worker
    return vote


# ---------------------------------------------------------------------------------------------
# During the window: turnout, non-voters, reminders


def turnout(vote):
    """Participation per matter against the 2/3 lines, computed by the rules engine.

    Choices are not exposed here: only who took part, by area and by head.
    """
    holdings = holdings_of(vote)
    rows = []
    for matter in vote.matters.order_by("position"):
        outcome = count_matter(matter, holdings)
        total_area = outcome.total_area
        area_share = Fraction(outcome.participating_area) / Fraction(total_area or 1)
        head_share = Fraction(outcome.participating_headcount, outcome.total_headcount or 1)
        area_met, heads_met = (r.met for r in outcome.reasons[:2])
        rows.append(
            {
                "matter": matter,
                "total_area": total_area,
                "total_headcount": outcome.total_headcount,
                "area": outcome.participating_area,
                "headcount": outcome.participating_headcount,
                "area_percent": _percent(area_share),
                "head_percent": _percent(head_share),
                "area_met": area_met,
                "heads_met": heads_met,
            }
        )
    return rows


def turnout_version(vote):
    """A short token that changes whenever the turnout figures can: a ballot cast or changed
    (ballots are never deleted, and a change stamps changed_at), or an amendment of the
    electorate. Two index-only aggregates, so a page that polls can ask "anything new?"
    without the count behind turnout()."""
    ballots = Ballot.objects.filter(vote=vote).aggregate(
        n=Count("pk"), last=Max("pk"), changed=Max("changed_at")
    )
    amended = ElectorateAmendment.objects.filter(vote=vote).aggregate(last=Max("pk"))
    raw = f"{ballots['n']}|{ballots['last']}|{ballots['changed']}|{amended['last']}"
    return hashlib.sha256(raw.encode()).hexdigest()[:16]


def _percent(share):
    """Share as a whole percent for a progress bar (display only; never used to decide)."""
    return min(100, int(share * 100))


def non_voters(vote, user):
    """Units whose holder has not voted on any matter; a grid worker sees only their grid."""
    voted = Ballot.objects.filter(vote=vote, head=OuterRef("head"))
    entries = (
        ElectorateEntry.objects.filter(vote=vote).exclude(Exists(voted)).order_by("sort_key", "pk")
    )
    roles = vote_roles(user, vote)
    if not (roles & {Role.COMMITTEE, Role.COMMUNITY_WORKER, Role.PARTY_SECRETARY}):
        buildings = user.grids.filter(community=vote.community).values("buildings")
        entries = entries.filter(building_id__in=buildings)
    return entries


def remind_non_voters(vote, *, by):
    with transaction.atomic():
        vote = _lock(vote)
        _require(by, vote, "vote.remind")
        non_voting = set(non_voters(vote, by).values_list("head", flat=True))
        users = _electorate_users(vote, non_voting)
        record_audit(
            actor=by,
            verb="vote.remind",
            target=vote,
            community=vote.community,
            data={"reminded": len(users)},
        )
        heads, area = participation_gap(vote)
        unit_ids = ElectorateEntry.objects.filter(vote=vote, head__in=non_voting).values_list(
            "unit_id", flat=True
        )
        # And by SMS to every household that has not voted, account or not (the task worker).
        queue_reminder(vote, unit_ids=set(unit_ids), heads=heads, area=area, by=by)
        if heads or area:
            text = Message(
                gettext_noop(
                    "You have not voted yet in “%(title)s”. Voting closes on %(time)s. "
                    "%(heads)s owners / %(area)s m² more are needed to reach two thirds."
                ),
                title=vote.title,
                time=vote.closes_at,
                heads=f"{heads:,}",
                area=f"{area:,}",
            )
        else:
            text = Message(
                gettext_noop("You have not voted yet in “%(title)s”. Voting closes on %(time)s."),
                title=vote.title,
                time=vote.closes_at,
            )
        notify(users, text, vote.get_absolute_url())
    return len(users)


def participation_gap(vote):
    """The distance to the 2/3 participation lines (heads, area) of the matter furthest from
    them, by the rules engine; reminders state it and never reveal a choice."""
    heads, area = 0, Decimal("0.00")
    for row in turnout(vote):
        h, a = rules.quorum_gap(
            row["total_area"], row["total_headcount"], row["area"], row["headcount"]
        )
        heads, area = max(heads, h), max(area, a)
    return heads, area


# ---------------------------------------------------------------------------------------------
# Plain data for documents, exports and other features


def _failed_participation(result):
    return result is not None and result.figures.get("participation_met") is False


def _verdict_of(result):
    """The verdict words for a stored result (None: not counted yet)."""
    if result is None:
        return _("Not yet counted")
    if _failed_participation(result):
        # The vote did not stand: say so, rather than let the approval figures speak.
        return _("Not passed: participation did not reach two thirds")
    return _("Passed") if result.passed else _("Not passed")


def published_verdict(matter):
    """The published art. 278 result of one matter, for other features (the live room, the
    minutes): {"passed", "verdict", "vote_id", "vote_title"}, or None until it is published."""
    vote = matter.vote
    result = VoteResult.objects.filter(matter=matter).first()
    if vote.status != VoteStatus.PUBLISHED or result is None:
        return None
    return {
        "passed": result.passed,
        "verdict": _verdict_of(result),
        "vote_id": vote.pk,
        "vote_title": vote.title,
    }


def candidate_result_label(candidate, figures, failed_participation=False):
    """What the count made of one candidate (or firm), in the reader's language."""
    outcome = candidate.get("outcome")
    if not outcome:  # counted before outcomes were stored
        name = candidate.get("name")
        if failed_participation:
            outcome = "no_participation"
        elif name in (figures.get("elected") or []):
            outcome = "elected"
        elif name in (figures.get("alternates") or []):
            outcome = "alternate"
        else:
            outcome = "passed" if candidate.get("qualified") else "below_half"
    labels = {
        "elected": _("Elected"),
        "alternate": _("Alternate member"),
        "tied": _("Tied: a revote decides"),
        "passed": _("Passed, not elected"),
        "below_half": _("Not elected: did not win more than half"),
        "no_participation": _("Not elected: participation not reached"),
    }
    return labels.get(outcome, "")


def result_context(vote):
    """The published (or counted) result as plain data, for the announcement PDF and pages."""
    matters = []
    for matter in vote.matters.order_by("position").select_related("result"):
        result = getattr(matter, "result", None)
        item = {
            "position": matter.position,
            "title": matter.title,
            "code": matter.code,
            "rule_zh": matter.rule.label_zh,
            "rule_en": matter.rule.label_en,
            "kind": matter.kind,
            "seats": matter.seats,
            "counted": result is not None,
            "passed": None if result is None else result.passed,
            "figures": {} if result is None else result.figures,
            "reasons": [] if result is None else result.reasons,
        }
        failed_participation = _failed_participation(result)
        item["verdict"] = _verdict_of(result)
        item["failed_participation"] = failed_participation
        lang_zh = (get_language() or settings.LANGUAGE_CODE).startswith("zh")
        item["reason_lines"] = [r["zh"] if lang_zh else r["en"] for r in item["reasons"]]
        item["participation_lines"] = [
            {"text": r["zh"] if lang_zh else r["en"], "met": r["met"]}
            for r in item["reasons"]
            if r.get("code") in ("participation_area", "participation_headcount")
        ]
        figures = item["figures"]
        if figures.get("candidates"):
            item["figures"] = {
                **figures,
                "candidates": [
                    {**c, "result": candidate_result_label(c, figures, failed_participation)}
                    for c in figures["candidates"]
                ],
            }
        matters.append(item)
    return {
        "vote": {
            "id": vote.pk,
            "title": vote.title,
            "estate": vote.estate.name,
            "community": vote.community.name,
            "opens_at": vote.opens_at,
            "closes_at": vote.closes_at,
            "counted_at": vote.counted_at,
            "published_at": vote.result_published_at,
            "status": vote.status,
        },
        "matters": matters,
        "confirmed_by": [
            c.teller.display_name for c in vote.confirmations.select_related("teller")
        ],
    }


def building_breakdown(vote):
    """Per building and matter: units and area by choice, by aggregate query (for the xlsx)."""
    rows = []
    for matter in vote.matters.order_by("position"):
        per = (
            ElectorateEntry.objects.filter(vote=vote)
            .annotate(
                choice=_subquery_choice(matter),
            )
            .values("building_name", "choice")
            .annotate(units=Count("pk"), area=Sum("area"))
            .order_by("building_name", "choice")
        )
        rows.append(
            (
                matter,
                sorted(per, key=lambda r: (natural_key(r["building_name"]), r["choice"] or "")),
            )
        )
    return rows


def _subquery_choice(matter):
    return Subquery(
        Ballot.objects.filter(matter=matter, head=OuterRef("head")).values("choice")[:1]
    )


def vote_result_for_topic(topic):
    """The latest published assembly vote of a topic as result_context(), or None."""
    vote = (
        AssemblyVote.objects.filter(topic=topic, status=VoteStatus.PUBLISHED)
        .select_related("estate", "community")
        .order_by("-result_published_at")
        .first()
    )
    return None if vote is None else result_context(vote)


# ---------------------------------------------------------------------------------------------
# Property-company selection (物业选聘)


def _require_plan(by, plan):
    if not may(roles_in_estate(by, plan.community_id, plan.estate_id), "selection.plan"):
        raise PermissionDenied


def create_selection_plan(
    *, estate, title, scope, service_standard, price_min, price_max, method, by
):
    community = estate.community
    if not may(roles_in_estate(by, community, estate), "selection.plan"):
        raise PermissionDenied
    if price_max < price_min:
        raise VoteError(_("The highest price must not be below the lowest."), code="price")
    with transaction.atomic():
        plan = PropertySelectionPlan.objects.create(
            community=community,
            estate=estate,
            title=title,
            scope=scope,
            service_standard=service_standard,
            price_min=price_min,
            price_max=price_max,
            method=method,
            created_by=by,
        )
        record_audit(
            actor=by, verb="selection.plan", target=plan, community=community, data={"title": title}
        )
    return plan


def _move_plan(plan, *, by, expected, to, verb, data=None):
    with transaction.atomic():
        plan = PropertySelectionPlan.objects.select_for_update().get(pk=plan.pk)
        _require_plan(by, plan)
        if plan.status not in expected:
            raise VoteError(
                _("The plan is “%(status)s”; this step is not possible now.")
                % {"status": PlanStatus(plan.status).label},
                code="plan_state",
            )
        plan.status = to
        fields = ["status"]
        now = timezone.now()
        if to == PlanStatus.APPROVED:
            plan.approved_by, plan.approved_at = by, now
            fields += ["approved_by", "approved_at"]
        if to == PlanStatus.PUBLISHED:
            plan.published_at = now
            fields.append("published_at")
        plan.save(update_fields=fields)
        record_audit(actor=by, verb=verb, target=plan, community=plan.community_id, data=data or {})
    return plan


def approve_selection_plan(plan, *, by, basis):
    """Record the plan's approval (the assembly decision or the committee minute it rests on)."""
    basis = (basis or "").strip()
    if not basis:
        raise VoteError(_("Say what the approval rests on (the vote or the minutes)."))
    return _move_plan(
        plan,
        by=by,
        expected=(PlanStatus.DRAFT,),
        to=PlanStatus.APPROVED,
        verb="selection.approve",
        data={"basis": basis},
    )


def publish_selection_plan(plan, *, by):
    plan = _move_plan(
        plan,
        by=by,
        expected=(PlanStatus.APPROVED,),
        to=PlanStatus.PUBLISHED,
        verb="selection.publish",
    )
    publish_notice(
        community=plan.community,
        kind=NoticeKind.OTHER,
        title=Message(gettext_noop("Property company selection plan: %(title)s"), title=plan.title),
        body=[
            plan.scope,
            plan.service_standard,
            Message(
                gettext_noop("Price range: %(low)s–%(high)s yuan per m² per month"),
                low=str(plan.price_min),
                high=str(plan.price_max),
            ),
        ],
        by=by,
        source=plan,
    )
    return plan


def add_company_application(
    plan, *, company_name, licence, price, service_plan, by, attachment="", attachment_type=""
):
    with transaction.atomic():
        plan = PropertySelectionPlan.objects.select_for_update().get(pk=plan.pk)
        _require_plan(by, plan)
        if plan.status != PlanStatus.PUBLISHED:
            raise VoteError(_("Applications are taken only while the plan is published."))
        if not plan.price_min <= price <= plan.price_max:
            raise VoteError(
                _("The price must be within the plan's range, %(low)s–%(high)s.")
                % {"low": plan.price_min, "high": plan.price_max},
                code="price",
            )
        if plan.applications.filter(company_name=company_name).exists():
            raise VoteError(_("This company has already applied."))
        application = CompanyApplication.objects.create(
            plan=plan,
            company_name=company_name,
            licence=licence,
            price=price,
            service_plan=service_plan,
            attachment=attachment,
            attachment_type=attachment_type,
            entered_by=by,
        )
        record_audit(
            actor=by,
            verb="selection.apply",
            target=plan,
            community=plan.community_id,
            data={"application": application.pk, "company": company_name, "price": price},
        )
    return application


def selection_round(plan):
    """Where the plan's assembly vote stands: ("none", None) before any vote, ("voting", vote)
    while a round is prepared, open or counted, ("chosen", name) once a published result hired
    a company, ("no_majority", vote) when the published round chose none, so the next round,
    a run-off or a new shortlist, is due (DOMAIN.md §5.4)."""
    vote = plan.vote
    if vote is None:
        return "none", None
    if vote.status != VoteStatus.PUBLISHED:
        return "voting", vote
    result = VoteResult.objects.filter(matter__vote=vote).first()
    elected = result.figures.get("elected", []) if result is not None else []
    if result is not None and result.passed and elected:
        return "chosen", elected[0]
    return "no_majority", vote


def shortlist_application(application, *, shortlisted, reason, by):
    reason = (reason or "").strip()
    if not reason:
        raise VoteError(_("Give the reason for the shortlist decision."), code="reason")
    with transaction.atomic():
        plan = PropertySelectionPlan.objects.select_for_update().get(pk=application.plan_id)
        _require_plan(by, plan)
        between_rounds = (
            plan.status == PlanStatus.VOTING and selection_round(plan)[0] == "no_majority"
        )
        if plan.status not in (PlanStatus.PUBLISHED, PlanStatus.SHORTLISTED) and not (
            between_rounds
        ):
            raise VoteError(
                _(
                    "The shortlist is drawn after the plan is published, and redrawn only "
                    "after a round in which no company reached the majority."
                )
            )
        application.shortlisted = shortlisted
        application.shortlist_reason = reason
        application.save(update_fields=["shortlisted", "shortlist_reason"])
        record_audit(
            actor=by,
            verb="selection.shortlist",
            target=plan,
            community=plan.community_id,
            data={"application": application.pk, "shortlisted": shortlisted, "reason": reason},
        )
    return application


def start_selection_vote(plan, *, by, opens_at, closes_at):
    """Put the shortlisted companies to an assembly vote (seats=1); also the next round."""
    with transaction.atomic():
        plan = (
            PropertySelectionPlan.objects.select_for_update()
            .select_related("estate")
            .get(pk=plan.pk)
        )
        _require_plan(by, plan)
        previous = plan.vote
        if previous is not None:
            result = VoteResult.objects.filter(matter__vote=previous).first()
            if previous.status != VoteStatus.PUBLISHED or (result and result.passed):
                raise VoteError(
                    _("A new round opens only after a published result with no company chosen.")
                )
        elif plan.status not in (PlanStatus.PUBLISHED, PlanStatus.SHORTLISTED):
            raise VoteError(_("Publish the plan and shortlist companies first."))
        chosen = list(plan.applications.filter(shortlisted=True).order_by("pk"))
        if not chosen:
            raise VoteError(_("Shortlist at least one company first."), code="empty")
        round_no = plan.round + (1 if previous is not None else 0)
        vote = convene_vote(
            estate=plan.estate,
            title=_("%(title)s (round %(n)s)") % {"title": plan.title, "n": round_no},
            opens_at=opens_at,
            closes_at=closes_at,
            by=by,
            previous_round=previous,
        )
        matter = VoteMatter.objects.create(
            vote=vote,
            code="hire_property_manager",
            kind=MatterKind.SELECTION,
            title=_("Hire the property-service company"),
            text=plan.scope,
            seats=1,
            position=1,
        )
        for application in chosen:
            Candidate.objects.create(
                matter=matter,
                name=application.company_name,
                nominated_by=Candidate.Nomination.SELECTION,
                profile=_("%(price)s yuan/m²/month. %(plan)s")
                % {"price": application.price, "plan": application.service_plan},
                vetting_result=Candidate.Vetting.APPROVED,
                vetting_reasons=application.shortlist_reason,
                registered_by=by,
            )
        plan.vote = vote
        plan.round = round_no
        plan.status = PlanStatus.VOTING
        plan.save(update_fields=["vote", "round", "status"])
        record_audit(
            actor=by,
            verb="selection.vote",
            target=plan,
            community=plan.community_id,
            data={"vote": vote.pk, "round": round_no},
        )
    return vote
