"""Demo meetings: a live consultation on the broken lift, a hearing ahead, a closed review.

Appended to deliberation.demo.SEEDERS; safe to run again (meetings that exist are kept).
"""

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from deliberation.models import Topic
from meetings import services
from meetings.models import AgendaItem, Kind, Meeting, Participant, SeatRole, Status

LIFT_MEETING = "3号楼电梯维修协商会"
HEARING = "3号楼加装电梯听证会"
REVIEW = "第三季度居民评议会"


def seed(context):
    community = context["community"]
    users = context["users"]
    chair, secretary = users["chair"], users["community_worker"]
    with transaction.atomic():
        if not Meeting.objects.filter(community=community, title=LIFT_MEETING).exists():
            _lift_meeting(community, users, chair, secretary, context)
        if not Meeting.objects.filter(community=community, title=HEARING).exists():
            _hearing(community, users, chair, secretary)
        if not Meeting.objects.filter(community=community, title=REVIEW).exists():
            _review(community, users, chair, secretary)
    return {}


def _meeting(community, chair, secretary, title, kind, starts_at, status, **extra):
    return Meeting.objects.create(
        community=community,
        kind=kind,
        title=title,
        chair=chair,
        secretary=secretary,
        place="幸福里社区党群服务中心二楼议事厅",
        online=True,
        starts_at=starts_at,
        status=status,
        speaking_time_s=community.speaking_time_limit_s,
        created_by=chair,
        **extra,
    )


def _seat(meeting, user, role, organisation=""):
    return Participant.objects.create(
        meeting=meeting,
        user=user,
        name=user.display_name,
        role=role,
        organisation=organisation,
        rsvp="yes",
        holder=user.holdings.filter(ownerships__isnull=False).first(),
    )


def _people(meeting, users):
    _seat(meeting, users["owner"], SeatRole.OWNER)
    _seat(meeting, users["resident"], SeatRole.REPRESENTATIVE)
    _seat(meeting, users["committee"], SeatRole.OWNER, "业主委员会")
    _seat(meeting, users["partner"], SeatRole.PARTNER, "区特种设备检验所")
    Participant.objects.create(
        meeting=meeting, name="钱工程师", role=SeatRole.EXPERT, organisation="电梯维保公司"
    )


def _lift_meeting(community, users, chair, secretary, context):
    lift = (
        context.get("lift_topic")
        or Topic.objects.filter(community=community, title__contains="电梯").first()
    )
    meeting = _meeting(
        community,
        chair,
        secretary,
        LIFT_MEETING,
        Kind.CONSULTATION,
        timezone.now(),
        Status.LIVE,
        public_watch=True,
        opened_at=timezone.now(),
    )
    for position, title in enumerate(["电梯维修方案", "维修费用分摊", "维修期间老人出行安排"], 1):
        AgendaItem.objects.create(
            meeting=meeting, position=position, title=title, topic=lift if position == 1 else None
        )
    _people(meeting, users)


def _hearing(community, users, chair, secretary):
    meeting = _meeting(
        community,
        chair,
        secretary,
        HEARING,
        Kind.HEARING,
        timezone.now() + timedelta(days=10),
        Status.DRAFT,
    )
    services.add_agenda_item(meeting, by=chair, title="3号楼加装电梯方案及费用分摊办法")
    _people(meeting, users)
    services.publish_meeting_notice(meeting, by=chair)


def _review(community, users, chair, secretary):
    meeting = _meeting(
        community,
        chair,
        secretary,
        REVIEW,
        Kind.REVIEW,
        timezone.now() - timedelta(days=1),
        Status.NOTICED,
    )
    item = AgendaItem.objects.create(meeting=meeting, position=1, title="物业服务质量评议")
    _people(meeting, users)
    services.open_meeting(meeting, by=chair)
    for participant in meeting.participants.all():
        services.check_in(meeting, by=secretary, participant_id=participant.pk)
    services.next_item(meeting, by=chair, current_id=None)
    hand = services.raise_hand(meeting, by=users["owner"], item_id=item.pk)
    services.grant_floor(meeting, by=chair, request_id=hand.pk)
    services.end_floor(meeting, by=chair, request_id=hand.pk)
    services.record_speech(
        meeting, by=secretary, request_id=hand.pk, summary="保洁有进步，但夜间巡逻仍不到位。"
    )
    vote = services.open_live_vote(
        meeting, by=chair, item_id=item.pk, question="对物业服务基本满意"
    )
    for key in ("owner", "resident", "committee"):
        services.cast_live_vote(meeting, by=users[key], vote_id=vote.pk, choice="yes")
    services.close_live_vote(meeting, by=chair, vote_id=vote.pk)
    services.add_minutes_entry(
        meeting,
        by=secretary,
        item_id=item.pk,
        kind="decision",
        text="评议结果为基本满意；请物业公司一个月内整改夜间巡逻。",
    )
    services.close_meeting(meeting, by=chair)
    services.send_for_corrections(meeting, by=secretary)
