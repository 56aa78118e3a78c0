"""What waits for a person on their home page: the work their roles hold in each community.

Workers see the topics awaiting acceptance and the overdue tasks; grid workers the overdue
tasks; a co-building unit's contact the tasks sent to their unit; the owners' committee the
votes still to run; a street observer the community's figures at a glance. Each list is the
oldest first and cut at WORK_LIMIT, with the full count and a link to the whole list.
"""

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from deliberation.models import (
    AssemblyVote,
    DispatchState,
    Phase,
    Role,
    Task,
    TaskDispatch,
    Topic,
    VoteStatus,
)
from deliberation.permissions import STAFF, may

WORK_LIMIT = 5
VOTES_TO_RUN = (VoteStatus.DRAFT, VoteStatus.NOTICED, VoteStatus.COUNTED)


def _section(kind, title, queryset, item, more_url, empty):
    rows = list(queryset[:WORK_LIMIT])
    count = len(rows) if len(rows) < WORK_LIMIT else queryset.count()
    return {
        "kind": kind,
        "title": title,
        "count": count,
        "rows": [item(row) for row in rows],
        "more_url": more_url,
        "empty": empty,
    }


def _awaiting(community):
    return Topic.objects.filter(community=community, phase=Phase.TRIAGE).order_by(
        "submitted_at", "pk"
    )


def _overdue(community, today):
    return (
        Task.objects.filter(topic__community=community)
        .overdue(today)
        .select_related("topic")
        .order_by("due_date", "pk")
    )


def work_of(user, community, roles, today=None):
    """The sections of work `roles` hold in `community`, for the home page."""
    today = today or timezone.localdate()
    sections = []
    if roles & STAFF:
        days = community.triage_deadline_days
        sections.append(
            _section(
                "triage",
                _("Awaiting acceptance"),
                _awaiting(community),
                lambda t: {
                    "label": t.title,
                    "url": t.get_absolute_url(),
                    "due": (t.submitted_at + timedelta(days=days)) if t.submitted_at else None,
                },
                reverse("topic_list", args=[community.pk]) + "?phase=triage",
                _("No topic is waiting for acceptance."),
            )
        )
    if roles & (STAFF | {Role.GRID_WORKER}):
        sections.append(
            _section(
                "overdue",
                _("Overdue tasks"),
                _overdue(community, today),
                lambda t: {"label": t.title, "url": t.get_absolute_url(), "due": t.due_date},
                reverse("task_list", args=[community.pk]) + "?show=overdue",
                _("No task is overdue."),
            )
        )
    if Role.PARTNER_CONTACT in roles:
        pending = (
            TaskDispatch.objects.filter(
                state=DispatchState.PENDING, unit__contacts=user, unit__community=community
            )
            .select_related("task", "unit")
            .order_by("sent_at", "pk")
        )
        sections.append(
            _section(
                "to_accept",
                _("Tasks to accept"),
                pending,
                lambda d: {
                    "label": d.task.title,
                    "url": d.task.get_absolute_url(),
                    "note": d.unit.name,
                },
                reverse("task_list", args=[community.pk]),
                _("No task is waiting for your unit's answer."),
            )
        )
    if Role.COMMITTEE in roles and may(roles, "vote.convene"):
        votes = AssemblyVote.objects.filter(community=community, status__in=VOTES_TO_RUN).order_by(
            "created_at", "pk"
        )
        sections.append(
            _section(
                "votes",
                _("Votes to run"),
                votes,
                lambda v: {"label": v.title, "url": v.get_absolute_url(), "note": v.state.label},
                reverse("vote_list", args=[community.pk]),
                _("No vote to run."),
            )
        )
    if Role.STREET_OBSERVER in roles:
        sections.append(
            {
                "kind": "figures",
                "title": _("Figures at a glance"),
                "figures": [
                    (_("Awaiting acceptance"), _awaiting(community).count()),
                    (_("Overdue tasks"), _overdue(community, today).count()),
                ],
                "more_url": reverse("dashboard", args=[community.pk]),
                "more_label": _("Open the KPI dashboard"),
            }
        )
    return sections
