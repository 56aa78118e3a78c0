"""How every room command runs: the sections of the room it changes, the meeting row locked and
the caller's right re-checked under the lock (`_command`), the event, audit entry and broadcast
after commit (`_commit`), and the automatic minutes entries written in the site's language.

Every room command locks the meeting row, re-checks the caller's seat and role under the lock,
changes the rows, appends a RoomEvent and an audit entry, and queues the broadcast of the
changed room sections with `transaction.on_commit`, so nobody sees a rolled-back change.
Commands name their target (the item, the hand, the vote) rather than "the current one", so
a replayed or out-of-order command finds its target already moved on and changes nothing.
"""

import json
from contextlib import contextmanager

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import F
from django.utils import translation
from django.utils.translation import gettext as _

from deliberation.audit import record_audit
from meetings.access import may_in, participant_of
from meetings.models import (
    AgendaItem,
    Meeting,
    MinutesEntry,
    RoomEvent,
)
from meetings.signals import room_changed

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


def _lock(meeting_id):
    return Meeting.objects.select_for_update().select_related("community").get(pk=meeting_id)


def _require(user, meeting, action):
    if not may_in(user, meeting, action):
        raise PermissionDenied


@contextmanager
def _command(meeting, by, action):
    """A room command's transaction: the meeting row locked and `by`'s right to `action`
    re-checked under the lock. Yields the locked meeting."""
    with transaction.atomic():
        meeting = _lock(meeting.pk)
        _require(by, meeting, action)
        yield meeting


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
