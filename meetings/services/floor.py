"""Asking to speak and speaking: hands raised and lowered, the floor granted and ended, the queue
reordered by the chair, speeches summarised in the minutes, and a hearing's stages."""

from datetime import timedelta

from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from meetings.models import (
    HEARING_ORDER,
    EntryKind,
    HearingStage,
    ItemStatus,
    SpeakerRequest,
    SpeakerStatus,
)
from meetings.services.commands import (
    MINUTES,
    QUEUE,
    STATUS,
    RoomError,
    _auto_minutes,
    _command,
    _commit,
    _item,
    _seat,
)


def raise_hand(meeting, *, by, item_id):
    with _command(meeting, by, "meeting.raise_hand") as meeting:
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
    with _command(meeting, by, "meeting.raise_hand") as meeting:
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
    with _command(meeting, by, "meeting.floor") as meeting:
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
    with _command(meeting, by, "meeting.floor") as meeting:
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
    with _command(meeting, by, "meeting.floor") as meeting:
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
    with _command(meeting, by, "meeting.hearing_stage") as meeting:
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
    with _command(meeting, by, "meeting.write_minutes") as meeting:
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
