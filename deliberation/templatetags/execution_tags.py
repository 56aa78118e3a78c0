"""`{% topic_execution topic %}`: a topic's tasks, progress, ratings and visits on any page.

The topic page includes it without building the context itself; the context comes from
deliberation.services.execution.execution_context, the same as on the topic's task page.
"""

from django import template

from deliberation.models import Phase

register = template.Library()

SHOWN_IN = {Phase.DECIDED, Phase.EXECUTING, Phase.EVALUATING, Phase.CLOSED}


@register.inclusion_tag("deliberation/includes/topic_execution.html", takes_context=True)
def topic_execution(context, topic):
    from deliberation.services.execution import execution_context

    request = context.get("request")
    if request is None or topic.phase not in SHOWN_IN:
        return {"hidden": True}
    return {
        **execution_context(topic, request.user),
        "request": request,
        "hidden": False,
        "link_to_tasks": True,
    }
