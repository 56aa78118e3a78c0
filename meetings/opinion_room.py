"""The opinion map in the live room: the open agenda item's topic, as the task queue last drew it.

The room's `opinions` section (templates/meetings/room.html, docs/protocol.md) shows the map
of the open item's topic to the chair's console and to participants, never to the public
display. It is rendered with the other sections after an agenda move, and on its own when a
recompute of that topic's map finishes (deliberation sends `opinion_map_drawn`, heard here by
`broadcast_map`), so the chair and the worker watch it change as residents answer.
"""

from functools import cached_property

from django.db.models import F
from django.dispatch import receiver

from deliberation.models import LatestOpinionMap
from deliberation.services.opinions import shown_map
from deliberation.signals import opinion_map_drawn
from meetings.models import ItemStatus, Meeting, Status
from meetings.services import OPINIONS
from meetings.signals import room_changed


class RoomMap:
    """What the section shows, read once per broadcast however many audiences render it."""

    def __init__(self, item):
        self.item = item

    @cached_property
    def topic_id(self):
        return self.item.topic_id if self.item is not None else None

    @cached_property
    def row(self):
        if self.topic_id is None:
            return None
        row = LatestOpinionMap.objects.filter(topic_id=self.topic_id).first()
        return row if row is not None and row.data is not None else None

    @cached_property
    def shown(self):
        if self.row is None:
            return None
        return shown_map(self.item.topic, self.row.data)

    @property
    def drawn_at(self):
        return self.row.computed_at if self.row is not None else None


def room_map(current):
    return RoomMap(current)


def rooms_showing(topic_id):
    """The live meetings whose open agenda item is this topic."""
    return list(
        Meeting.objects.filter(
            status=Status.LIVE, items__topic_id=topic_id, items__status=ItemStatus.OPEN
        )
        .values_list("pk", flat=True)
        .distinct()
    )


@receiver(opinion_map_drawn, dispatch_uid="meetings-opinion-room-map-drawn")
def _map_drawn(sender, topic_id, **kwargs):
    broadcast_map(topic_id)


def broadcast_map(topic_id):
    """Send the new map to every live room discussing the topic now.

    The room's version moves on, so a socket connecting afterwards gets a fresh snapshot
    (meetings.consumers keeps snapshots by version) rather than the map before this one.
    """
    for meeting_id in rooms_showing(topic_id):
        Meeting.objects.filter(pk=meeting_id).update(version=F("version") + 1)
        room_changed.send(Meeting, meeting_id=meeting_id, sections=(OPINIONS,))
