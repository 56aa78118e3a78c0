"""Meeting operations: one function per command, each one transaction with its audit entry.

Every room command locks the meeting row, re-checks the caller's seat and role under the lock,
changes the rows, appends a RoomEvent and an audit entry, and queues the broadcast of the
changed room sections with `transaction.on_commit`, so nobody sees a rolled-back change.
Commands name their target (the item, the hand, the vote) rather than "the current one", so
a replayed or out-of-order command finds its target already moved on and changes nothing.
"""

import hashlib
import json
from datetime import datetime, time, timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction
from django.db.models import Count, F, Max, Q
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import get_language, gettext_lazy, gettext_noop
from django.utils.translation import gettext as _

from deliberation import rules
from deliberation.audit import record_audit
from deliberation.delivery import queue_corrections, queue_delivery
from deliberation.messages import Message
from deliberation.models import NoticeKind
from deliberation.notices import notify, publish_notice
from deliberation.templatetags.gongyi import cn_deadline
from meetings import delivery
from meetings.access import may_in, participant_of
from meetings.models import (
    HEARING_ORDER,
    AgendaItem,
    CheckinMethod,
    CorrectionStatus,
    EntryKind,
    HearingStage,
    ItemStatus,
    Kind,
    LiveChoice,
    LiveVote,
    LiveVoteKind,
    LiveVoteResponse,
    LiveVoteStatus,
    Meeting,
    MinutesCorrection,
    MinutesEntry,
    Participant,
    RoomEvent,
    Signature,
    SignatureMethod,
    SpeakerRequest,
    SpeakerStatus,
    Status,
)
from meetings.signals import record_published, room_changed, seats_changed

# Room sections, each one element the htmx ws extension swaps by id.
STATUS, AGENDA, QUEUE, VOTE, ATTENDANCE, MINUTES = (
    "status",
    "agenda",
    "queue",
    "vote",
    "attendance",
    "minutes",
)
# The open item's opinion map (meetings.opinion_room): with every agenda move, and on its own
# when the task queue has drawn the topic's map again.
OPINIONS = "opinions"
ALL_SECTIONS = (STATUS, OPINIONS, AGENDA, QUEUE, VOTE, ATTENDANCE, MINUTES)
# Moving through the agenda leaves attendance alone; its chair's list grows with the room.
AGENDA_SECTIONS = (STATUS, OPINIONS, AGENDA, QUEUE, VOTE, MINUTES)


class RoomError(ValidationError):
    """A command that cannot run in the room's present state; the message says why."""


# ---------------------------------------------------------------- plumbing


def _lock(meeting_id):
    return Meeting.objects.select_for_update().select_related("community").get(pk=meeting_id)


def _require(user, meeting, action):
    if not may_in(user, meeting, action):
        raise PermissionDenied


def _commit(meeting, actor, command, data=None, sections=ALL_SECTIONS, *, notice=None, soon=False):
    """Record the event and audit entry, bump the version, broadcast after commit.

    `soon`: the sections may wait a moment for those of similar commands (the casts of a live
    vote) and go in one broadcast (meetings.rendering.broadcast_soon); the notice goes at once.
    The rendering hears it through meetings.signals.room_changed.
    """
    data = json.loads(json.dumps(data or {}, cls=DjangoJSONEncoder))
    meeting.version = F("version") + 1
    meeting.save(update_fields=["version"])
    meeting.refresh_from_db(fields=["version"])
    RoomEvent.objects.create(
        meeting=meeting, actor=actor, command=command, data=data, version=meeting.version
    )
    record_audit(
        actor=actor,
        verb=f"meeting.{command}",
        target=meeting,
        data=data,
        community=meeting.community_id,
    )
    if sections:
        meeting_id = meeting.pk
        transaction.on_commit(
            lambda: room_changed.send(
                Meeting, meeting_id=meeting_id, sections=sections, notice=notice, soon=soon
            )
        )


def _auto_minutes(meeting, text, kind, item=None, author=None):
    """An automatic minutes entry. `text` makes the words; it is called in the site's language,
    the language of the record people correct and sign, whoever's screen caused the entry."""
    with translation.override(settings.LANGUAGE_CODE):
        words = text()
    MinutesEntry.objects.create(
        meeting=meeting, item=item, kind=kind, automatic=True, text=words, author=author
    )


def _item(meeting, item_id):
    item = AgendaItem.objects.filter(meeting=meeting, pk=item_id).first()
    if item is None:
        raise RoomError(_("That agenda item is not part of this meeting."))
    return item


def _seat(user, meeting):
    participant = participant_of(user, meeting)
    if participant is None:
        raise RoomError(_("Only invited participants can do this."))
    return participant


# ---------------------------------------------------------------- before the meeting


def create_meeting(*, community, by, **fields):
    """Create a draft meeting; the creator must be staff or a committee member there. A
    meeting of one estate (an owners' session, an estate committee's meeting) is convened by
    that estate's committee only, or by staff."""
    from deliberation.access import require, roles_in_estate
    from deliberation.permissions import may

    require(by, community, "meeting.create")
    estate = fields.get("estate")
    if estate is not None and not may(roles_in_estate(by, community, estate), "meeting.create"):
        raise PermissionDenied
    with transaction.atomic():
        fields.setdefault("speaking_time_s", community.speaking_time_limit_s)
        meeting = Meeting.objects.create(community=community, created_by=by, **fields)
        record_audit(actor=by, verb="meeting.create", target=meeting, data={"kind": meeting.kind})
    return meeting


def add_agenda_item(meeting, *, by, title, topic=None, vote_matter=None, **limits):
    with transaction.atomic():
        meeting = _lock(meeting.pk)
        _require(by, meeting, "meeting.edit")
        if topic is not None and topic.community_id != meeting.community_id:
            raise RoomError(_("That topic belongs to another community."))
        last = meeting.items.aggregate(m=Max("position"))["m"] or 0
        item = AgendaItem.objects.create(
            meeting=meeting,
            position=last + 1,
            title=title,
            topic=topic,
            vote_matter=vote_matter,
            **limits,
        )
        _commit(meeting, by, "add_item", {"item": item.pk, "title": title}, (AGENDA,))
    return item


def invite_participant(
    meeting, *, by, role, user=None, name="", organisation="", holder=None, phone=""
):
    with transaction.atomic():
        meeting = _lock(meeting.pk)
        _require(by, meeting, "meeting.edit")
        if user is not None and meeting.participants.filter(user=user).exists():
            raise RoomError(_("This person is already invited."))
        if holder is None and user is not None and meeting.is_owners_session:
            holder = user.holdings.filter(
                community=meeting.community, ownerships__isnull=False
            ).first()
        participant = Participant.objects.create(
            meeting=meeting,
            user=user,
            name=name or (user.display_name if user else ""),
            role=role,
            organisation=organisation,
            holder=holder,
            phone="" if user is not None else phone,
        )
        _commit(meeting, by, "invite", {"participant": participant.pk}, (ATTENDANCE,))
        if meeting.status == Status.NOTICED and delivery.serves_participants(meeting):
            # Served the invitation like those invited before the notice, with proof.
            delivery.serve_invitation(meeting, by=by, participants=[participant])
        elif user is not None and meeting.status == Status.NOTICED:
            notify(
                [user],
                Message(gettext_noop("You are invited to %(title)s."), title=meeting.title),
                meeting.get_absolute_url(),
            )
    return participant


def publish_meeting_notice(meeting, *, by, now=None):
    """Post the notice on the board and invite everyone; it must respect the notice period."""
    now = now or timezone.now()
    with transaction.atomic():
        meeting = _lock(meeting.pk)
        _require(by, meeting, "meeting.notice")
        days = meeting.notice_days()
        if meeting.starts_at < now + timedelta(days=days):
            raise RoomError(
                _(
                    "This kind of meeting needs %(days)s days' notice: "
                    "start it on %(date)s or later."
                )
                % {
                    "days": days,
                    "date": date_format(timezone.localdate(now + timedelta(days=days))),
                }
            )
        if not meeting.items.exists():
            raise RoomError(_("Add at least one agenda item before publishing the notice."))
        items = "\n".join(f"{i.position}. {i.title}" for i in meeting.items.all())
        body = [
            Message(
                gettext_noop("%(kind)s on %(when)s at %(place)s.\nAgenda:\n%(items)s"),
                kind=Kind(meeting.kind).label,
                when=meeting.starts_at,
                place=meeting.place or gettext_lazy("online"),
                items=items,
            )
        ]
        days_posted = max(days, (meeting.starts_at - now).days + 1)
        notice = publish_notice(
            community=meeting.community,
            kind=NoticeKind.MEETING,
            title=meeting.title,
            body=body,
            by=by,
            days=days_posted,
            source=meeting,
        )
        meeting.notice = notice
        meeting.status = Status.NOTICED
        meeting.save(update_fields=["notice", "status"])
        _commit(meeting, by, "notice", {"notice": notice.pk})
        users = [p.user for p in meeting.participants.exclude(user=None).select_related("user")]
        if delivery.serves_participants(meeting):
            # Each participant is served the invitation, with proof (the bell is one channel).
            delivery.serve_invitation(meeting, by=by)
            users = []
        notify(
            users + [meeting.secretary],
            Message(gettext_noop("You are invited to %(title)s."), title=meeting.title),
            meeting.get_absolute_url(),
        )
        if meeting.is_owners_session and meeting.estate_id:
            # Every owner of the estate must be told of an assembly (物业管理条例 art. 14):
            # served to each household like an assembly vote's notice, with proof.
            # (deliberation.delivery.households_for: the units of its estate).
            queue_delivery(notice, by=by)
    return notice


def answer_invitation(meeting, *, by, rsvp):
    with transaction.atomic():
        meeting = _lock(meeting.pk)
        _require(by, meeting, "meeting.rsvp")
        participant = _seat(by, meeting)
        participant.rsvp = rsvp
        participant.save(update_fields=["rsvp"])
        _commit(meeting, by, "rsvp", {"participant": participant.pk, "rsvp": rsvp}, (ATTENDANCE,))
    return participant


def move_chair(meeting, *, by, to):
    """Hand the chair to someone else; the old chair's console stops working at once."""
    with transaction.atomic():
        meeting = _lock(meeting.pk)
        _require(by, meeting, "meeting.move_chair")
        old = meeting.chair_id
        meeting.chair = to
        meeting.save(update_fields=["chair"])
        _commit(meeting, by, "move_chair", {"from": old, "to": to.pk}, ALL_SECTIONS)
        meeting_id = meeting.pk
        transaction.on_commit(lambda: seats_changed.send(Meeting, meeting_id=meeting_id))
    return meeting


# ---------------------------------------------------------------- the live room


def opens_early(meeting, now=None):
    """True before the day the notice named: opening then needs the chair's reason."""
    return timezone.localdate(now or timezone.now()) < timezone.localdate(meeting.starts_at)


def open_meeting(meeting, *, by, early_reason="", now=None):
    """Open the meeting. Before the noticed date the chair must confirm it with a reason:
    those who read the notice expect it on that day, so the record and the audit log say why
    it sat earlier."""
    now = now or timezone.now()
    early_reason = (early_reason or "").strip()
    with transaction.atomic():
        meeting = _lock(meeting.pk)
        _require(by, meeting, "meeting.open")
        early = opens_early(meeting, now)
        if early and not early_reason:
            raise RoomError(
                _(
                    "This meeting was noticed for %(date)s. To open it before that day, confirm "
                    "and give the reason; it is recorded in the minutes and the audit log."
                )
                % {"date": _local(meeting.starts_at)}
            )
        meeting.status = Status.LIVE
        meeting.opened_at = now
        meeting.early_opening_reason = early_reason if early else ""
        meeting.save(update_fields=["status", "opened_at", "early_opening_reason"])
        _auto_minutes(
            meeting, lambda: _("The chair opened the meeting."), EntryKind.AGENDA, author=by
        )
        data = {}
        if early:
            _auto_minutes(
                meeting,
                lambda: (
                    _(
                        "The meeting sat on %(opened)s, before the noticed date %(noticed)s. "
                        "Reason given by the chair: %(reason)s"
                    )
                    % {
                        "opened": _local(now),
                        "noticed": _local(meeting.starts_at),
                        "reason": early_reason,
                    }
                ),
                EntryKind.AGENDA,
                author=by,
            )
            data = {"early": True, "noticed_for": meeting.starts_at, "reason": early_reason}
        _commit(meeting, by, "open_meeting", data)
    return meeting


def _local(value):
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")


def period_end_text(value):
    """A period's end as people say it: a deadline at midnight is 24:00 of the day before."""
    return cn_deadline(value)


def check_in(meeting, *, by, participant_id=None, method=None):
    """Check `by` in, or (for officers) the participant named by `participant_id`."""
    with transaction.atomic():
        meeting = _lock(meeting.pk)
        if participant_id:
            _require(by, meeting, "meeting.check_in_other")
            participant = meeting.participants.filter(pk=participant_id).first()
            if participant is None:
                raise RoomError(_("That person is not on the list of participants."))
            method = CheckinMethod.SECRETARY
        else:
            _require(by, meeting, "meeting.check_in")
            participant = _seat(by, meeting)
            method = method or CheckinMethod.ONLINE
        if participant.checked_in_at is not None:
            raise RoomError(_("%(name)s has already checked in.") % {"name": participant.name})
        participant.checked_in_at = timezone.now()
        participant.checkin_method = method
        participant.save(update_fields=["checked_in_at", "checkin_method"])
        _commit(
            meeting,
            by,
            "check_in",
            {"participant": participant.pk, "method": method},
            (ATTENDANCE, STATUS),
            notice=(participant.user_id, _("You are checked in.")),
        )
    return participant


def _open(meeting, item, by):
    item.status = ItemStatus.OPEN
    item.opened_at = timezone.now()
    item.save(update_fields=["status", "opened_at"])
    _auto_minutes(
        meeting,
        lambda: _("Item %(n)s opened: %(title)s") % {"n": item.position, "title": item.title},
        EntryKind.AGENDA,
        item,
        by,
    )


def _close(meeting, item, by):
    item.speakers.filter(status__in=[SpeakerStatus.WAITING, SpeakerStatus.SPEAKING]).update(
        status=SpeakerStatus.SKIPPED, finished_at=timezone.now()
    )
    for vote in item.live_votes.filter(status=LiveVoteStatus.OPEN):
        _close_vote(meeting, vote, by)
    item.status = ItemStatus.CLOSED
    item.closed_at = timezone.now()
    item.save(update_fields=["status", "closed_at"])
    _auto_minutes(
        meeting,
        lambda: _("Item %(n)s closed: %(title)s") % {"n": item.position, "title": item.title},
        EntryKind.AGENDA,
        item,
        by,
    )
    if item.topic_id:
        from deliberation.services.opinions import summary_for_minutes

        summary = summary_for_minutes(item.topic)
        if summary:  # where the community stood on the item's topic, as the item closed
            _auto_minutes(meeting, lambda: summary, EntryKind.NOTE, item, by)


def open_item(meeting, *, by, item_id):
    with transaction.atomic():
        meeting = _lock(meeting.pk)
        _require(by, meeting, "meeting.agenda")
        item = _item(meeting, item_id)
        if item.status != ItemStatus.PENDING:
            raise RoomError(_("This item has already been opened."))
        current = meeting.items.filter(status=ItemStatus.OPEN).first()
        if current is not None:
            _close(meeting, current, by)
        _open(meeting, item, by)
        _commit(meeting, by, "open_item", {"item": item.pk}, AGENDA_SECTIONS)
    return item


def close_item(meeting, *, by, item_id):
    with transaction.atomic():
        meeting = _lock(meeting.pk)
        _require(by, meeting, "meeting.agenda")
        item = _item(meeting, item_id)
        if item.status != ItemStatus.OPEN:
            raise RoomError(_("This item is not open."))
        _close(meeting, item, by)
        _commit(meeting, by, "close_item", {"item": item.pk}, AGENDA_SECTIONS)
    return item


def next_item(meeting, *, by, current_id=None):
    """Close the open item and open the next pending one.

    `current_id` is the item the chair saw open (0 or None: none was open). If the room has
    moved on since, the command is stale and changes nothing, so a double tap advances once.
    """
    with transaction.atomic():
        meeting = _lock(meeting.pk)
        _require(by, meeting, "meeting.agenda")
        current = meeting.items.filter(status=ItemStatus.OPEN).first()
        if (current.pk if current else None) != (current_id or None):
            raise RoomError(_("The agenda has moved on since your screen was updated."))
        following = meeting.items.filter(status=ItemStatus.PENDING).order_by("position").first()
        if current is not None:
            _close(meeting, current, by)
        if following is not None:
            _open(meeting, following, by)
        elif current is None:
            raise RoomError(_("There are no more agenda items."))
        _commit(
            meeting,
            by,
            "next_item",
            {"closed": current.pk if current else None, "opened": getattr(following, "pk", None)},
            AGENDA_SECTIONS,
        )
    return following


def _open_item_of(meeting):
    item = meeting.items.filter(status=ItemStatus.OPEN).first()
    if item is None:
        raise RoomError(_("No agenda item is open."))
    return item


def raise_hand(meeting, *, by, item_id):
    with transaction.atomic():
        meeting = _lock(meeting.pk)
        _require(by, meeting, "meeting.raise_hand")
        participant = _seat(by, meeting)
        item = _item(meeting, item_id)
        if item.status != ItemStatus.OPEN:
            raise RoomError(_("You can ask to speak only on the item under discussion."))
        if participant.checked_in_at is None:
            raise RoomError(_("Please check in before asking to speak."))
        if item.speakers.filter(
            participant=participant, status__in=[SpeakerStatus.WAITING, SpeakerStatus.SPEAKING]
        ).exists():
            raise RoomError(_("Your hand is already raised."))
        request = SpeakerRequest.objects.create(item=item, participant=participant)
        _commit(meeting, by, "raise_hand", {"request": request.pk}, (QUEUE,))
    return request


def lower_hand(meeting, *, by, item_id):
    with transaction.atomic():
        meeting = _lock(meeting.pk)
        _require(by, meeting, "meeting.raise_hand")
        participant = _seat(by, meeting)
        request = SpeakerRequest.objects.filter(
            item__meeting=meeting,
            item_id=item_id,
            participant=participant,
            status=SpeakerStatus.WAITING,
        ).first()
        if request is None:
            raise RoomError(_("There is no raised hand of yours to lower."))
        request.status = SpeakerStatus.WITHDRAWN
        request.finished_at = timezone.now()
        request.save(update_fields=["status", "finished_at"])
        _commit(meeting, by, "lower_hand", {"request": request.pk}, (QUEUE,))
    return request


def _request(meeting, request_id):
    request = (
        SpeakerRequest.objects.select_related("item", "participant")
        .filter(item__meeting=meeting, pk=request_id)
        .first()
    )
    if request is None:
        raise RoomError(_("That request to speak is not part of this meeting."))
    return request


def _finish_speech(meeting, request, status, by):
    request.status = status
    request.finished_at = timezone.now()
    request.save(update_fields=["status", "finished_at"])


def grant_floor(meeting, *, by, request_id):
    with transaction.atomic():
        meeting = _lock(meeting.pk)
        _require(by, meeting, "meeting.floor")
        request = _request(meeting, request_id)
        if request.status != SpeakerStatus.WAITING or request.item.status != ItemStatus.OPEN:
            raise RoomError(_("This person is no longer waiting to speak."))
        speaking = request.item.speakers.filter(status=SpeakerStatus.SPEAKING).first()
        if speaking is not None:
            _finish_speech(meeting, speaking, SpeakerStatus.DONE, by)
        now = timezone.now()
        request.status = SpeakerStatus.SPEAKING
        request.granted_at = now
        request.ends_at = now + timedelta(seconds=request.item.speaking_limit())
        request.save(update_fields=["status", "granted_at", "ends_at"])
        _auto_minutes(
            meeting,
            lambda: _("%(name)s was given the floor.") % {"name": request.participant.name},
            EntryKind.SPEECH,
            request.item,
            by,
        )
        _commit(
            meeting,
            by,
            "grant_floor",
            {"request": request.pk},
            (QUEUE, MINUTES),
            notice=(request.participant.user_id, _("You have the floor. Please speak now.")),
        )
    return request


def end_floor(meeting, *, by, request_id, skip=False):
    """End a speech (time is up, or the chair mutes it), or skip a waiting speaker."""
    with transaction.atomic():
        meeting = _lock(meeting.pk)
        _require(by, meeting, "meeting.floor")
        request = _request(meeting, request_id)
        if request.status not in (SpeakerStatus.WAITING, SpeakerStatus.SPEAKING):
            raise RoomError(_("This person is no longer in the queue."))
        status = SpeakerStatus.SKIPPED if skip else SpeakerStatus.DONE
        _finish_speech(meeting, request, status, by)
        _commit(meeting, by, "skip" if skip else "end_floor", {"request": request.pk}, (QUEUE,))
    return request


def queue_of(item):
    """Waiting hands in serving order: the chair's positions first, then first come."""
    return (
        item.speakers.filter(status=SpeakerStatus.WAITING)
        .select_related("participant")
        .order_by(F("position").asc(nulls_last=True), "created_at", "pk")
    )


def move_speaker(meeting, *, by, request_id, position):
    """Put a waiting hand at `position` (1 = next); the new order is recorded and audited."""
    with transaction.atomic():
        meeting = _lock(meeting.pk)
        _require(by, meeting, "meeting.floor")
        request = _request(meeting, request_id)
        if request.status != SpeakerStatus.WAITING:
            raise RoomError(_("This person is no longer waiting to speak."))
        order = [r for r in queue_of(request.item) if r.pk != request.pk]
        position = max(1, min(position, len(order) + 1))
        order.insert(position - 1, request)
        for index, waiting in enumerate(order, start=1):
            if waiting.position != index or waiting.pk == request.pk:
                waiting.position = index
                waiting.reordered_by = by
                waiting.save(update_fields=["position", "reordered_by"])
        _commit(
            meeting,
            by,
            "move_speaker",
            {"request": request.pk, "position": position, "order": [r.pk for r in order]},
            (QUEUE,),
        )
    return request


def set_hearing_stage(meeting, *, by, stage, minutes):
    with transaction.atomic():
        meeting = _lock(meeting.pk)
        _require(by, meeting, "meeting.hearing_stage")
        if not meeting.is_hearing:
            raise RoomError(_("Only hearings have stages."))
        current = HEARING_ORDER.index(meeting.hearing_stage) if meeting.hearing_stage else -1
        if HEARING_ORDER.index(stage) <= current:
            raise RoomError(_("A hearing moves forward through its stages only."))
        meeting.hearing_stage = stage
        meeting.stage_ends_at = timezone.now() + timedelta(minutes=minutes) if minutes else None
        meeting.save(update_fields=["hearing_stage", "stage_ends_at"])
        _auto_minutes(
            meeting,
            lambda: _("Hearing stage: %(stage)s") % {"stage": HearingStage(stage).label},
            EntryKind.STAGE,
            author=by,
        )
        _commit(meeting, by, "set_stage", {"stage": stage, "minutes": minutes}, (STATUS, MINUTES))
    return meeting


def record_speech(meeting, *, by, request_id, summary):
    with transaction.atomic():
        meeting = _lock(meeting.pk)
        _require(by, meeting, "meeting.write_minutes")
        request = _request(meeting, request_id)
        if request.status not in (SpeakerStatus.SPEAKING, SpeakerStatus.DONE):
            raise RoomError(_("Only a speech that was given can be summarised."))
        request.summary = summary
        request.save(update_fields=["summary"])
        _auto_minutes(
            meeting,
            lambda: (
                _("%(name)s said: %(summary)s")
                % {"name": request.participant.name, "summary": summary}
            ),
            EntryKind.SPEECH,
            request.item,
            by,
        )
        _commit(meeting, by, "record_speech", {"request": request.pk}, (QUEUE, MINUTES))
    return request


def open_live_vote(meeting, *, by, item_id, question):
    with transaction.atomic():
        meeting = _lock(meeting.pk)
        _require(by, meeting, "meeting.live_vote")
        item = _item(meeting, item_id)
        if item.status != ItemStatus.OPEN:
            raise RoomError(_("A vote can be opened only on the item under discussion."))
        if item.live_votes.filter(status=LiveVoteStatus.OPEN).exists():
            raise RoomError(_("A vote on this item is already open."))
        kind = LiveVoteKind.SHOW_OF_HANDS
        if meeting.is_owners_session and item.vote_matter_id:
            kind = LiveVoteKind.BALLOT
        vote = LiveVote.objects.create(item=item, question=question, kind=kind)
        _auto_minutes(
            meeting, lambda: _("Vote opened: %(q)s") % {"q": question}, EntryKind.VOTE, item, by
        )
        _commit(meeting, by, "open_vote", {"vote": vote.pk, "kind": kind}, (VOTE, MINUTES))
    return vote


def _cast_owner_ballot(meeting, vote, participant, choice, by):
    """In an owners' session the real ballot goes through the votes app's one cast function.

    Its checks (the vote is open, the holder is in the frozen electorate, one ballot per
    head) apply unchanged; a refusal there rolls back the show of hands too.
    """
    from deliberation.models.vote import BallotChannel
    from deliberation.services.votes import cast_ballot

    if participant.holder_id is None:
        raise RoomError(_("Only a registered owner can cast a ballot."))
    cast_ballot(
        vote.item.vote_matter, participant.holder, choice, by=by, channel=BallotChannel.MEETING
    )


def cast_live_vote(meeting, *, by, vote_id, choice):
    with transaction.atomic():
        meeting = _lock(meeting.pk)
        _require(by, meeting, "meeting.cast_live_vote")
        participant = _seat(by, meeting)
        vote = LiveVote.objects.filter(item__meeting=meeting, pk=vote_id).first()
        if vote is None or vote.status != LiveVoteStatus.OPEN:
            raise RoomError(_("This vote is closed."))
        if participant.checked_in_at is None:
            raise RoomError(_("Only participants who have checked in can vote."))
        if choice not in LiveChoice.values:
            raise RoomError(_("Choose agree, oppose or abstain."))
        if vote.responses.filter(participant=participant).exists():
            raise RoomError(_("You have already voted."))
        try:
            with transaction.atomic():
                LiveVoteResponse.objects.create(vote=vote, participant=participant, choice=choice)
        except IntegrityError as exc:
            raise RoomError(_("You have already voted.")) from exc
        if vote.kind == LiveVoteKind.BALLOT:
            _cast_owner_ballot(meeting, vote, participant, choice, by)
        # The count stays hidden until the vote closes: only the number of votes is shown.
        _commit(
            meeting,
            by,
            "cast_vote",
            {"vote": vote.pk},
            (VOTE,),
            notice=(by.pk, _("Your vote is recorded: %(c)s") % {"c": LiveChoice(choice).label}),
            soon=True,
        )
    return vote


def _close_vote(meeting, vote, by):
    """Close a live vote and minute what it means.

    An owners' ballot wrote real ballots into the assembly vote: the room reports how many
    were cast here and that they count with that vote, whose art. 278 result is published
    after its count. Never a majority of the room. A show of hands is counted by the rules
    engine and minuted as not binding.
    """
    vote.status = LiveVoteStatus.CLOSED
    vote.closed_at = timezone.now()
    vote.present_count = meeting.participants.exclude(checked_in_at=None).count()
    if vote.kind == LiveVoteKind.BALLOT:
        vote.passed = None  # decided by the assembly vote's count, not here
        vote.save()
        _auto_minutes(meeting, lambda: ballot_minutes_text(vote), EntryKind.VOTE, vote.item, by)
        return
    counts = dict(vote.responses.values_list("choice").annotate(n=Count("pk")))
    vote.yes_count = counts.get(LiveChoice.YES, 0)
    vote.no_count = counts.get(LiveChoice.NO, 0)
    vote.abstain_count = counts.get(LiveChoice.ABSTAIN, 0)
    hands = rules.show_of_hands(
        vote.yes_count, vote.no_count, vote.abstain_count, vote.present_count
    )
    vote.passed = hands.majority
    vote.save()
    _auto_minutes(meeting, lambda: hands_minutes_text(vote, hands), EntryKind.VOTE, vote.item, by)


def _zh():
    return (get_language() or settings.LANGUAGE_CODE).startswith("zh")


def _in_language(reason):
    return reason.zh if _zh() else reason.en


def hands_minutes_text(vote, hands):
    outcome = (
        _("a majority of those who voted agreed")
        if hands.majority
        else _("no majority of those who voted agreed")
    )
    separator = "；" if _zh() else "; "
    return _("Show of hands on “%(q)s” (not binding): %(outcome)s. %(lines)s") % {
        "q": vote.question,
        "outcome": outcome,
        "lines": separator.join(_in_language(r) for r in hands.reasons),
    }


def ballot_minutes_text(vote):
    matter = vote.item.vote_matter
    return _(
        "Owners' ballot on “%(q)s”: %(n)s owners cast their ballots in the room. They count "
        "with assembly vote no. %(vote)s “%(title)s”; its result under Civil Code art. 278 is "
        "published after the count."
    ) % {
        "q": vote.question,
        "n": vote.responses.count(),
        "vote": matter.vote_id,
        "title": matter.vote.title,
    }


def live_vote_summary(vote):
    """What the room and the minutes say about a closed live vote, in the active language.

    {"binding", "headline", "ok", "lines"}: for an owners' ballot the headline is
    the assembly vote's published art. 278 verdict, or that the ballots count with it and its
    result is to be published; for a show of hands, whether a majority of those who voted
    agreed, marked not binding. `ok` is True, False or None (nothing decided yet).
    """
    if vote.kind == LiveVoteKind.BALLOT:
        from deliberation.services.votes import published_verdict

        matter = vote.item.vote_matter
        verdict = published_verdict(matter) if matter is not None else None
        ballots = vote.responses.count()
        counted = _(
            "%(n)s ballots cast in the room count with assembly vote no. %(vote)s “%(title)s”."
        ) % {
            "n": ballots,
            "vote": matter.vote_id if matter else "—",
            "title": matter.vote.title if matter else "",
        }
        if verdict is None:
            headline = _("Counted with assembly vote no. %(vote)s; result to be published") % {
                "vote": matter.vote_id if matter else "—"
            }
            return {"binding": True, "headline": headline, "ok": None, "lines": [counted]}
        headline = _("Result of assembly vote no. %(vote)s (Civil Code art. 278): %(verdict)s") % {
            "vote": verdict["vote_id"],
            "verdict": verdict["verdict"],
        }
        return {"binding": True, "headline": headline, "ok": verdict["passed"], "lines": [counted]}
    hands = rules.show_of_hands(
        vote.yes_count, vote.no_count, vote.abstain_count, vote.present_count
    )
    headline = (
        _("Show of hands, not binding: a majority of those who voted agreed")
        if hands.majority
        else _("Show of hands, not binding: no majority of those who voted agreed")
    )
    return {
        "binding": False,
        "headline": headline,
        "ok": None,
        "lines": [_in_language(r) for r in hands.reasons],
    }


def close_live_vote(meeting, *, by, vote_id):
    with transaction.atomic():
        meeting = _lock(meeting.pk)
        _require(by, meeting, "meeting.live_vote")
        vote = (
            LiveVote.objects.select_related("item")
            .filter(item__meeting=meeting, pk=vote_id)
            .first()
        )
        if vote is None or vote.status != LiveVoteStatus.OPEN:
            raise RoomError(_("This vote is already closed."))
        _close_vote(meeting, vote, by)
        _commit(
            meeting, by, "close_vote", {"vote": vote.pk, "passed": vote.passed}, (VOTE, MINUTES)
        )
    return vote


def add_minutes_entry(meeting, *, by, text, item_id=None, kind=EntryKind.NOTE):
    with transaction.atomic():
        meeting = _lock(meeting.pk)
        _require(by, meeting, "meeting.write_minutes")
        item = _item(meeting, item_id) if item_id else None
        if kind == EntryKind.DECISION and item is not None:
            item.decision = text
            item.save(update_fields=["decision"])
        entry = MinutesEntry.objects.create(
            meeting=meeting, item=item, kind=kind, text=text, author=by
        )
        _commit(meeting, by, "add_minutes", {"entry": entry.pk}, (MINUTES,))
    return entry


def close_meeting(meeting, *, by):
    with transaction.atomic():
        meeting = _lock(meeting.pk)
        _require(by, meeting, "meeting.close")
        for item in meeting.items.filter(status=ItemStatus.OPEN):
            _close(meeting, item, by)
        meeting.status = Status.CLOSED
        meeting.closed_at = timezone.now()
        meeting.save(update_fields=["status", "closed_at"])
        _auto_minutes(
            meeting, lambda: _("The chair closed the meeting."), EntryKind.AGENDA, author=by
        )
        _commit(meeting, by, "close_meeting")
    return meeting


# ---------------------------------------------------------------- after the meeting


def minutes_digest(meeting):
    """A digest of the record's text, so each signature names exactly what was signed."""
    h = hashlib.sha256()
    for pk, kind, text in meeting.minutes.order_by("pk").values_list("pk", "kind", "text"):
        h.update(f"{pk}\x1f{kind}\x1f{text}\x1e".encode())
    return h.hexdigest()


def correction_deadline(start, days):
    """The end of a correction period of `days` days from `start`: the first day is not
    counted and the period ends at 24:00 of its last day (Civil Code arts. 201, 203)."""
    last_day = timezone.localdate(start) + timedelta(days=days)
    return timezone.make_aware(datetime.combine(last_day + timedelta(days=1), time.min))


def send_for_corrections(meeting, *, by, now=None):
    now = now or timezone.now()
    with transaction.atomic():
        meeting = _lock(meeting.pk)
        _require(by, meeting, "meeting.send_for_corrections")
        meeting.status = Status.CORRECTIONS
        meeting.corrections_until = correction_deadline(
            now, meeting.community.correction_window_days
        )
        meeting.save(update_fields=["status", "corrections_until"])
        _commit(meeting, by, "send_for_corrections", {"until": meeting.corrections_until})
        users = [p.user for p in meeting.participants.exclude(user=None).select_related("user")]
        if delivery.serves_participants(meeting) and delivery.serve_draft(meeting, by=by):
            users = []  # each participant is served the draft with the deadline, with proof
        notify(
            users,
            Message(
                gettext_noop(
                    "The draft minutes of %(title)s are ready: send corrections within "
                    "%(days)s days."
                ),
                title=meeting.title,
                days=meeting.community.correction_window_days,
            ),
            meeting.get_absolute_url(),
        )
        if meeting.is_owners_session and meeting.estate_id and meeting.notice_id:
            # Every household was served the session's notice: it is told of the draft too.
            queue_corrections(meeting, by=by)
    return meeting


def submit_correction(meeting, *, by, text, entry_id=None, now=None):
    now = now or timezone.now()
    with transaction.atomic():
        meeting = _lock(meeting.pk)
        _require(by, meeting, "meeting.correct")
        if meeting.corrections_until and now >= meeting.corrections_until:
            raise RoomError(_("The time for corrections has ended."))
        participant = _seat(by, meeting)
        entry = meeting.minutes.filter(pk=entry_id).first() if entry_id else None
        correction = MinutesCorrection.objects.create(
            meeting=meeting, participant=participant, entry=entry, text=text
        )
        _commit(meeting, by, "correct", {"correction": correction.pk}, ())
    return correction


def resolve_correction(meeting, *, by, correction_id, accept, response=""):
    """The secretary accepts a correction (it is added to the record) or declines it."""
    with transaction.atomic():
        meeting = _lock(meeting.pk)
        _require(by, meeting, "meeting.write_minutes")
        correction = meeting.corrections.filter(
            pk=correction_id, status=CorrectionStatus.OPEN
        ).first()
        if correction is None:
            raise RoomError(_("This correction has already been answered."))
        correction.status = CorrectionStatus.ACCEPTED if accept else CorrectionStatus.DECLINED
        correction.response = response
        correction.save(update_fields=["status", "response"])
        if accept:
            MinutesEntry.objects.create(
                meeting=meeting,
                item=correction.entry.item if correction.entry else None,
                kind=EntryKind.NOTE,
                text=_("Correction from %(name)s: %(text)s")
                % {"name": correction.participant.name, "text": correction.text},
                author=by,
            )
        _commit(
            meeting, by, "resolve_correction", {"correction": correction.pk, "accept": accept}, ()
        )
    return correction


def confirm_draft(meeting, *, by, now=None):
    """A participant has read the draft minutes and has nothing (more) to correct.

    The confirmation is of the text as it stands (its digest): a correction accepted later
    changes the text, and the confirmation no longer counts until it is given again.
    """
    now = now or timezone.now()
    with transaction.atomic():
        meeting = _lock(meeting.pk)
        _require(by, meeting, "meeting.correct")
        if meeting.corrections_until and now >= meeting.corrections_until:
            raise RoomError(_("The time for corrections has ended."))
        participant = _seat(by, meeting)
        if meeting.corrections.filter(
            participant=participant, status=CorrectionStatus.OPEN
        ).exists():
            raise RoomError(
                _(
                    "Your correction still awaits the secretary's answer: confirm the draft "
                    "once it is answered."
                )
            )
        participant.draft_confirmed_digest = minutes_digest(meeting)
        participant.draft_confirmed_at = now
        participant.save(update_fields=["draft_confirmed_digest", "draft_confirmed_at"])
        _commit(
            meeting,
            by,
            "confirm_draft",
            {"participant": participant.pk, "digest": participant.draft_confirmed_digest},
            (),
        )
    return participant


def draft_confirmations(meeting, digest=None):
    """Each participant with whether they confirmed the current draft (`confirmed`), an
    earlier text of it (`earlier`), or not at all."""
    digest = digest or minutes_digest(meeting)
    rows = []
    for participant in meeting.participants.order_by("pk"):
        if participant.draft_confirmed_digest == digest:
            state = "confirmed"
        elif participant.draft_confirmed_digest:
            state = "earlier"
        else:
            state = ""
        rows.append({"participant": participant, "state": state})
    return rows


def finalise_minutes(meeting, *, by, now=None):
    """Fix the text for signing: no more corrections or entries from here on.

    Participants have the whole correction period (send_for_corrections): before it ends the
    text can be fixed only once every participant has confirmed the draft as it stands.
    """
    now = now or timezone.now()
    with transaction.atomic():
        meeting = _lock(meeting.pk)
        _require(by, meeting, "meeting.finalise_minutes")
        if meeting.corrections.filter(status=CorrectionStatus.OPEN).exists():
            raise RoomError(_("Answer every correction before finalising the minutes."))
        digest = minutes_digest(meeting)
        early = bool(meeting.corrections_until and now < meeting.corrections_until)
        if early:
            waiting = [
                row["participant"].name
                for row in draft_confirmations(meeting, digest)
                if row["state"] != "confirmed"
            ]
            if waiting:
                raise RoomError(
                    _(
                        "Participants may send corrections until %(time)s. Before then the "
                        "minutes can be finalised only once every participant has confirmed "
                        "the draft; still waiting for: %(names)s."
                    )
                    % {
                        "time": period_end_text(meeting.corrections_until),
                        "names": "、".join(waiting),
                    }
                )
        meeting.status = Status.SIGNED
        meeting.minutes_digest = digest
        meeting.save(update_fields=["status", "minutes_digest"])
        data = {"digest": digest}
        if early:
            data["before_deadline"] = "every participant confirmed the draft"
        _commit(meeting, by, "finalise_minutes", data, ())
    return meeting


def sign_minutes(meeting, *, by):
    """Confirm the final text online, as a participant and/or as chair or secretary."""
    with transaction.atomic():
        meeting = _lock(meeting.pk)
        _require(by, meeting, "meeting.sign")
        signed = []
        capacities = []
        if meeting.chair_id == by.pk:
            capacities.append("chair")
        if meeting.secretary_id == by.pk:
            capacities.append("secretary")
        for capacity in capacities:
            if not meeting.signatures.filter(capacity=capacity).exists():
                signed.append(
                    Signature.objects.create(
                        meeting=meeting,
                        user=by,
                        capacity=capacity,
                        method=SignatureMethod.ONLINE,
                        minutes_digest=meeting.minutes_digest,
                        recorded_by=by,
                    )
                )
        participant = participant_of(by, meeting)
        if participant and not meeting.signatures.filter(participant=participant).exists():
            signed.append(
                Signature.objects.create(
                    meeting=meeting,
                    participant=participant,
                    user=by,
                    method=SignatureMethod.ONLINE,
                    minutes_digest=meeting.minutes_digest,
                    recorded_by=by,
                )
            )
        if not signed:
            raise RoomError(_("You have already signed these minutes."))
        _commit(meeting, by, "sign", {"signatures": [s.pk for s in signed]}, ())
    return signed


def record_paper_signature(meeting, *, by, participant_id, refused=False, note=""):
    """Record a signature on the paper page, or the chair's note that someone refused."""
    with transaction.atomic():
        meeting = _lock(meeting.pk)
        _require(by, meeting, "meeting.paper_signature")
        participant = meeting.participants.filter(pk=participant_id).first()
        if participant is None:
            raise RoomError(_("That person is not on the list of participants."))
        if meeting.signatures.filter(participant=participant).exists():
            raise RoomError(_("%(name)s has already signed.") % {"name": participant.name})
        signature = Signature.objects.create(
            meeting=meeting,
            participant=participant,
            method=SignatureMethod.REFUSED if refused else SignatureMethod.PAPER,
            note=note,
            minutes_digest=meeting.minutes_digest,
            recorded_by=by,
        )
        _commit(meeting, by, "paper_signature", {"signature": signature.pk}, ())
    return signature


def publish_minutes(meeting, *, by):
    with transaction.atomic():
        meeting = _lock(meeting.pk)
        _require(by, meeting, "meeting.publish_minutes")
        if minutes_digest(meeting) != meeting.minutes_digest:
            raise RoomError(_("The minutes changed after they were finalised."))
        offices = set(meeting.signatures.values_list("capacity", flat=True))
        needed = {"chair"} | ({"secretary"} if meeting.secretary_id else set())
        if not needed <= offices:
            raise RoomError(_("The chair and the secretary must sign before publishing."))
        checked_in = meeting.participants.exclude(checked_in_at=None)
        unsigned = checked_in.exclude(
            pk__in=meeting.signatures.exclude(participant=None).values("participant")
        )
        if unsigned.exists():
            raise RoomError(
                _("Still waiting for signatures from: %(names)s.")
                % {"names": "、".join(unsigned.values_list("name", flat=True))}
            )
        meeting.status = Status.PUBLISHED
        meeting.published_at = timezone.now()
        meeting.save(update_fields=["status", "published_at"])
        _commit(meeting, by, "publish_minutes", {"digest": meeting.minutes_digest}, ())
        minutes = publish_notice(
            community=meeting.community,
            kind=NoticeKind.MINUTES,
            title=Message(gettext_noop("Minutes: %(title)s"), title=meeting.title),
            body="\n".join(meeting.minutes.order_by("pk").values_list("text", flat=True)),
            by=by,
            source=meeting,
        )
        # The PDFs its page offers, stored on a task worker before anyone asks.
        record_published.send(Meeting, meeting=meeting)
        if meeting.is_owners_session and meeting.estate_id:
            # The final minutes are served to every household like the session's notice.
            queue_delivery(minutes, by=by)
        elif delivery.serves_participants(meeting):
            delivery.serve_minutes(meeting, minutes, by=by)  # to each participant, with proof
    return meeting


# ---------------------------------------------------------------- reading


def _minutes_vote(vote):
    summary = live_vote_summary(vote)
    ballot = vote.kind == LiveVoteKind.BALLOT
    return {
        "question": vote.question,
        "kind": vote.kind,
        "binding": summary["binding"],
        # An owners' ballot's choices are the assembly vote's, counted there: none here.
        "yes": None if ballot else vote.yes_count,
        "no": None if ballot else vote.no_count,
        "abstain": None if ballot else vote.abstain_count,
        "present": None if ballot else vote.present_count,
        "passed": summary["ok"],  # None unless the assembly vote's result is published
        "majority": None if ballot else vote.passed,  # a show of hands: indicative only
        "outcome": str(summary["headline"]),
        "lines": [str(line) for line in summary["lines"]],
    }


def minutes_context(meeting):
    """The record as plain data for the minutes and hearing-record documents.

    Returns a dict of strings, numbers, datetimes and lists of dicts; no model instances, so a
    PDF template can render it without touching the database.
    """
    items = list(meeting.items.order_by("position"))
    votes = LiveVote.objects.filter(
        item__meeting=meeting, status=LiveVoteStatus.CLOSED
    ).select_related("item__vote_matter__vote")
    speakers = SpeakerRequest.objects.filter(item__meeting=meeting).exclude(
        Q(status=SpeakerStatus.WAITING) | Q(status=SpeakerStatus.WITHDRAWN)
    )
    participants = list(meeting.participants.order_by("pk"))
    signatures = {s.participant_id: s for s in meeting.signatures.exclude(participant=None)}
    offices = {s.capacity: s for s in meeting.signatures.filter(participant=None)}
    offices.update({s.capacity: s for s in meeting.signatures.exclude(capacity="participant")})
    return {
        "id": meeting.pk,
        "title": meeting.title,
        "kind": meeting.kind,
        "kind_label": str(meeting.get_kind_display()),
        "community": meeting.community.name,
        "estate": meeting.estate.name if meeting.estate_id else "",
        "place": meeting.place,
        "online": meeting.online,
        "starts_at": meeting.starts_at,
        "opened_at": meeting.opened_at,
        "early_opening_reason": meeting.early_opening_reason,
        "closed_at": meeting.closed_at,
        "corrections_until": meeting.corrections_until,
        "status": meeting.status,
        "status_label": str(meeting.get_status_display()),
        "chair": meeting.chair.display_name,
        "secretary": meeting.secretary.display_name if meeting.secretary_id else "",
        "published_at": meeting.published_at,
        "digest": meeting.minutes_digest,
        "participants": [
            {
                "name": p.name,
                "role": str(p.get_role_display()),
                "organisation": p.organisation,
                "checked_in": p.checked_in_at is not None,
                "checked_in_at": p.checked_in_at,
                "checkin_method": str(p.get_checkin_method_display()) if p.checkin_method else "",
                "signature": (
                    str(signatures[p.pk].get_method_display()) if p.pk in signatures else ""
                ),
                "signature_note": signatures[p.pk].note if p.pk in signatures else "",
            }
            for p in participants
        ],
        "present_count": sum(1 for p in participants if p.checked_in_at),
        "invited_count": len(participants),
        "items": [
            {
                "position": i.position,
                "title": i.title,
                "topic_id": i.topic_id,
                "decision": i.decision,
                "votes": [_minutes_vote(v) for v in votes if v.item_id == i.pk],
                "speeches": [
                    {"name": s.participant.name, "summary": s.summary, "at": s.granted_at}
                    for s in speakers.select_related("participant").order_by("granted_at", "pk")
                    if s.item_id == i.pk
                ],
            }
            for i in items
        ],
        "entries": [
            {
                "at": e.created_at,
                "kind": e.kind,
                "kind_label": str(e.get_kind_display()),
                "automatic": e.automatic,
                "text": e.text,
                "item": e.item.position if e.item_id else None,
            }
            for e in meeting.minutes.select_related("item").order_by("pk")
        ],
        "corrections": [
            {
                "name": c.participant.name,
                "text": c.text,
                "status": str(c.get_status_display()),
                "response": c.response,
                "at": c.created_at,
            }
            for c in meeting.corrections.select_related("participant").order_by("pk")
        ],
        "officer_signatures": {
            cap: {"method": str(s.get_method_display()), "at": s.signed_at}
            for cap, s in offices.items()
        },
    }
