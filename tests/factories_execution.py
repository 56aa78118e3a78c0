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
