"""A community's topics: the filtered list, its rows cached for every member who sees them alike."""

from datetime import timedelta

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Exists, OuterRef, Q
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_headers

from deliberation.access import community_for, roles_of
from deliberation.forms.topics import (
    TopicFilterForm,
)
from deliberation.models import (
    CoSign,
    Follow,
    Phase,
    Topic,
)
from deliberation.permissions import may
from plumbing import fragments

LIST_PAGE_SIZE = 20
LIST_FILTERS = ("q", "phase", "category", "scope")
PHASE_BADGE = {
    Phase.DECIDED: "ok",
    Phase.CLOSED: "ok",
    Phase.DECLINED: "bad",
    Phase.WITHDRAWN: "bad",
    Phase.MERGED: "warn",
    Phase.TRIAGE: "warn",
}


@login_required
@require_GET
@vary_on_headers("HX-Request")
def topic_list(request, community_id):
    community = community_for(request.user, community_id, "topic.view")
    form = TopicFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    user = request.user
    roles = roles_of(user, community)
    show_due = may(roles, "topic.triage", Phase.TRIAGE)
    number = fragments.requested_page(request.GET.get("page"))
    rows = None
    # The rows are the same for every resident unless they involve the member: their own
    # filters, their own drafts, or the acceptance deadlines shown to staff (which run out).
    if not filters.get("mine") and not show_due:
        rows = _shared_rows(community, filters, number)
        if user.pk in rows["drafters"]:
            rows = None
    if rows is None:
        rows = _rows(community, _topics(community, filters, user), number, show_due)
    context = {
        "community": community,
        "form": form,
        "filter_fields": _filter_fields(form),
        "page": fragments.PageLinks(rows["number"], num_pages=rows["pages"]),
        "rows": mark_safe(rows["html"]),  # noqa: S308 - escaped by the template engine
        "can_propose": may(roles, "topic.propose"),
        "can_file": may(roles, "topic.file_for_resident"),
    }
    name = "deliberation/topic_list.html" + ("#results" if request.htmx else "")
    return TemplateResponse(request, name, context)


def _topics(community, filters, user=None):
    """The community's topics matching `filters`; drafts only `user`'s own (none without)."""
    drafts = Q(phase=Phase.DRAFT)
    if user is not None:
        drafts &= ~Q(proposer=user) & ~Q(filed_by=user)
    topics = Topic.objects.filter(community=community).exclude(drafts)
    if filters.get("q"):
        q = filters["q"]
        topics = topics.filter(Q(title__icontains=q) | Q(description__icontains=q))
    for field in LIST_FILTERS[1:]:
        if filters.get(field):
            topics = topics.filter(**{field: filters[field]})
    mine = filters.get("mine")
    if mine == "mine":
        topics = topics.filter(Q(proposer=user) | Q(filed_by=user))
    elif mine == "cosigned":
        topics = topics.filter(Exists(CoSign.objects.filter(topic=OuterRef("pk"), user=user)))
    elif mine == "following":
        topics = topics.filter(Exists(Follow.objects.filter(topic=OuterRef("pk"), user=user)))
    return topics


def _filter_fields(form):
    """The filter form's fields as HTML: the same for everyone who filters alike.

    Rendering five field groups with their select options is most of the list's template
    work. A form with errors is rendered fresh, with its errors.
    """
    names = ("q", "mine", *LIST_FILTERS[1:])
    if form.is_bound and form.errors:
        return {name: form[name].as_field_group() for name in names}
    # The fields show the values as typed (before cleaning): key on those.
    values = [form.data.get(name, "") for name in names] if form.is_bound else []
    return fragments.local(
        "topic-filters",
        (form.is_bound, *values),
        lambda: {name: form[name].as_field_group() for name in names},
    )


def _shared_rows(community, filters, number):
    """The rows every member sees (no drafts), cached per community version, with the ids of
    members who have drafts there: their list is rendered for them alone."""
    values = [filters.get(name) or "" for name in LIST_FILTERS]
    fragment = fragments.Fragment("topics", [("topics", community.pk)], number, *values)
    (rows,) = fragments.fetch(fragment)
    if rows is None:
        rows = _rows(community, _topics(community, filters), number)
        drafts = Topic.objects.filter(community=community, phase=Phase.DRAFT)
        rows["drafters"] = {
            pk for pair in drafts.values_list("proposer_id", "filed_by_id") for pk in pair if pk
        }
        # Only pages that exist: a made-up page number renders the last page, uncached.
        if rows["number"] == number:
            fragment.store(rows)
    return rows


def _rows(community, topics, number, show_due=False):
    """One page of `topics` as HTML, with the numbers its page links need."""
    page = Paginator(topics.order_by("-created_at", "-pk"), LIST_PAGE_SIZE).get_page(number)
    now = timezone.now()
    for topic in page:
        topic.community = community  # spare a query per row
        _decorate(topic, now if show_due else None)
    count = page.paginator.count
    html = render_to_string("deliberation/topic_list_rows.html", {"page": page, "count": count})
    return {"html": html, "number": page.number, "pages": page.paginator.num_pages}


def _decorate(topic, now=None):
    """Attach what templates show: badge class, progress, and the triage deadline for staff."""
    topic.badge = PHASE_BADGE.get(topic.phase, "")
    target = topic.cosign_target or 1
    topic.progress_percent = min(100, topic.cosign_count * 100 // target)
    topic.progress_step = topic.progress_percent // 10 * 10  # CSS classes w0 … w100 (no style="")
    topic.due = topic.overdue = None
    if now is not None and topic.phase in (Phase.COLLECTING, Phase.TRIAGE) and topic.submitted_at:
        topic.due = topic.submitted_at + timedelta(days=topic.community.triage_deadline_days)
        topic.overdue = topic.phase == Phase.TRIAGE and topic.due < now
