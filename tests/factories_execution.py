"""Factories for execution and evaluation tests: decided topics, tasks and ratings."""

from django.utils import timezone

from deliberation.lifecycle import transition_topic
from deliberation.models import (
    Category,
    Phase,
    RatingLevel,
    Responsible,
    Route,
    Topic,
    VisitChannel,
    VisitOutcome,
)
from deliberation.services import execution as svc

PATH_TO_DECIDED = [Phase.COLLECTING, Phase.TRIAGE, Phase.DISCUSSING, Phase.DECIDED]


def make_topic(community, proposer, title="楼道灯不亮", phase=Phase.DECIDED, **fields):
    """A topic moved through the real state machine (as the platform) up to `phase`."""
    fields.setdefault("category", Category.FACILITIES)
    topic = Topic.objects.create(
        community=community, proposer=proposer, title=title, description="三楼楼道灯坏了", **fields
    )
    path = (
        PATH_TO_DECIDED
        + {
            Phase.DECIDED: [],
            Phase.EXECUTING: [Phase.EXECUTING],
            Phase.EVALUATING: [Phase.EXECUTING, Phase.EVALUATING],
            Phase.CLOSED: [Phase.EXECUTING, Phase.EVALUATING, Phase.CLOSED],
        }[phase]
    )
    for step in path:
        topic = transition_topic(topic, step, by=proposer, system=True)
    return topic


def topic_with_task(community, proposer, worker, topic="楼道灯不亮", task="更换灯泡"):
    """A decided topic and its first task, which the community worker does at once:
    (topic, task)."""
    topic = make_topic(community, proposer, title=topic)
    task = svc.add_task(
        topic,
        by=worker,
        title=task,
        responsible=Responsible.COMMUNITY_WORKER,
        route=Route.IMMEDIATE,
    )
    return topic, task


def light_mended(community, proposer, worker):
    """楼道灯不亮, its one task (修灯) done: it waits for its evaluation. (topic, task)"""
    topic, task = topic_with_task(community, proposer, worker, task="修灯")
    svc.complete_task(task, by=worker, text="修好了")
    return topic, task


def roof_repair_complained_about(community, proposer, raters, worker, visitor):
    """楼顶漏水: the repair (referred to the property manager), then an interim clean-up
    finished last; each of `raters` dissatisfied with the repair; `visitor`'s follow-up visit
    recorded. (topic, repair, cleanup)"""
    topic = make_topic(community, proposer, title="楼顶漏水")
    repair = svc.add_task(
        topic,
        by=worker,
        title="修补楼顶防水层",
        responsible=Responsible.PROPERTY_MANAGER,
        route=Route.REFERRED,
    )
    cleanup = svc.add_task(
        topic,
        by=worker,
        title="清理楼道积水",
        responsible=Responsible.GRID_WORKER,
        route=Route.IMMEDIATE,
    )
    svc.complete_task(repair, by=worker, text="已修补")
    svc.complete_task(cleanup, by=worker, text="已清理")  # the interim task, last
    topic.refresh_from_db()
    for who in raters:
        svc.rate_topic(topic, by=who, level=RatingLevel.DISSATISFIED, tasks=[repair])
    svc.record_visit(
        topic,
        by=visitor,
        visited_on=timezone.localdate(),
        channel=VisitChannel.HOME,
        outcome=VisitOutcome.HOLDS,
    )
    return topic, repair, cleanup


# --- objects for the URL permission matrix (tests/integration/url_rules.py) -------------------


def world_decided_topic(world):
    return world.once("exec_decided", lambda: make_topic(world.community, world.resident))


def world_task(world):
    def build():
        topic = make_topic(world.community, world.resident, title="修路灯")
        return svc.add_task(
            topic,
            by=world.community_worker,
            title="换灯泡",
            responsible="community_worker",
            route="immediate",
        )

    return world.once("exec_task", build)


def world_photo(world):
    import io

    from PIL import Image

    from deliberation.models import ProgressPhoto, ProgressUpdate
    from deliberation.uploads import store_private

    def build():
        task = world_task(world)
        update = ProgressUpdate.objects.create(
            task=task, author=task.created_by, text="x", percent=5
        )
        buffer = io.BytesIO()
        Image.new("RGB", (8, 8), "white").save(buffer, format="PNG")
        path = store_private(buffer.getvalue(), folder="progress/test", suffix=".png")
        return ProgressPhoto.objects.create(update=update, path=path, content_type="image/png")

    return world.once("exec_photo", build)


def world_evaluating_topic(world):
    from deliberation.models import Phase

    return world.once(
        "exec_evaluating",
        lambda: make_topic(world.community, world.resident, title="修好了", phase=Phase.EVALUATING),
    )


def world_street_office(world):
    from deliberation.models import StreetOffice

    def build():
        office = StreetOffice.objects.create(name="测试街道")
        world.community.street_office = office
        world.community.save(update_fields=["street_office"])
        return office

    return world.once("exec_street", build)


def world_offering(world):
    from deliberation.models import PartnerOffering, PartnerUnit

    def make():
        unit = PartnerUnit.objects.create(community=world.community, name="社区卫生服务站")
        return PartnerOffering.objects.create(unit=unit, title="上门量血压")

    return world.once("exec_offering", make)
