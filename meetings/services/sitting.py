"""The meeting sitting: opened (early only with the chair's reason), check-in, the agenda items
opened and closed one at a time, free minutes entries, and the meeting closed."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from deliberation.services.opinions import summary_for_minutes
from meetings.models import (
    CheckinMethod,
    EntryKind,
    ItemStatus,
    LiveVoteStatus,
    MinutesEntry,
    SpeakerStatus,
    Status,
)
from meetings.services.commands import (
    AGENDA_SECTIONS,
    ATTENDANCE,
    MINUTES,
    STATUS,
    RoomError,
    _auto_minutes,
    _command,
    _commit,
    _item,
    _lock,
    _require,
    _seat,
)
from meetings.services.live_votes import _close_vote


def opens_early(meeting, now=None):
    """True before the day the notice named: opening then needs the chair's reason."""
    return timezone.localdate(now or timezone.now()) < timezone.localdate(meeting.starts_at)


def open_meeting(meeting, *, by, early_reason="", now=None):
    """Open the meeting. Before the noticed date the chair must confirm it with a reason:
    those who read the notice expect it on that day, so the record and the audit log say why
    it sat earlier."""
    now = now or timezone.now()
    early_reason = (early_reason or "").strip()
    with _command(meeting, by, "meeting.open") as meeting:
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


def _move_item(meeting, item, by, status, stamp, words):
    """Set the item's status and its time `stamp`, and minute it in `words` (lazy, so the
    minutes are in the site's language)."""
    item.status = status
    setattr(item, stamp, timezone.now())
    item.save(update_fields=["status", stamp])
    _auto_minutes(
        meeting,
        lambda: str(words) % {"n": item.position, "title": item.title},
        EntryKind.AGENDA,
        item,
        by,
    )


def _open(meeting, item, by):
    words = gettext_lazy("Item %(n)s opened: %(title)s")
    _move_item(meeting, item, by, ItemStatus.OPEN, "opened_at", words)


def _close(meeting, item, by):
    item.speakers.filter(status__in=[SpeakerStatus.WAITING, SpeakerStatus.SPEAKING]).update(
        status=SpeakerStatus.SKIPPED, finished_at=timezone.now()
    )
    for vote in item.live_votes.filter(status=LiveVoteStatus.OPEN):
        _close_vote(meeting, vote, by)
    words = gettext_lazy("Item %(n)s closed: %(title)s")
    _move_item(meeting, item, by, ItemStatus.CLOSED, "closed_at", words)
    if item.topic_id:
        summary = summary_for_minutes(item.topic)
        if summary:  # where the community stood on the item's topic, as the item closed
            _auto_minutes(meeting, lambda: summary, EntryKind.NOTE, item, by)


def open_item(meeting, *, by, item_id):
    with _command(meeting, by, "meeting.agenda") as meeting:
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
    with _command(meeting, by, "meeting.agenda") as meeting:
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
    with _command(meeting, by, "meeting.agenda") as meeting:
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


def add_minutes_entry(meeting, *, by, text, item_id=None, kind=EntryKind.NOTE):
    with _command(meeting, by, "meeting.write_minutes") as meeting:
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
    with _command(meeting, by, "meeting.close") as meeting:
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
