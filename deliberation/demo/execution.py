"""Demo data for 办 and 评: co-building units, a topic being carried out (one task overdue,
one due soon, one taken by a unit), a topic waiting for ratings, a closed topic with ratings,
and a year of past topics so the dashboard has something to show. Safe to run again."""

import random
from datetime import datetime, time, timedelta

from django.db import transaction
from django.utils import timezone

from deliberation.lifecycle import transition_topic
from deliberation.models import (
    Category,
    PartnerKind,
    PartnerUnit,
    Phase,
    Rating,
    RatingLevel,
    Responsible,
    Route,
    Task,
    TaskState,
    Topic,
    VisitChannel,
    VisitOutcome,
)
from deliberation.services import execution as svc

UNIT_NAME = "幸福里小学"
PATH = [Phase.COLLECTING, Phase.TRIAGE, Phase.DISCUSSING, Phase.DECIDED]


def seed(context):
    community, users = context["community"], context["users"]
    if PartnerUnit.objects.filter(community=community, name=UNIT_NAME).exists():
        return {}
    with transaction.atomic():
        school = _units(community, users)
        _executing_topic(community, users, school)
        _evaluating_topic(community, users)
        _closed_topic(community, users)
        _history(community, users)
    return {}


def _units(community, users):
    worker = users["community_worker"]
    school = svc.register_partner(
        community,
        by=worker,
        name=UNIT_NAME,
        kind=PartnerKind.SCHOOL,
        description="区属公办小学，与社区结对共建。",
        contacts=[users["partner"]],
    )
    svc.add_offering(school, by=users["partner"], title="周末操场错峰开放")
    svc.add_offering(school, by=users["partner"], title="教师志愿者课后托管")
    clinic = svc.register_partner(
        community,
        by=worker,
        name="和平社区卫生服务中心",
        kind=PartnerKind.HOSPITAL,
        description="家庭医生签约服务。",
    )
    visit = svc.add_offering(clinic, by=worker, title="每月一次上门义诊")
    # 点单: a resident's order waits for the community to dispatch it (下单).
    svc.order_service(
        visit,
        by=users["resident"],
        details="老伴腿脚不便，想请医生下周上门量血压、看看用药。",
        location="阳光小区1号楼",
    )
    return school


def _topic(community, users, title, **fields):
    topic = Topic.objects.create(
        community=community,
        proposer=users["owner"],
        title=title,
        description=fields.pop("description", title),
        category=fields.pop("category", Category.FACILITIES),
        **fields,
    )
    for phase in PATH:
        topic = transition_topic(topic, phase, by=users["community_worker"], system=True)
    return topic


def _executing_topic(community, users, school):
    worker, chair, partner = users["community_worker"], users["chair"], users["partner"]
    today = timezone.localdate()
    topic = _topic(
        community,
        users,
        "和谐家园2号楼顶层漏水",
        description="连续下雨后2号楼顶层三户天花板渗水，墙皮脱落。",
        is_major=True,
        category=Category.FACILITIES,
    )
    overdue = svc.add_task(
        topic,
        by=worker,
        title="联系物业检修屋面防水层",
        responsible=Responsible.PROPERTY_MANAGER,
        route=Route.REFERRED,
    )
    # Demo only: move the date into the past so the overdue path shows; services refuse this.
    Task.objects.filter(pk=overdue.pk).update(due_date=today - timedelta(days=2))
    svc.add_task(
        topic,
        by=chair,
        title="向街道申请维修资金补贴",
        responsible=Responsible.COMMUNITY_WORKER,
        route=Route.REFERRED,
        due_date=today + timedelta(days=2),
        due_reason="补贴申报截止前",
    )
    helpers = svc.add_task(
        topic,
        by=worker,
        title="雨天帮顶层老人转移家具",
        responsible=Responsible.PARTNER_UNIT,
        route=Route.TRANSFERRED,
    )
    svc.dispatch_task(helpers, school, by=worker, note="请组织教师志愿者")
    svc.answer_dispatch(helpers, by=partner, accept=True)
    svc.report_progress(helpers, by=partner, text="已排好本周志愿者班表", percent=40)
    svc.send_reminders()


def _evaluating_topic(community, users):
    worker = users["community_worker"]
    topic = _topic(community, users, "垃圾分类点异味大", category=Category.ENVIRONMENT)
    task = svc.add_task(
        topic,
        by=worker,
        title="每日冲洗垃圾分类点并加盖",
        responsible=Responsible.GRID_WORKER,
        route=Route.IMMEDIATE,
    )
    svc.complete_task(task, by=users["grid_worker"], text="已加装带盖垃圾桶，每日冲洗。")


def _closed_topic(community, users):
    worker = users["community_worker"]
    topic = _topic(community, users, "小区南门路灯不亮", category=Category.SAFETY)
    task = svc.add_task(
        topic,
        by=worker,
        title="更换南门路灯",
        responsible=Responsible.COMMUNITY_WORKER,
        route=Route.IMMEDIATE,
    )
    svc.complete_task(task, by=worker, text="已更换 4 盏路灯。")
    svc.rate_topic(topic, by=users["owner"], level=RatingLevel.SATISFIED, comment="晚上亮堂了")
    svc.rate_topic(topic, by=users["resident"], level=RatingLevel.BASICALLY_SATISFIED)
    svc.record_visit(
        topic,
        by=users["grid_worker"],
        visited_on=timezone.localdate(),
        channel=VisitChannel.PHONE,
        outcome=VisitOutcome.HOLDS,
    )
    svc.conclude_evaluation(topic, by=worker)


def _history(community, users):
    """About 60 topics over the past year, written directly: figures for the dashboard."""
    rng = random.Random(2026)  # noqa: S311  (repeatable demo data)
    tz = timezone.get_current_timezone()
    today = timezone.localdate()
    grids = list(community.grids.all()) or [None]
    raters = [users["owner"], users["resident"], users["committee"]]
    titles = _history_titles(rng, community)
    for n in range(60):
        accepted = today - timedelta(days=rng.randint(5, 360))
        submitted = accepted - timedelta(days=rng.randint(1, 4))
        decided = accepted + timedelta(days=rng.randint(2, 12))
        closed = rng.random() < 0.75
        phase = Phase.CLOSED if closed else rng.choice([Phase.EXECUTING, Phase.DISCUSSING])
        completed = decided + timedelta(days=rng.randint(3, 25)) if closed else None
        topic = Topic.objects.create(
            community=community,
            proposer=rng.choice(raters),
            title=titles[n][0],
            description=titles[n][0],
            category=titles[n][1],
            grid=rng.choice(grids),
            phase=phase,
        )

        def at(day):
            return datetime.combine(day, time(10), tzinfo=tz) if day else None

        Topic.objects.filter(pk=topic.pk).update(
            created_at=at(submitted),
            submitted_at=at(submitted),
            accepted_at=at(accepted),
            decided_at=at(decided) if phase != Phase.DISCUSSING else None,
            completed_at=at(completed),
            closed_at=at(completed),
        )
        if phase == Phase.DISCUSSING:
            continue
        due = accepted + timedelta(days=15)
        Task.objects.create(
            topic=topic,
            title=f"办理：{titles[n][0]}",
            responsible=Responsible.COMMUNITY_WORKER,
            route=Route.IMMEDIATE,
            due_date=due,
            created_by=users["community_worker"],
            state=TaskState.DONE if closed else TaskState.OPEN,
            completed_on=completed,
            completed_at=at(completed),
            progress=100 if closed else 50,
        )
        if closed:
            for user in rng.sample(raters, rng.randint(1, 3)):
                level = rng.choices(RatingLevel.values, weights=[6, 3, 1])[0]
                Rating.objects.create(topic=topic, round=1, user=user, level=level)


PLACES = ("1号楼", "2号楼", "3号楼", "4号楼", "5号楼", "6号楼", "7号楼", "东门", "北门", "小广场")
MATTERS = {
    Category.ENVIRONMENT: ("垃圾桶满溢", "绿化带杂草多", "下水道反味"),
    Category.PROPERTY: ("保洁不及时", "物业费公示不清"),
    Category.SAFETY: ("消防通道堆物", "监控探头损坏"),
    Category.FACILITIES: ("楼道灯不亮", "单元门锁坏了", "外墙瓷砖脱落"),
    Category.ELDERLY: ("楼梯缺扶手", "希望设老年助餐点"),
    Category.PARKING: ("电动车乱停", "车位被长期占用"),
    Category.NEIGHBOURS: ("夜间装修噪音", "宠物粪便无人清理"),
    Category.OTHER: ("快递柜不够用",),
}


def _history_titles(rng, community):
    """Sixty different past matters (place + matter), none a near-copy of a current topic."""
    current = list(Topic.objects.filter(community=community).values_list("title", flat=True))
    pairs = [(f"{p}{m}", c) for c, matters in MATTERS.items() for m in matters for p in PLACES]
    rng.shuffle(pairs)
    chosen = []
    for title, category in pairs:
        if any(title in other or other in title for other in current):
            continue
        chosen.append((title, category))
        current.append(title)
    return chosen[:60]
