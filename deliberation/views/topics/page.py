"""The topic page: its cached parts and comments, what the member may do there, a comment added,
and the page (or its htmx partial) shown again after an action."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import BooleanField, Count, OuterRef, Prefetch, Subquery
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce
from django.http import Http404
from django.middleware.csrf import get_token
from django.shortcuts import redirect
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods
from django.views.decorators.vary import vary_on_headers

from deliberation.access import roles_of, topic_for
from deliberation.forms.topics import (
    CommentForm,
    PollForm,
    PollVoteForm,
)
from deliberation.models import (
    Comment,
    CommentReaction,
    CoSign,
    Follow,
    Phase,
    Poll,
    PollOption,
    PollVote,
    Reaction,
    Topic,
    TopicPhoto,
)
from deliberation.permissions import may
from deliberation.services import topics as services
from deliberation.uploads import serve_private
from deliberation.views.topics.history import describe_all, history_with_tasks
from deliberation.views.topics.listing import _decorate
from plumbing import fragments
from plumbing.prepared import Prepared

# A topic page is two cached fragments (plumbing.fragments) and what is personal about it:
# - "comments": one page of comments, per page and what the member may do with them
#   (react, reply, moderate); bumped as ("comments", topic) by add_comment, react and
#   hide_comment. The member's CSRF token and own reactions are filled in per request.
# - "topic": the topic's own account, its recent history and whether it has polls; bumped
#   as ("topic", topic) by record_audit for every audited change to the topic. Staff, who
#   see acceptance deadlines run out, get it fresh.
# The list's rows are a third, "topics", bumped as ("topics", community) (docs/topics.md).

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


def _fail(request, error):
    for text in getattr(error, "messages", [str(error)]):
        messages.error(request, text)


def _try(request, call, done):
    """Call the service (`call()`) and say `done` (a function: of what the service returned);
    a refusal is said instead, and changes nothing."""
    try:
        result = call()
    except ValidationError as error:
        _fail(request, error)
    else:
        messages.success(request, done(result) if callable(done) else done)


def _version(request):
    try:
        return int(request.POST.get("version", ""))
    except ValueError:
        return None


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
@require_GET
def topic_photo(request, topic_id, photo_id):
    topic = topic_for(request.user, topic_id, "topic.view")
    photo = TopicPhoto.objects.filter(topic=topic, pk=photo_id).first()
    if photo is None:
        raise Http404
    return serve_private(photo.path, photo.content_type)
