"""The notice board (公示栏): current and past notices of a community, each printable."""

from datetime import timedelta
from typing import NamedTuple

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Min, Q
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_headers

from deliberation import fragments
from deliberation.access import community_for
from deliberation.models import Notice

PAGE_SIZE = 20


@login_required
@require_GET
@vary_on_headers("HX-Request")
def notice_board(request, community_id):
    community = community_for(request.user, community_id, "notice.view")
    board = _board(community, fragments.requested_page(request.GET.get("page")))
    context = {
        "community": community,
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


def _board(community, number):
    """The board's cards as HTML, the same for every member.

    Cached per community version (publish_notice bumps it) until the next moment a notice goes
    up or comes down, since time alone moves notices from "now posted" to "past".
    """
    now = timezone.now()
    fragment = fragments.Fragment("notices", [("notices", community.pk)], number)
    (board,) = fragments.fetch(fragment)
    if board is not None and now < board["until"]:
        return board
    base = Notice.objects.filter(community=community).select_related("superseded_by")
    current = list(base.current(now))
    past = Paginator(base.past(now), PAGE_SIZE).get_page(number)
    upcoming = Notice.objects.filter(community=community).aggregate(
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


@login_required
@require_GET
def notice_detail(request, community_id, notice_id):
    community = community_for(request.user, community_id, "notice.view")
    notice = get_object_or_404(
        Notice.objects.select_related("supersedes", "superseded_by"),
        community=community,
        pk=notice_id,
    )
    return TemplateResponse(
        request,
        "deliberation/notice_detail.html",
        {"community": community, "notice": notice, "now": timezone.now()},
    )
