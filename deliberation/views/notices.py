"""The notice board (公示栏): current and past notices of a community, each printable."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.utils import timezone
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_headers

from deliberation.access import community_for
from deliberation.models import Notice

PAGE_SIZE = 20


@login_required
@require_GET
@vary_on_headers("HX-Request")
def notice_board(request, community_id):
    community = community_for(request.user, community_id, "notice.view")
    now = timezone.now()
    base = Notice.objects.filter(community=community).select_related("superseded_by")
    current = list(base.current(now))
    past = Paginator(base.past(now), PAGE_SIZE).get_page(request.GET.get("page"))
    name = "deliberation/notice_board.html" + ("#past" if request.htmx else "")
    return TemplateResponse(
        request, name, {"community": community, "current": current, "past": past, "now": now}
    )


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
