"""Demo topics in several phases, reached through the real services so history and notices
exist: the broken lift in 3号楼 (co-signed by owners, under discussion), a parking matter
collecting co-signs, a declined one, and a decided one on the notice board."""

import datetime

from django.db import transaction

from deliberation.models import Building, Category, Membership, Phase, Role, Scope, Topic
from deliberation.services import topics as services

LIFT = "3号楼电梯经常停运，请尽快维修"


def seed(context):
    community = context["community"]
    users = context["users"]
    if Topic.objects.filter(community=community, title=LIFT).exists():
        return {}
    owner, resident = users["owner"], users["resident"]
    worker, chair = users["community_worker"], users["chair"]
    committee = users["committee"]
    supporters = list(
        Membership.objects.filter(community=community, role=Role.RESIDENT)
        .exclude(user__in=[owner, resident, committee])
        .select_related("user")
        .order_by("pk")[:12]
    )
    supporters = [m.user for m in supporters] + [committee]
    with transaction.atomic():
        building = (
            Building.objects.filter(estate__community=community, name="3号楼").first()
            or Building.objects.filter(estate__community=community).first()
        )
        lift = services.propose_topic(
            community,
            by=owner,
            title=LIFT,
            description="3号楼2单元电梯本月已停运四次，最长一次三天。楼里有十几位老人，"
            "上下楼非常困难。希望物业查明原因，必要时申请维修资金更换主板。",
            category=Category.FACILITIES,
            scope=Scope.BUILDING if building else Scope.COMMUNITY,
            building=building,
            estate=building.estate if building else None,
            location="3号楼2单元",
        )
        lift = services.submit_topic(lift, by=owner)
        for person in supporters:
            if lift.phase != Phase.COLLECTING:
                break
            lift = services.cosign_topic(lift, by=person)
        if lift.phase == Phase.TRIAGE:
            lift = services.triage_topic(
                lift,
                by=worker,
                outcome=services.Outcome.ACCEPT,
                is_major=True,
                reason="涉及老人出行，列为重大事项。",
            )
        services.add_comment(
            lift, by=resident, body="我家老人住9楼，电梯一停就下不了楼。", stance="support"
        )
        first = services.add_comment(
            lift, by=committee, body="业委会已联系维保公司，下周一现场检测。", stance="neutral"
        )
        services.add_comment(
            lift, by=owner, body="谢谢，检测结果请公示。", stance="support", parent=first
        )
        services.create_poll(
            lift,
            by=worker,
            question="您希望哪天检修停梯？",
            options=["周六上午", "周日上午", "工作日白天"],
        )

        parking = services.propose_topic(
            community,
            by=resident,
            title="小区东门晚上乱停车，消防通道被堵",
            description="每天晚上八点以后东门内侧停满车，消防车进不来。",
            category=Category.PARKING,
            scope=Scope.COMMUNITY,
        )
        parking = services.submit_topic(parking, by=resident)
        for person in supporters[-2:]:  # two neighbours so far: the matter is on its way
            parking = services.cosign_topic(parking, by=person)

        noise = services.propose_topic(
            community,
            by=resident,
            title="希望禁止广场舞音响",
            description="晚上广场舞音响太吵。",
            category=Category.NEIGHBOURS,
            scope=Scope.COMMUNITY,
        )
        noise = services.submit_topic(noise, by=resident)
        services.triage_topic(
            noise,
            by=worker,
            outcome=services.Outcome.DECLINE,
            reason="已由社区与舞蹈队协商音量和时间，不另立议题。",
        )

        bins = services.propose_topic(
            community,
            by=owner,
            title="垃圾分类投放点增加洗手池",
            description="投放点没有洗手的地方，不卫生。",
            category=Category.ENVIRONMENT,
            scope=Scope.COMMUNITY,
        )
        bins = services.submit_topic(bins, by=owner)
        bins = services.triage_topic(bins, by=worker, outcome=services.Outcome.ACCEPT)
        services.record_decision(
            bins,
            by=chair,
            text="在两个投放点各加装一个洗手池，费用由社区公益金列支，月底前完成。",
            decided_by="residents_meeting",
            decided_on=datetime.date.today() - datetime.timedelta(days=1),
        )
    return {"lift_topic": lift}
