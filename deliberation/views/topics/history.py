"""A topic's public history in words: who (masked) did what, its tasks' events included, each
entry checked against the audit chain."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from deliberation.access import topic_for
from deliberation.audit import check_links, history_of
from deliberation.messages import render as render_message
from deliberation.models import (
    PartnerUnit,
    Phase,
    Task,
)
from deliberation.notices import mask_name

VERBS = {
    "topic.propose": gettext_lazy("Proposed"),
    "topic.edit": gettext_lazy("Draft edited"),
    "topic.photos": gettext_lazy("Photos added"),
    "topic.cosign": gettext_lazy("Co-signed"),
    "topic.comment": gettext_lazy("Commented"),
    "topic.merged_in": gettext_lazy("Another topic was merged into this one"),
    "comment.hide": gettext_lazy("A comment was hidden by a moderator"),
    "poll.create": gettext_lazy("A poll was opened"),
    "decision.record": gettext_lazy("Decision recorded"),
    "notice.publish": gettext_lazy("Posted on the notice board"),
    "topic.rate": gettext_lazy("Rated the result"),
    "topic.visit": gettext_lazy("Follow-up visit recorded"),
    "topic.follow": gettext_lazy("Followed"),
    "comment.report": gettext_lazy("A comment was reported"),
}
# An event without a label of its own is still said in words, never as its code.
OTHER_EVENT = gettext_lazy("Recorded")
# The work on a topic (办), as its history tells it; %(task)s is the task's title.
TASK_VERBS = {
    "task.add": gettext_lazy("Task added: “%(task)s”"),
    "task.dispatch": gettext_lazy("“%(task)s” sent to %(unit)s"),
    "task.claim": gettext_lazy("%(unit)s took on “%(task)s”"),
    "task.decline": gettext_lazy("%(unit)s turned down “%(task)s”"),
    "task.progress": gettext_lazy("Progress on “%(task)s”: %(percent)s%%"),
    "task.supervise": gettext_lazy("Supervision note on “%(task)s”"),
    "task.complete": gettext_lazy("“%(task)s” done"),
}


def history_with_tasks(topic):
    """The topic's public history, its tasks' events included: (entries, {task id: title})."""
    tasks = dict(Task.objects.filter(topic=topic).values_list("pk", "title"))
    entries = history_of(topic, task_ids=tasks)
    return entries, tasks


def describe_all(entries, tasks):
    """describe() each entry, and verify each against the audit chain (`entry.intact`)."""
    entries = list(entries)
    unit_ids = {
        e.data.get("unit") for e in entries if e.verb in TASK_VERBS and isinstance(e.data, dict)
    }
    unit_ids = [pk for pk in unit_ids if isinstance(pk, int)]
    units = {}
    if unit_ids:
        units = dict(PartnerUnit.objects.filter(pk__in=unit_ids).values_list("pk", "name"))
    check_links(entries)
    for entry in entries:
        describe(entry, tasks, units)
    return entries


def describe(entry, tasks=None, units=None):
    """Set `who` (masked) and `what` (in words) on an audit entry for the public history."""
    entry.who = mask_name(entry.actor.display_name) if entry.actor else _("The platform")
    if entry.verb in TASK_VERBS and entry.target_type == "deliberation.task":
        data = entry.data if isinstance(entry.data, dict) else {}
        entry.what = TASK_VERBS[entry.verb] % {
            "task": (tasks or {}).get(int(entry.target_id), "—"),
            "unit": (units or {}).get(data.get("unit"), _("a co-building unit")),
            "percent": data.get("percent", ""),
        }
        entry.reason = data.get("reason", "") if entry.verb == "task.decline" else ""
    elif entry.verb == "topic.phase":
        data = entry.data or {}
        try:
            entry.what = _("Moved from “%(from)s” to “%(to)s”") % {
                "from": Phase(data.get("from")).label,
                "to": Phase(data.get("to")).label,
            }
        except ValueError:
            entry.what = OTHER_EVENT
        entry.reason = render_message(data.get("reason_message")) or data.get("reason", "")
    else:
        entry.what = VERBS.get(entry.verb, OTHER_EVENT)
        entry.reason = (entry.data or {}).get("reason", "") if entry.verb == "comment.hide" else ""
    return entry


@login_required
@require_GET
def topic_history(request, topic_id):
    topic = topic_for(request.user, topic_id, "topic.view")
    entries, tasks = history_with_tasks(topic)
    page = Paginator(entries, 50).get_page(request.GET.get("page"))
    shown = describe_all(page, tasks)
    broken = sum(1 for entry in shown if not entry.intact)
    return TemplateResponse(
        request,
        "deliberation/topic_history.html",
        {
            "topic": topic,
            "community": topic.community,
            "page": page,
            "entries": shown,
            "broken": broken,
        },
    )
