"""Convening a vote and publishing its notice.

A draft vote gets its window, matters (with their documents) and tellers; `publish_vote_notice`
checks the matters (`notice_checks`), freezes the electorate and publishes the notice;
`cancel_vote` ends it.
"""

from collections import namedtuple
from datetime import timedelta

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from deliberation import rules
from deliberation.access import roles_in_estate, roles_of
from deliberation.audit import record_audit
from deliberation.delivery import queue_delivery
from deliberation.messages import Bilingual, Message
from deliberation.models import (
    AssemblyVote,
    Candidate,
    ConvenedBy,
    MatterKind,
    NoticeKind,
    VoteMatter,
    VoteStatus,
    VoteTeller,
)
from deliberation.notices import publish_notice
from deliberation.permissions import ALLOWED, may
from deliberation.services.votes.electorate import _freeze_electorate
from deliberation.services.votes.roles import (
    VoteError,
    _lock,
    _require,
    forget_tellers,
    vote_roles,
)
from deliberation.uploads import delete_private


def _check_window(community, opens_at, closes_at):
    if closes_at <= opens_at:
        raise VoteError(_("Voting must close after it opens."), code="window")
    length = closes_at - opens_at
    low, high = community.voting_window_min_days, community.voting_window_max_days
    if length < timedelta(days=low) or length > timedelta(days=high):
        raise VoteError(
            _("The voting window must last between %(low)s and %(high)s days.")
            % {"low": low, "high": high},
            code="window",
        )


def convene_vote(
    *,
    estate,
    title,
    opens_at,
    closes_at,
    by,
    description="",
    convened_by=ConvenedBy.COMMITTEE,
    allow_change=False,
    topic=None,
    previous_round=None,
):
    community = estate.community
    if not may(roles_in_estate(by, community, estate), "vote.convene"):
        raise PermissionDenied
    _check_window(community, opens_at, closes_at)
    with transaction.atomic():
        vote = AssemblyVote.objects.create(
            community=community,
            estate=estate,
            title=title,
            description=description,
            convened_by=convened_by,
            opens_at=opens_at,
            closes_at=closes_at,
            allow_change=allow_change,
            topic=topic,
            previous_round=previous_round,
            created_by=by,
        )
        record_audit(
            actor=by,
            verb="vote.convene",
            target=vote,
            community=community,
            data={
                "title": title,
                "estate": estate.pk,
                "opens_at": opens_at,
                "closes_at": closes_at,
            },
        )
    return vote


def add_matter(vote, *, code, title, by, text="", kind=MatterKind.ORDINARY, seats=1):
    if code not in rules.MATTERS:
        raise VoteError(_("Choose one of the nine matters of Civil Code art. 278."), code="code")
    if kind == MatterKind.ELECTION:
        if code != "elect_committee":
            raise VoteError(_("A committee election is voted under “elect the committee”."))
        if seats not in (3, 5, 7, 9, 11):
            raise VoteError(_("The committee has an odd number of seats, 5 to 11 (3 if small)."))
    elif kind == MatterKind.SELECTION:
        if code != "hire_property_manager":
            raise VoteError(_("A company selection is voted under “hire or dismiss”."))
        seats = 1
    else:
        seats = 1
    with transaction.atomic():
        vote = _lock(vote)
        if vote.status != VoteStatus.DRAFT:
            raise VoteError(
                _("The notice is published: nothing can be voted that was not in it."),
                code="noticed",
            )
        _require(by, vote, "vote.edit")
        position = (vote.matters.count() or 0) + 1
        matter = VoteMatter.objects.create(
            vote=vote, code=code, title=title, text=text, kind=kind, seats=seats, position=position
        )
        record_audit(
            actor=by,
            verb="vote.add_matter",
            target=vote,
            community=vote.community,
            data={"matter": matter.pk, "code": code, "title": title, "kind": kind, "seats": seats},
        )
    return matter


def _lock_draft_matter(matter, by):
    """The vote locked and the matter re-read under the lock, if `by` may still edit it."""
    vote = _lock(matter.vote)
    roles = vote_roles(by, vote)
    if not any(allowed & roles for allowed in ALLOWED["vote.edit"].values()):
        raise PermissionDenied
    if vote.status != VoteStatus.DRAFT:
        raise VoteError(
            _("The notice is published: its matters and their documents can no longer change."),
            code="noticed",
        )
    _require(by, vote, "vote.edit")
    matter = VoteMatter.objects.get(pk=matter.pk, vote=vote)
    matter.vote = vote
    return vote, matter


def attach_matter_document(matter, *, document, document_type, by):
    """Attach a stored document (deliberation.uploads.store_private) to a draft matter.

    A document attached before replaces the old one, whose file is deleted after commit. On a
    refusal nothing changes and the caller deletes the file it stored.
    """
    with transaction.atomic():
        vote, matter = _lock_draft_matter(matter, by)
        previous = matter.attachment
        matter.attachment = document
        matter.attachment_type = document_type
        matter.save(update_fields=["attachment", "attachment_type"])
        record_audit(
            actor=by,
            verb="vote.attach_document",
            target=vote,
            community=vote.community,
            data={
                "matter": matter.pk,
                "title": matter.title,
                "type": document_type,
                "replaced": bool(previous),
            },
        )
        if previous and previous != document:
            transaction.on_commit(lambda: delete_private(previous))
    return matter


def remove_matter_document(matter, *, by):
    """Take the document off a draft matter; its file is deleted after commit."""
    with transaction.atomic():
        vote, matter = _lock_draft_matter(matter, by)
        previous = matter.attachment
        if not previous:
            raise VoteError(_("This matter has no document attached."), code="no_document")
        matter.attachment = ""
        matter.attachment_type = ""
        matter.save(update_fields=["attachment", "attachment_type"])
        record_audit(
            actor=by,
            verb="vote.remove_document",
            target=vote,
            community=vote.community,
            data={"matter": matter.pk, "title": matter.title},
        )
        transaction.on_commit(lambda: delete_private(previous))
    return matter


def appoint_teller(vote, user, *, by):
    with transaction.atomic():
        vote = _lock(vote)
        _require(by, vote, "vote.appoint_teller")
        if not roles_of(user, vote.community_id):
            raise VoteError(_("A teller must be a member of this community."), code="teller")
        teller, created = VoteTeller.objects.get_or_create(
            vote=vote, user=user, defaults={"appointed_by": by}
        )
        forget_tellers(user)
        if created:
            record_audit(
                actor=by,
                verb="vote.appoint_teller",
                target=vote,
                community=vote.community,
                data={"user": user.pk},
            )
    return teller


class NoticeCheck(namedtuple("NoticeCheck", "matter qualified awaiting")):
    @property
    def short(self):
        """Fewer qualified candidates than seats."""
        return len(self.qualified) < self.matter.seats


def notice_checks(vote):
    """Per election or selection matter: its qualified candidates and those awaiting vetting.

    The manage page shows them before the notice; publish_vote_notice refuses while any
    candidate awaits vetting (the notice would silently leave them off the ballot) and asks for
    an explicit confirmation when fewer candidates qualified than there are seats.
    """
    checks = []
    matters = vote.matters.filter(kind__in=[MatterKind.ELECTION, MatterKind.SELECTION])
    for matter in matters.order_by("position").prefetch_related("candidates"):
        candidates = sorted(matter.candidates.all(), key=lambda c: c.pk)
        checks.append(
            NoticeCheck(
                matter,
                [c for c in candidates if c.vetting_result == Candidate.Vetting.APPROVED],
                [c for c in candidates if c.vetting_result == Candidate.Vetting.PENDING],
            )
        )
    return checks


def _check_candidates(vote, accept_short):
    """Refuse a notice that would drop candidates awaiting vetting or leave seats unconfirmed."""
    checks = notice_checks(vote)
    awaiting = [c for check in checks for c in check.awaiting]
    if awaiting:
        raise VoteError(
            _(
                "Candidates are still awaiting the eligibility review: %(names)s. Record a "
                "decision for each before publishing the notice, or they would not be on the "
                "ballot."
            )
            % {"names": "、".join(c.name for c in awaiting)},
            code="awaiting_vetting",
        )
    for check in checks:
        if not check.qualified:
            raise VoteError(
                _("“%(title)s” has no qualified candidate yet.") % {"title": check.matter.title}
            )
    short = [c for c in checks if c.short]
    if short and not accept_short:
        raise VoteError(
            " ".join(
                _(
                    "“%(title)s” has %(n)s qualified candidates for %(seats)s seats: seats left "
                    "empty go to a by-election. Confirm that the notice goes out with fewer "
                    "candidates than seats."
                )
                % {"title": c.matter.title, "n": len(c.qualified), "seats": c.matter.seats}
                for c in short
            ),
            code="short_ballot",
        )
    return [
        {"matter": c.matter.pk, "qualified": len(c.qualified), "seats": c.matter.seats}
        for c in short
    ]


def publish_vote_notice(vote, *, by, now=None, accept_short=False):
    """Publish the assembly notice and freeze the electorate; only what it lists can be voted.

    `accept_short`: the person confirmed publishing an election with fewer qualified candidates
    than seats (recorded in the audit entry)."""
    now = now or timezone.now()
    with transaction.atomic():
        vote = _lock(vote)
        if vote.status != VoteStatus.DRAFT:
            raise VoteError(_("The notice of this vote is already published."), code="published")
        _require(by, vote, "vote.publish_notice")
        community = vote.community
        matters = list(vote.matters.order_by("position"))
        if not matters:
            raise VoteError(_("Add at least one matter before publishing the notice."))
        short = _check_candidates(vote, accept_short)
        days = community.assembly_notice_days
        first_day = timezone.localdate(now)
        if (timezone.localdate(vote.opens_at) - first_day).days < days:
            raise VoteError(
                _(
                    "The notice must be published at least %(days)s days before voting opens: "
                    "move the opening to %(date)s or later."
                )
                % {"days": days, "date": date_format(first_day + timedelta(days=days))},
                code="notice_period",
            )
        _check_window(community, vote.opens_at, vote.closes_at)
        units = _freeze_electorate(vote, now)
        lines = [
            Message(
                gettext_noop(
                    "Voting from %(opens)s to %(closes)s, online, on paper or by written proxy."
                ),
                opens=vote.opens_at,
                closes=vote.closes_at,
            ),
            "",
        ]
        for matter in matters:
            lines.append(
                Message(
                    gettext_noop("%(position)s. %(title)s (%(rule)s)"),
                    position=matter.position,
                    title=matter.title,
                    rule=Bilingual(matter.rule.label_zh, matter.rule.label_en),
                )
            )
            if matter.text:
                lines.append(matter.text)
            if matter.attachment:
                lines.append(
                    Message(
                        gettext_noop(
                            "A document is attached to this matter: open it on the vote page."
                        )
                    )
                )
            for candidate in matter.candidates.filter(vetting_result=Candidate.Vetting.APPROVED):
                lines.append(f"  · {candidate.name}")
        notice = publish_notice(
            community=community,
            kind=NoticeKind.VOTE_NOTICE,
            title=Message(gettext_noop("Owners' assembly notice: %(title)s"), title=vote.title),
            body=lines,
            by=by,
            days=max((vote.closes_at - now).days + 1, 1),
            source=vote,
        )
        vote.status = VoteStatus.NOTICED
        vote.notice_published_at = now
        vote.notice = notice
        vote.save(update_fields=["status", "notice_published_at", "notice"])
        record_audit(
            actor=by,
            verb="vote.publish_notice",
            target=vote,
            community=community,
            data={
                "notice": notice.pk,
                "units": units,
                "matters": [m.pk for m in matters],
                **({"fewer_candidates_than_seats": short} if short else {}),
            },
        )
        # Served to every household of the estate (in the app, SMS, e-mail, paper) by the
        # task worker: the job is committed with the notice, so neither exists without the other.
        queue_delivery(notice, by=by)
    return vote


def cancel_vote(vote, *, by, reason):
    reason = (reason or "").strip()
    if not reason:
        raise VoteError(_("Give the reason for cancelling."), code="reason")
    with transaction.atomic():
        vote = _lock(vote)
        _require(by, vote, "vote.cancel")
        vote.status = VoteStatus.CANCELLED
        vote.save(update_fields=["status"])
        record_audit(
            actor=by,
            verb="vote.cancel",
            target=vote,
            community=vote.community,
            data={"reason": reason},
        )
    return vote
