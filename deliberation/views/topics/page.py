"""Topic pages: list, propose, the topic page with its htmx partials, and each lifecycle step.

Thin views: parse with a form, check access with `topic_for` / `community_for` (outsiders 404,
members without the role 403), call one service, render. A service's `ValidationError` (wrong
phase, stale form, already done) becomes a message on the page and changes nothing.
"""

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import connection
from django.db.models import BooleanField, Count, Exists, OuterRef, Prefetch, Q, Subquery
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce
from django.http import Http404
from django.middleware.csrf import get_token
from django.shortcuts import get_object_or_404, redirect
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from deliberation.access import community_for, roles_of, topic_for
from deliberation.audit import check_links, history_of
from deliberation.forms.topics import (
    CommentForm,
    DecisionForm,
    FileForResidentForm,
    PollForm,
    PollVoteForm,
    ReactForm,
    ReasonForm,
    TopicFilterForm,
    TopicForm,
    TriageForm,
    WithdrawForm,
)
from deliberation.messages import render as render_message
from deliberation.models import (
    Comment,
    CommentReaction,
    CoSign,
    Follow,
    PartnerUnit,
    Phase,
    Poll,
    PollOption,
    PollVote,
    Reaction,
    Task,
    Topic,
    TopicPhoto,
)
from deliberation.notices import mask_name
from deliberation.permissions import may
from deliberation.services import topics as services
from deliberation.uploads import serve_private
from plumbing import fragments
from plumbing.prepared import Prepared

LIST_PAGE_SIZE = 20
LIST_FILTERS = ("q", "phase", "category", "scope")
COMMENT_PAGE_SIZE = 20
HISTORY_ON_PAGE = 10
WORKFLOW = [
    Phase.COLLECTING,
    Phase.TRIAGE,
    Phase.DISCUSSING,
    Phase.DECIDED,
    Phase.EXECUTING,
    Phase.EVALUATING,
    Phase.CLOSED,
]
PHASE_BADGE = {
    Phase.DECIDED: "ok",
    Phase.CLOSED: "ok",
    Phase.DECLINED: "bad",
    Phase.WITHDRAWN: "bad",
    Phase.MERGED: "warn",
    Phase.TRIAGE: "warn",
}


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


def _fail(request, error):
    for text in getattr(error, "messages", [str(error)]):
        messages.error(request, text)


def _version(request):
    try:
        return int(request.POST.get("version", ""))
    except ValueError:
        return None


# ---- list -------------------------------------------------------------------------------


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


# ---- propose and edit --------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def topic_new(request, community_id):
    community = community_for(request.user, community_id, "topic.propose")
    on_behalf = request.GET.get("for") == "resident" or "proposer" in request.POST
    if on_behalf and not may(roles_of(request.user, community), "topic.file_for_resident"):
        raise PermissionDenied
    form_class = FileForResidentForm if on_behalf else TopicForm
    form = form_class(request.POST or None, request.FILES or None, community=community)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        photos = data.pop("photos", [])
        try:
            topic = services.propose_topic(community, by=request.user, photos=photos, **data)
            if "submit" in request.POST and topic.phase == Phase.DRAFT:
                topic = services.submit_topic(topic, by=request.user)
                messages.success(request, _("Your topic is submitted and open for co-signing."))
            else:
                messages.success(request, _("Draft saved. Submit it when it is ready."))
            return redirect(topic)
        except ValidationError as error:
            form.add_error(None, error)
    return TemplateResponse(
        request,
        "deliberation/topic_form.html",
        {"community": community, "form": form, "on_behalf": on_behalf, "topic": None},
    )


@login_required
@require_http_methods(["GET", "POST"])
def topic_edit(request, topic_id):
    topic = topic_for(request.user, topic_id, "topic.edit")
    if request.user.pk not in (topic.proposer_id, topic.filed_by_id):
        raise PermissionDenied
    if topic.phase != Phase.DRAFT:
        messages.error(request, _("Only a draft can be edited."))
        return redirect(topic)
    initial = {
        f: getattr(topic, f)
        for f in ("title", "description", "category", "scope", "estate", "building", "grid")
    }
    initial["location"] = topic.location
    form = TopicForm(
        request.POST or None, request.FILES or None, community=topic.community, initial=initial
    )
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        photos = data.pop("photos", [])
        try:
            topic = services.update_draft(
                topic, by=request.user, expected_version=_version(request), photos=photos, **data
            )
            messages.success(request, _("Draft saved."))
            return redirect(topic)
        except ValidationError as error:
            form.add_error(None, error)
    return TemplateResponse(
        request,
        "deliberation/topic_form.html",
        {"community": topic.community, "form": form, "topic": topic, "on_behalf": False},
    )


# ---- the topic page ----------------------------------------------------------------------
#
# A topic page is two cached fragments (plumbing.fragments) and what is personal about it:
# - "comments": one page of comments, per page and what the member may do with them
#   (react, reply, moderate); bumped as ("comments", topic) by add_comment, react and
#   hide_comment. The member's CSRF token and own reactions are filled in per request.
# - "topic": the topic's own account, its recent history and whether it has polls; bumped
#   as ("topic", topic) by record_audit for every audited change to the topic. Staff, who
#   see acceptance deadlines run out, get it fresh.
# The list's rows are a third, "topics", bumped as ("topics", community) (docs/topics.md).


def _comment_queryset():
    # Correlated subqueries rather than Count() over a join: no GROUP BY over every column,
    # so the database can walk the (topic, parent, created_at) index and stop at the page.
    def count_of(kind):
        rows = (
            CommentReaction.objects.filter(comment=OuterRef("pk"), kind=kind)
            .order_by()
            .values("comment")
            .annotate(n=Count("pk"))
            .values("n")
        )
        return Coalesce(Subquery(rows), 0)

    return (
        Comment.objects.select_related("author")
        .annotate(agree_count=count_of(Reaction.AGREE), thanks_count=count_of(Reaction.THANKS))
        .order_by("created_at", "pk")
    )


# Run on every view of a topic page by a member who may react: compiled once.
_MY_REACTIONS = Prepared(
    lambda user_id, topic_id: (
        CommentReaction.objects.filter(user=user_id, comment__topic=topic_id)
        .values_list("comment_id", "kind")
        .order_by()
    ),
    int,
    int,
)


def _comments_fragment(request, topic, can):
    """The cached page of comments, per comments version, page, language and what the member
    may do with comments (react, reply, moderate)."""
    audience = tuple(int(can[action]) for action in ("react", "comment", "moderate"))
    number = max(1, fragments.requested_page(request.GET.get("page")))
    fragment = fragments.Fragment("comments", [("comments", topic.pk)], number, audience)
    fragment.number = number
    return fragment


def _comment_list(request, topic, can, fragment):
    """One page of comments as HTML, and its page links: the fetched `fragment`, or rendered
    and stored. The member's CSRF token and own reactions are filled in here, so two members
    never share them."""
    number = fragment.number
    entry = fragment.value
    if entry is None:
        top_level = (
            _comment_queryset()
            .filter(topic=topic, parent=None)
            .prefetch_related(
                Prefetch("replies", queryset=_comment_queryset(), to_attr="shown_replies")
            )
        )
        # No COUNT query: the total is on the topic as comment_count.
        page = fragments.peek_page(top_level, number, COMMENT_PAGE_SIZE)
        context = {
            "comments": page,
            "can": {"react": can["react"], "comment": can["comment"], "moderate": can["moderate"]},
            # One reverse for all comment links (…/comments/<id>/react/ etc.)
            "comment_base": reverse("comment_report", args=[topic.pk, 0]).removesuffix("0/report/"),
        }
        ids = [c.pk for top in page for c in (top, *top.shown_replies) if not c.is_hidden]
        entry = {
            "html": render_to_string("deliberation/topic_comment_list.html", context),
            "ids": ids,
            "has_next": page.has_next,
        }
        # Only pages that exist: made-up page numbers must not fill the cache.
        if page.object_list or number == 1:
            fragment.store(entry)
    pressed = frozenset()
    if can["react"] and entry["ids"]:
        pressed = frozenset(_MY_REACTIONS.rows(request.user.pk, topic.pk))
    html = fragments.personalise(entry["html"], get_token(request), pressed)
    links = fragments.PageLinks(number, has_next=entry["has_next"])
    return mark_safe(html), links  # noqa: S308 - escaped by the template engine


def detail_context(request, topic, *, comment_form=None, poll_form=None):
    """Everything the topic page and its partials show, in a fixed number of queries."""
    user = request.user
    roles = roles_of(user, topic.community_id)
    phase = topic.phase
    show_due = may(roles, "topic.triage", Phase.TRIAGE)
    _decorate(topic, timezone.now() if show_due else None)
    is_author = user.pk in (topic.proposer_id, topic.filed_by_id)
    can = {
        "edit": is_author and may(roles, "topic.edit", phase),
        "submit": is_author and phase == Phase.DRAFT and may(roles, "topic.submit", phase),
        "withdraw": is_author
        and phase in (Phase.DRAFT, Phase.COLLECTING, Phase.TRIAGE)
        and may(roles, "topic.withdraw", phase),
        "cosign": may(roles, "topic.cosign", phase) and not is_author,
        "triage": may(roles, "topic.triage", phase),
        "comment": may(roles, "topic.comment", phase),
        "react": may(roles, "topic.react", phase),
        "moderate": may(roles, "topic.moderate", phase),
        "poll": may(roles, "topic.poll", phase),
        "poll_vote": may(roles, "topic.poll_vote", phase),
        "decide": may(roles, "topic.decide", phase),
    }
    replying_to = None
    reply = request.GET.get("reply", "")
    if comment_form is None and reply.isdigit() and can["comment"]:
        replying_to = (
            Comment.objects.select_related("author").filter(topic=topic, pk=int(reply)).first()
        )
        if replying_to is not None:
            comment_form = CommentForm(initial={"parent": replying_to.pk})
    comments_fragment = _comments_fragment(request, topic, can)
    # Staff see acceptance deadlines that run out with time: their topic parts are fresh.
    parts_fragment = None if show_due else fragments.Fragment("topic", [("topic", topic.pk)])
    fragments.fetch(*filter(None, (comments_fragment, parts_fragment)))
    comment_list, comments = _comment_list(request, topic, can, comments_fragment)
    known = parts_fragment.value if parts_fragment else None
    # Opening a poll is audited, so the cached parts know whether the topic has any.
    polls = _polls(topic, user) if known is None or known["has_polls"] else []
    return {
        "topic": topic,
        "community": topic.community,
        "can": can,
        "replying_to": replying_to,
        "comments": comments,
        "comment_list": comment_list,
        "comment_form_html": fragments.form_html(comment_form or CommentForm()),
        # A comment refused because the topic moved on: its form is gone, its reason is not.
        "refused_comment": comment_form
        if comment_form is not None and comment_form.errors and not can["comment"]
        else None,
        "poll_form": poll_form or PollForm(),
        "polls": polls,
        "topic_parts": _topic_parts(topic, parts_fragment, has_polls=bool(polls)),
        "version": topic.version,
    }


def _polls(topic, user):
    """The topic's polls with their counts, the member's answers and their forms."""
    polls = list(
        Poll.objects.filter(topic=topic).prefetch_related(
            Prefetch(
                "options",
                queryset=PollOption.objects.annotate(vote_count=Count("votes")).order_by(
                    "position", "pk"
                ),
            )
        )
    )
    answered = set()
    if polls:
        answered = set(
            PollVote.objects.filter(poll__topic=topic, user=user).values_list("poll_id", flat=True)
        )
    for poll in polls:
        poll.total = sum(o.vote_count for o in poll.options.all())
        for option in poll.options.all():
            option.percent = option.vote_count * 100 // poll.total if poll.total else 0
        poll.answered = poll.pk in answered
        poll.vote_form = PollVoteForm(poll=poll, auto_id=f"poll{poll.pk}_%s")
    return polls


def _topic_parts(topic, fragment=None, has_polls=False):
    """The topic's own account (title, stage, decision, photos…) and its recent history, as
    HTML: the same for every member, so cached per topic version (every audited change to the
    topic bumps it) in the fetched `fragment`; rendered afresh without one."""
    parts = fragment.value if fragment else None
    if parts is None:
        context = {
            "topic": topic,
            "community": topic.community,
            "photos": list(TopicPhoto.objects.filter(topic=topic).order_by("pk")),
            "merged_topics": list(topic.merged_topics.order_by("pk").only("pk", "title")),
            "history": _recent_history(topic),
            "workflow": WORKFLOW,
            # Recording a decision stamps decided_at: no query for topics never decided.
            "decision": getattr(topic, "decision", None) if topic.decided_at else None,
        }
        parts = {
            "header": render_to_string("deliberation/topic_header.html", context),
            "history": render_to_string("deliberation/topic_recent_history.html", context),
            "has_polls": has_polls,
        }
        if fragment:
            fragment.store(parts)
    return parts


def _recent_history(topic):
    entries, tasks = history_with_tasks(topic)
    return describe_all(entries.order_by("-pk")[:HISTORY_ON_PAGE], tasks)


def _detail_topic(user, topic_id, action="topic.view"):
    # The page's hottest query: the relations most topics have, and the member's two flags as
    # plain EXISTS (two Exists() subqueries cost more to compile than to run). Estate, building,
    # grid, filer and merge target load on use; most topics have none of them.
    queryset = Topic.objects.select_related("community", "proposer").annotate(
        is_cosigned=_mine(CoSign, user), is_following=_mine(Follow, user)
    )
    return topic_for(user, topic_id, action, queryset=queryset)


def _mine(model, user):
    """True when `user` has a row of `model` (co-sign, follow) for the topic."""
    quote = connection.ops.quote_name
    table, topic_table = quote(model._meta.db_table), quote(Topic._meta.db_table)
    topic_column = quote(model._meta.get_field("topic").column)
    user_column = quote(model._meta.get_field("user").column)
    # Only table and column names from the models go into the text; the user is a parameter.
    sql = (
        f"EXISTS (SELECT 1 FROM {table} WHERE {table}.{topic_column} = {topic_table}."  # noqa: S608
        f"{quote(Topic._meta.pk.column)} AND {table}.{user_column} = %s)"
    )
    return RawSQL(sql, [user.pk], output_field=BooleanField())  # noqa: S611


def _render_detail(request, topic, partial=None, status=200, **extra):
    name = "deliberation/topic_detail.html" + (f"#{partial}" if partial else "")
    return TemplateResponse(request, name, detail_context(request, topic, **extra), status=status)


@login_required
@require_http_methods(["GET", "POST"])
@vary_on_headers("HX-Request")
def topic_detail(request, topic_id):
    """The topic page; a POST here adds a comment (the page's main input)."""
    action = "topic.comment" if request.method == "POST" else "topic.view"
    topic = _detail_topic(request.user, topic_id, action)
    form = CommentForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            parent = None
            if form.cleaned_data.get("parent"):
                parent = Comment.objects.filter(topic=topic, pk=form.cleaned_data["parent"]).first()
                if parent is None:
                    form.add_error(None, _("That comment belongs to another topic."))
            if not form.errors:
                try:
                    comment = services.add_comment(
                        topic,
                        by=request.user,
                        body=form.cleaned_data["body"],
                        stance=form.cleaned_data["stance"],
                        parent=parent,
                    )
                    if not request.htmx:
                        return redirect(topic.get_absolute_url() + f"#comment-{comment.pk}")
                    form = CommentForm()
                    topic = _detail_topic(request.user, topic_id)
                except ValidationError as error:
                    form.add_error(None, error)
        if form.errors:
            status = 400
    partial = "comments" if request.htmx else None
    form = form if request.method == "POST" else None
    return _render_detail(request, topic, partial, status=status, comment_form=form)


def _after_action(request, topic_id, partial):
    """Non-htmx: back to the page (messages show there). htmx: the updated partial."""
    if not request.htmx:
        return redirect("topic_detail", topic_id)
    topic = _detail_topic(request.user, topic_id)
    return _render_detail(request, topic, partial)


@login_required
@require_POST
def topic_submit(request, topic_id):
    topic = topic_for(request.user, topic_id, "topic.submit")
    if request.user.pk not in (topic.proposer_id, topic.filed_by_id):
        raise PermissionDenied
    try:
        services.submit_topic(topic, by=request.user, expected_version=_version(request))
        messages.success(request, _("Your topic is submitted and open for co-signing."))
    except ValidationError as error:
        _fail(request, error)
    return redirect("topic_detail", topic_id)


@login_required
@require_POST
def topic_cosign(request, topic_id):
    topic = topic_for(request.user, topic_id, "topic.cosign")
    try:
        topic = services.cosign_topic(topic, by=request.user)
        if topic.phase == Phase.TRIAGE:
            messages.success(
                request, _("Thank you. The topic has enough co-signs and goes to the community.")
            )
        else:
            messages.success(request, _("Thank you for co-signing."))
    except ValidationError as error:
        _fail(request, error)
    return _after_action(request, topic_id, "cosign")


@login_required
@require_POST
def topic_follow(request, topic_id):
    topic = topic_for(request.user, topic_id, "topic.follow")
    follow = request.POST.get("follow") != "0"
    services.follow_topic(topic, by=request.user, follow=follow)
    return _after_action(request, topic_id, "follow")


def _step_page(request, topic, template, form, extra=None):
    context = {"topic": topic, "community": topic.community, "form": form, **(extra or {})}
    status = 400 if request.method == "POST" else 200
    return TemplateResponse(request, template, context, status=status)


def _step_topic(request, topic_id, action, not_now):
    """The topic for a step's page, and a redirect to it saying `not_now` when the step's
    form is asked for in a phase where the member may not take it."""
    topic = topic_for(request.user, topic_id, action)
    if request.method == "GET" and not may(
        roles_of(request.user, topic.community_id), action, topic.phase
    ):
        messages.error(request, not_now)
        return topic, redirect(topic)
    return topic, None


@login_required
@require_http_methods(["GET", "POST"])
def topic_triage(request, topic_id):
    topic, gone = _step_topic(
        request, topic_id, "topic.triage", _("This topic is not waiting for acceptance.")
    )
    if gone:
        return gone
    form = TriageForm(request.POST or None, topic=topic, initial={"version": topic.version})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.triage_topic(
                topic,
                by=request.user,
                outcome=data["outcome"],
                reason=data["reason"],
                merge_into=data.get("merge_into"),
                is_major=data.get("is_major"),
                expected_version=data["version"],
            )
            if data["outcome"] == services.Outcome.ORDER:
                messages.success(request, _("The order was sent to the unit."))
            else:
                messages.success(request, _("The outcome is recorded and published."))
            return redirect(topic)
        except ValidationError as error:
            form.add_error(None, error)
    topic.community_due = services.triage_due(topic)
    return _step_page(request, topic, "deliberation/topic_triage.html", form)


@login_required
@require_http_methods(["GET", "POST"])
def topic_decide(request, topic_id):
    topic, gone = _step_topic(
        request, topic_id, "topic.decide", _("Only a topic under discussion can be decided.")
    )
    if gone:
        return gone
    form = DecisionForm(
        request.POST or None,
        initial={"version": topic.version, "decided_on": timezone.localdate()},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.record_decision(
                topic,
                by=request.user,
                text=data["text"],
                decided_by=data["decided_by"],
                decided_on=data["decided_on"],
                expected_version=data["version"],
            )
            messages.success(request, _("The decision is recorded and posted on the notice board."))
            return redirect(topic)
        except ValidationError as error:
            form.add_error(None, error)
    vote = services.vote_result_for(topic) if topic.needs_owner_vote else None
    return _step_page(
        request,
        topic,
        "deliberation/topic_decide.html",
        form,
        {"vote": vote, "vote_missing": topic.needs_owner_vote and vote is None},
    )


@login_required
@require_http_methods(["GET", "POST"])
def topic_withdraw(request, topic_id):
    topic = topic_for(request.user, topic_id, "topic.withdraw")
    if request.user.pk not in (topic.proposer_id, topic.filed_by_id):
        raise PermissionDenied
    form = WithdrawForm(request.POST or None, initial={"version": topic.version})
    if request.method == "POST" and form.is_valid():
        try:
            services.withdraw_topic(
                topic,
                by=request.user,
                reason=form.cleaned_data["reason"],
                expected_version=form.cleaned_data["version"],
            )
            messages.success(request, _("The topic is withdrawn."))
            return redirect(topic)
        except ValidationError as error:
            form.add_error(None, error)
    return _step_page(request, topic, "deliberation/topic_withdraw.html", form)


# ---- comments ---------------------------------------------------------------------------


def _comment_of(topic, comment_id):
    return get_object_or_404(Comment.objects.select_related("author"), topic=topic, pk=comment_id)


@login_required
@require_POST
def comment_react(request, topic_id, comment_id):
    topic = topic_for(request.user, topic_id, "topic.react")
    comment = _comment_of(topic, comment_id)
    form = ReactForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Please choose a reaction from the buttons shown."))
    else:
        try:
            services.react(comment, by=request.user, kind=form.cleaned_data["kind"])
        except ValidationError as error:
            _fail(request, error)
    if not request.htmx:
        return redirect(topic.get_absolute_url() + f"#comment-{comment.pk}")
    return _render_detail(request, _detail_topic(request.user, topic_id), "comments")


@login_required
@require_http_methods(["GET", "POST"])
def comment_report(request, topic_id, comment_id):
    return _comment_with_reason(
        request,
        topic_id,
        comment_id,
        "report",
        permission="topic.report",
        service=services.report_comment,
        done=_("Thank you. A moderator will look at the comment."),
    )


@login_required
@require_http_methods(["GET", "POST"])
def comment_hide(request, topic_id, comment_id):
    return _comment_with_reason(
        request,
        topic_id,
        comment_id,
        "hide",
        permission="topic.moderate",
        service=services.hide_comment,
        done=_("The comment is hidden."),
    )


def _comment_with_reason(request, topic_id, comment_id, action, *, permission, service, done):
    """Report or hide a comment: a page asking for the reason, then `service` with it."""
    topic = topic_for(request.user, topic_id, permission)
    comment = _comment_of(topic, comment_id)
    form = ReasonForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            service(comment, by=request.user, reason=form.cleaned_data["reason"])
            messages.success(request, done)
            return redirect(topic)
        except ValidationError as error:
            form.add_error(None, error)
    return _step_page(
        request,
        topic,
        "deliberation/topic_comment_action.html",
        form,
        {"comment": comment, "action": action},
    )


# ---- polls ------------------------------------------------------------------------------


@login_required
@require_POST
def poll_create(request, topic_id):
    topic = topic_for(request.user, topic_id, "topic.poll")
    form = PollForm(request.POST)
    if form.is_valid():
        try:
            services.create_poll(topic, by=request.user, **form.cleaned_data)
            messages.success(request, _("The poll is open."))
            return redirect(topic.get_absolute_url() + "#polls")
        except ValidationError as error:
            form.add_error(None, error)
    topic = _detail_topic(request.user, topic_id)
    return _render_detail(
        request, topic, "polls" if request.htmx else None, status=400, poll_form=form
    )


@login_required
@require_POST
def poll_vote(request, topic_id, poll_id):
    topic = topic_for(request.user, topic_id, "topic.poll_vote")
    poll = get_object_or_404(Poll, topic=topic, pk=poll_id)
    form = PollVoteForm(request.POST, poll=poll)
    if not form.is_valid():
        messages.error(request, _("Please choose from the options shown."))
    else:
        try:
            services.cast_poll_vote(poll, by=request.user, option_ids=form.cleaned_data["choice"])
            messages.success(request, _("Thank you, your answer is counted."))
        except ValidationError as error:
            _fail(request, error)
    return _after_action(request, topic_id, "polls")


# ---- photos and history -----------------------------------------------------------------


@login_required
@require_GET
def topic_photo(request, topic_id, photo_id):
    topic = topic_for(request.user, topic_id, "topic.view")
    photo = TopicPhoto.objects.filter(topic=topic, pk=photo_id).first()
    if photo is None:
        raise Http404
    return serve_private(photo.path, photo.content_type)


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
