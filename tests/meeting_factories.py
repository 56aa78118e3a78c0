"""Meetings for tests: a meeting in a given state with its seats and agenda."""

from datetime import timedelta

from django.utils import timezone

from meetings.models import (
    AgendaItem,
    Kind,
    Meeting,
    MinutesEntry,
    Participant,
    SeatRole,
    Status,
)


def make_meeting(
    community,
    chair,
    *,
    secretary=None,
    participants=(),
    kind=Kind.CONSULTATION,
    status=Status.LIVE,
    items=("电梯维修方案", "费用分摊"),
    checked_in=True,
    public_watch=False,
    estate=None,
):
    meeting = Meeting.objects.create(
        community=community,
        estate=estate,
        kind=kind,
        title="关于电梯维修的协商会",
        chair=chair,
        secretary=secretary,
        place="社区议事厅",
        starts_at=timezone.now() + timedelta(days=30 if status == Status.DRAFT else 0),
        status=status,
        public_watch=public_watch,
        created_by=chair,
    )
    for position, title in enumerate(items, start=1):
        AgendaItem.objects.create(meeting=meeting, position=position, title=title)
    for user in participants:
        Participant.objects.create(
            meeting=meeting,
            user=user,
            name=user.display_name,
            role=SeatRole.REPRESENTATIVE,
            checked_in_at=timezone.now() if checked_in else None,
            checkin_method="online" if checked_in else "",
            holder=user.holdings.filter(ownerships__isnull=False).first(),
        )
    return meeting


def live_consultation(community, chair, community_worker, owner, resident):
    """A live consultation: 赵书记 chairs, 刘洋 records, 李明 and 王芳 take part."""
    return make_meeting(
        community, chair, secretary=community_worker, participants=[owner, resident]
    )


def closed_consultation(community, chair, community_worker, owner, resident):
    """A closed consultation with one line of minutes: 赵书记 chaired, 刘洋 recorded, 李明 and
    王芳 took part."""
    meeting = make_meeting(
        community,
        chair,
        secretary=community_worker,
        participants=[owner, resident],
        status=Status.CLOSED,
    )
    MinutesEntry.objects.create(meeting=meeting, text="同意先修2号楼电梯", author=community_worker)
    return meeting


def owners_session_on(matter, chair, participants):
    """A live owners' session of the matter's estate whose one agenda item puts the matter to
    the room: a ballot cast there counts with the matter's assembly vote. (meeting, item)"""
    estate = matter.vote.estate
    meeting = make_meeting(
        estate.community,
        chair,
        participants=participants,
        kind=Kind.OWNERS_SESSION,
        estate=estate,
        items=(matter.title,),
    )
    item = meeting.items.get()
    item.vote_matter = matter
    item.save()
    return meeting, item
