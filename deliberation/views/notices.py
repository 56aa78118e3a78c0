"""The notice board (公示栏): current and past notices of a community, each printable.

The board is public: anyone, signed in or not, reads the public kinds of notice
(`PUBLIC_NOTICE_KINDS`); members read all of their community's. A notice of another kind is
404 to outsiders, as if it did not exist. During a notice's period residents and owners file
objections (异议) on its page, the committee and community workers answer them there, and the
notice shows how many were filed and answered.
"""

from datetime import timedelta
from typing import NamedTuple

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Min, Q
from django.shortcuts import get_object_or_404, redirect
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods
from django.views.decorators.vary import vary_on_headers

from deliberation.access import community_ids_of, roles_of
from deliberation.delivery import record_view
from deliberation.forms.notices import AnswerObjectionForm, ObjectionForm
from deliberation.models import Community, Notice, Objection, Role
from deliberation.notices import answer_objection, file_objection
from deliberation.permissions import may
from deliberation.views.form_errors import apply_call
from plumbing import fragments

PAGE_SIZE = 20


def board_for(user, community_id):
    """(community, member): any community's board is there for anyone; members see more."""
    community = get_object_or_404(Community, pk=community_id)
    return community, community.pk in community_ids_of(user)


def with_objection_counts(notices):
    return notices.annotate(
        objections_total=Count("objections"),
        objections_answered=Count("objections", filter=Q(objections__answered_at__isnull=False)),
    ).order_by(*Notice._meta.ordering)  # a grouped query drops the model's ordering


@require_GET
@vary_on_headers("HX-Request")
def notice_board(request, community_id):
    community, member = board_for(request.user, community_id)
    board = _board(community, member, fragments.requested_page(request.GET.get("page")))
    context = {
        "community": community,
        "member": member,
        "board": board,
        "current": board["current"],
        "past": fragments.PageLinks(
            board["number"], num_pages=board["pages"], items=board["past_shown"]
        ),
    }
    name = "deliberation/notice_board.html" + ("#past" if request.htmx else "")
    return TemplateResponse(request, name, context)


class Shown(NamedTuple):
    """A notice on the board, as the cached board remembers it."""

    pk: int
    title: str


def _board(community, member, number):
    """The board's cards as HTML, the same for every member (and for every outsider).

    Cached per community version (publish_notice and objections bump it) and audience until
    the next moment a notice goes up or comes down, since time alone moves notices from "now
    posted" to "past".
    """
    now = timezone.now()
    audience = "members" if member else "public"
    fragment = fragments.Fragment("notices", [("notices", community.pk)], audience, number)
    (board,) = fragments.fetch(fragment)
    if board is not None and now < board["until"]:
        return board
    readable = Notice.objects.filter(community=community).readable(member)
    base = with_objection_counts(readable.select_related("superseded_by"))
    current = list(base.current(now))
    past = Paginator(base.past(now), PAGE_SIZE).get_page(number)
    upcoming = readable.aggregate(
        start=Min("published_at", filter=Q(published_at__gt=now)),
        end=Min("ends_at", filter=Q(ends_at__gt=now)),
    )
    moments = [m for m in upcoming.values() if m is not None]
    board = {
        "current_html": _cards(community, current, "current"),
        "past_html": _cards(community, past, "past"),
        "current": [Shown(n.pk, n.title) for n in current],
        "past_shown": [Shown(n.pk, n.title) for n in past],
        "number": past.number,
        "pages": past.paginator.num_pages,
        "until": min(moments, default=now + timedelta(seconds=fragments.TIMEOUT)),
    }
    # Only pages that exist: a made-up page number shows the last page, uncached.
    if past.number == number:
        timeout = min(fragments.TIMEOUT, max(1, int((board["until"] - now).total_seconds())))
        fragment.store(board, timeout)
    return board


def _cards(community, notices, section):
    html = render_to_string(
        "deliberation/notice_cards.html",
        {"community": community, "notices": notices, "section": section},
    )
    return mark_safe(html)  # noqa: S308 - escaped by the template engine


@require_http_methods(["GET", "HEAD", "POST"])
def notice_detail(request, community_id, notice_id):
    """A notice; POST `action=object` files an objection, `action=answer` answers one."""
    community, member = board_for(request.user, community_id)
    notice = get_object_or_404(
        with_objection_counts(
            Notice.objects.readable(member).select_related("supersedes", "superseded_by")
        ),
        community=community,
        pk=notice_id,
    )
    if request.method == "POST" and not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    record_view(notice, request.user)
    roles = roles_of(request.user, community)
    action = request.POST.get("action") if request.method == "POST" else None
    if action not in (None, "object", "answer"):
        return TemplateResponse(request, "deliberation/task_bad_request.html", {}, status=400)
    if action and not may(roles, f"notice.{action}", notice.kind):
        raise PermissionDenied
    objection_form = ObjectionForm(request.POST if action == "object" else None)
    answer_form = AnswerObjectionForm(request.POST if action == "answer" else None)
    if action == "object" and _object(request, notice, objection_form):
        messages.success(request, _("Your objection was recorded. You will be told of the answer."))
        return redirect(notice)
    if action == "answer" and _answer(request, notice, answer_form):
        messages.success(request, _("The answer was recorded and its author told."))
        return redirect(notice)
    return TemplateResponse(
        request,
        "deliberation/notice_detail.html",
        {
            "community": community,
            "notice": notice,
            "now": timezone.now(),
            "member": member,
            "posted": notice.is_posted(),
            "may_object": may(roles, "notice.object", notice.kind),
            "owners_only": not may({Role.RESIDENT}, "notice.object", notice.kind),
            "objection_form": objection_form,
            "answer_form": answer_form,
            "answering": answer_form.data.get("objection") if answer_form.is_bound else None,
            "objections": _objections_shown(request.user, notice, roles),
            "can_answer": may(roles, "notice.answer", notice.kind),
        },
    )


def _object(request, notice, form):
    text = form.cleaned_data["text"] if form.is_valid() else None
    return text is not None and apply_call(
        form, lambda: file_objection(notice, by=request.user, text=text)
    )


def _answer(request, notice, form):
    if not form.is_valid():
        return False
    objection = get_object_or_404(Objection, notice=notice, pk=form.cleaned_data["objection"])
    text = form.cleaned_data["answer"]
    return apply_call(form, lambda: answer_objection(objection, by=request.user, text=text))


def _objections_shown(user, notice, roles):
    """Those who answer see every objection; an author sees their own; others the counts."""
    objections = Objection.objects.filter(notice=notice).select_related("author", "answered_by")
    if may(roles, "notice.answer", notice.kind):
        return list(objections)
    if user.is_authenticated:
        return list(objections.filter(author=user))
    return []
