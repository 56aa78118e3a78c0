"""Turnout while the vote is open: the figures, the non-voters, reminders."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods
from django.views.decorators.vary import vary_on_headers

from deliberation.permissions import may
from deliberation.services import votes as svc
from deliberation.views.votes.access import _refuse_to, vote_for


@login_required
@vary_on_headers("HX-Request")
@require_http_methods(["GET", "POST"])
def vote_turnout(request, vote_id):
    vote = vote_for(request.user, vote_id, "vote.turnout")
    roles = svc.vote_roles(request.user, vote)
    state = vote.state
    if not may(roles, "vote.turnout", state):
        return _refuse_to(request, _("Turnout is shown once voting opens."), "vote_detail", vote.pk)
    if request.method == "POST":
        count = svc.remind_non_voters(vote, by=request.user)
        messages.success(request, _("%(n)s owners were reminded.") % {"n": count})
        return redirect("vote_turnout", vote.pk)
    version = svc.turnout_version(vote)
    if request.htmx and request.GET.get("since") == version:
        # The poll's figures are still current: no count, and nothing for htmx to swap (so a
        # screen reader does not hear the same live region again).
        return HttpResponse(status=204)
    page = None
    if may(roles, "vote.non_voters", state):
        page = Paginator(svc.non_voters(vote, request.user), 50).get_page(request.GET.get("page"))
    context = {
        "vote": vote,
        "version": version,
        "rows": svc.turnout(vote),
        "page": page,
        "can_remind": may(roles, "vote.remind", state),
    }
    name = "deliberation/vote_turnout.html" + ("#figures" if request.htmx else "")
    return TemplateResponse(request, name, context)
