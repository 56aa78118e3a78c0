"""Factories for execution and evaluation tests: decided topics, tasks and ratings."""

from deliberation.lifecycle import transition_topic
from deliberation.models import Category, Phase, Topic

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


# --- objects for the URL permission matrix (tests/integration/url_rules.py) -------------------


def world_decided_topic(world):
    return world.once("exec_decided", lambda: make_topic(world.community, world.resident))


def world_task(world):
    from deliberation.services.execution import add_task

    def build():
        topic = make_topic(world.community, world.resident, title="修路灯")
        return add_task(
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
