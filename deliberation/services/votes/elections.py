"""Committee elections: candidates and their vetting, the new committee seated when a result is
published, and a by-election (or revote of a tie) for the seats a result left open."""

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from deliberation.audit import record_audit
from deliberation.models import (
    AssemblyVote,
    Candidate,
    Holder,
    MatterKind,
    Membership,
    Role,
    VoteMatter,
    VoteResult,
    VoteStatus,
)
from deliberation.permissions import may
from deliberation.services.votes.convening import convene_vote
from deliberation.services.votes.roles import VoteError, _lock, _require, vote_roles


def register_candidate(
    matter,
    *,
    name,
    nominated_by,
    by,
    holder=None,
    nominators=0,
    party_member=False,
    profile="",
):
    if not matter.is_election:
        raise VoteError(_("Candidates stand only in an election or a selection."))
    with transaction.atomic():
        vote = _lock(matter.vote)
        _require(by, vote, "vote.nominate")
        needed = vote.community.owner_nominators_needed  # a local rule (DOMAIN.md §4)
        if nominated_by == Candidate.Nomination.OWNERS and nominators < needed:
            raise VoteError(
                _("A nomination by owners needs at least %(n)s owners.") % {"n": needed},
                code="nominators",
            )
        roles = vote_roles(by, vote)
        if nominated_by == Candidate.Nomination.SELF:
            holder = (
                Holder.objects.filter(user=by, community=vote.community, ownerships__isnull=False)
                .distinct()
                .first()
            )
            if holder is None:
                raise VoteError(_("Only an owner may nominate themself."), code="not_owner")
            name = holder.name
        elif not may(roles, "vote.vet", vote.state):
            # Owners may nominate only themselves; other nominations are entered by the runners.
            raise PermissionDenied
        if Candidate.objects.filter(matter=matter, name=name).exists():
            raise VoteError(_("%(name)s is already a candidate.") % {"name": name})
        candidate = Candidate.objects.create(
            matter=matter,
            name=name,
            holder=holder,
            nominated_by=nominated_by,
            nominators=nominators,
            party_member=party_member,
            profile=profile,
            registered_by=by,
        )
        record_audit(
            actor=by,
            verb="vote.candidate",
            target=vote,
            community=vote.community,
            data={"candidate": candidate.pk, "name": name, "nominated_by": nominated_by},
        )
    return candidate


def vet_candidate(candidate, *, result, by, reasons="", party_opinion=""):
    reasons, party_opinion = reasons.strip(), party_opinion.strip()
    if result == Candidate.Vetting.REJECTED and not reasons:
        raise VoteError(_("Give the reasons a candidate does not qualify."), code="reasons")
    if result not in (Candidate.Vetting.APPROVED, Candidate.Vetting.REJECTED):
        raise VoteError(_("Choose qualified or not qualified."))
    with transaction.atomic():
        vote = _lock(candidate.matter.vote)
        _require(by, vote, "vote.vet")
        candidate = Candidate.objects.select_for_update().get(pk=candidate.pk)
        candidate.vetting_result = result
        candidate.vetting_reasons = reasons
        candidate.party_opinion = party_opinion
        candidate.vetted_by = by
        candidate.save(
            update_fields=["vetting_result", "vetting_reasons", "party_opinion", "vetted_by"]
        )
        record_audit(
            actor=by,
            verb="vote.vet",
            target=vote,
            community=vote.community,
            data={"candidate": candidate.pk, "result": result, "reasons": reasons},
        )
    return candidate


def _seat_new_committee(vote, by):
    granted = []
    for matter in vote.matters.filter(kind=MatterKind.ELECTION).select_related("result"):
        result = getattr(matter, "result", None)
        if result is None or not result.passed:
            continue
        elected = result.figures.get("elected", [])
        for candidate in matter.candidates.filter(name__in=elected, holder__user__isnull=False):
            user_id = candidate.holder.user_id
            _row, created = Membership.objects.get_or_create(
                user_id=user_id, community=vote.community, role=Role.COMMITTEE, estate=vote.estate
            )
            if created:
                granted.append(user_id)
    return granted


def by_election_plan(matter):
    """(seats to fill, candidates who stood and were not elected) after a published result:
    what a by-election on `matter` starts with."""
    result = getattr(matter, "result", None)
    figures = result.figures if result is not None else {}
    seats = figures.get("vacancies", 0) + figures.get("undecided_seats", 0)
    if matter.kind == MatterKind.SELECTION and not figures.get("elected"):
        seats = 1
    done = set(figures.get("elected", [])) | set(figures.get("alternates", []))
    standing = [
        c
        for c in matter.candidates.filter(vetting_result=Candidate.Vetting.APPROVED).order_by("pk")
        if c.name not in done
    ]
    return seats, standing


def start_by_election(vote, matter, *, by, opens_at, closes_at, title=None):
    """Open a draft by-election (or revote of a tie) for the seats the result left open.

    It starts with those seats and every qualified candidate who stood and was not elected.
    Tied candidates keep their vetting (the revote of a tie); the others stand again only once
    the vetting confirms they still qualify and stand, so each is carried over awaiting it
    (the notice waits for that decision, see publish_vote_notice)."""
    vote = AssemblyVote.objects.select_related("community", "estate").get(pk=vote.pk)
    result = VoteResult.objects.filter(matter=matter, matter__vote=vote).first()
    if vote.status != VoteStatus.PUBLISHED or result is None or not matter.is_election:
        raise VoteError(_("A by-election follows a published election result."))
    _require(by, vote, "vote.by_election", vote.state)
    if matter.kind == MatterKind.SELECTION and vote.selection_plans.exists():
        raise VoteError(
            _("The next round of a company selection is drafted from its selection plan."),
            code="plan",
        )
    figures = result.figures
    seats, standing = by_election_plan(matter)
    if seats < 1:
        raise VoteError(_("Every seat was filled; no by-election is needed."), code="full")
    tied = {name for group in figures.get("ties", []) for name in group}
    with transaction.atomic():
        new_vote = convene_vote(
            estate=vote.estate,
            title=title or _("By-election: %(title)s") % {"title": vote.title},
            opens_at=opens_at,
            closes_at=closes_at,
            by=by,
            convened_by=vote.convened_by,
            previous_round=vote,
            topic=vote.topic,
        )
        new_matter = VoteMatter.objects.create(
            vote=new_vote,
            code=matter.code,
            kind=matter.kind,
            title=matter.title,
            text=matter.text,
            seats=seats if matter.kind == MatterKind.ELECTION else 1,
            position=1,
        )
        # A by-election fills any number of seats; the odd 5-11 rule is for a whole term.
        for candidate in standing:
            confirmed = candidate.name in tied
            Candidate.objects.create(
                matter=new_matter,
                name=candidate.name,
                holder=candidate.holder,
                nominated_by=candidate.nominated_by,
                nominators=candidate.nominators,
                party_member=candidate.party_member,
                profile=candidate.profile,
                vetting_result=(
                    candidate.vetting_result if confirmed else Candidate.Vetting.PENDING
                ),
                vetting_reasons=candidate.vetting_reasons if confirmed else "",
                party_opinion=candidate.party_opinion if confirmed else "",
                vetted_by=candidate.vetted_by if confirmed else None,
                application=None,
                registered_by=by,
            )
        record_audit(
            actor=by,
            verb="vote.by_election",
            target=vote,
            community=vote.community,
            data={
                "new_vote": new_vote.pk,
                "seats": seats,
                "tied": sorted(tied),
                "carried_over": [c.name for c in standing],
            },
        )
    return new_vote
