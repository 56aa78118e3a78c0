"""After voting: the count, the tellers' confirmations, the published result, by-elections,
the export by building, and the individual ballots for tellers."""

import io
from datetime import timedelta
from functools import partial

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import OuterRef, Subquery
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_POST, require_safe

from deliberation.forms.votes import (
    WindowForm,
)
from deliberation.models import (
    Ballot,
    ElectorateEntry,
    MatterKind,
    VoteMatter,
    VoteState,
)
from deliberation.permissions import ALLOWED
from deliberation.services import votes as svc
from deliberation.services.votes import VoteError
from deliberation.views.votes.access import _can, _refuse_to, _run, vote_for


@login_required
@require_safe
def vote_result(request, vote_id):
    vote = vote_for(request.user, vote_id, "vote.view")
    roles = svc.vote_roles(request.user, vote)
    state = vote.state
    see_unpublished = bool(roles & (ALLOWED["vote.convene"]["*"] | {"vote:teller"}))
    if state != VoteState.PUBLISHED and not see_unpublished:
        return _refuse_to(request, _("The result is not published yet."), "vote_detail", vote.pk)
    can = _can(
        request,
        vote,
        "vote.tally",
        "vote.confirm",
        "vote.publish_result",
        "vote.export",
        "vote.by_election",
        "vote.delivery",
    )
    context = {
        "vote": vote,
        "state": state,
        "result": svc.result_context(vote),
        "confirmations": vote.confirmations.select_related("teller"),
        "needed": svc.confirmations_needed(vote),
        "can": can,
        "window_form": WindowForm(),
        # The count would be refused: the button gives way to the ballots to finish first.
        "paper_unfinished": svc.paper_worklist(vote) if state == VoteState.CLOSED else [],
        "publish_by": vote.closes_at + timedelta(days=vote.community.result_notice_days),
        "elections": _next_rounds(vote) if can["by_election"] else [],
    }
    return TemplateResponse(request, "deliberation/vote_result.html", context)


def _next_rounds(vote):
    """The election and selection matters with what their next round starts with: the seats
    left open and the candidates who stood and were not elected; a company selection run from
    a plan goes on from the plan's page."""
    plan = vote.selection_plans.first()
    matters = vote.matters.filter(kind__in=[MatterKind.ELECTION, MatterKind.SELECTION])
    rounds = []
    for matter in matters.select_related("result").order_by("position"):
        matter.seats_open, matter.standing = svc.by_election_plan(matter)
        matter.plan = plan if matter.kind == MatterKind.SELECTION else None
        if matter.seats_open:
            rounds.append(matter)
    return rounds


def _result_action(request, vote_id, action, service, done):
    vote = vote_for(request.user, vote_id, action)
    return _run(request, partial(service, vote, by=request.user), done, "vote_result", vote.pk)


@login_required
@require_POST
def vote_tally(request, vote_id):
    return _result_action(request, vote_id, "vote.tally", svc.tally_vote, _("Counted."))


@login_required
@require_POST
def vote_confirm(request, vote_id):
    return _result_action(
        request, vote_id, "vote.confirm", svc.confirm_result, _("Your confirmation is recorded.")
    )


@login_required
@require_POST
def vote_publish_result(request, vote_id):
    return _result_action(
        request,
        vote_id,
        "vote.publish_result",
        svc.publish_result,
        _("The result is published on the notice board."),
    )


@login_required
@require_POST
def vote_by_election(request, vote_id, matter_id):
    vote = vote_for(request.user, vote_id, "vote.by_election")
    matter = get_object_or_404(VoteMatter, pk=matter_id, vote=vote)
    form = WindowForm(request.POST)
    if not form.is_valid():
        return _refuse_to(request, _("Give when voting opens and closes."), "vote_result", vote.pk)
    try:
        new_vote = svc.start_by_election(vote, matter, by=request.user, **form.cleaned_data)
    except VoteError as error:
        return _refuse_to(request, error, "vote_result", vote.pk)
    messages.success(request, _("By-election created. Add candidates, then publish."))
    return redirect("vote_manage", new_vote.pk)


@login_required
@require_safe
def vote_export(request, vote_id):
    from openpyxl import Workbook

    vote = vote_for(request.user, vote_id, "vote.export")
    if not svc.may_vote_action(request.user, vote, "vote.export"):
        return _refuse_to(
            request, _("The export is ready after the count."), "vote_detail", vote.pk
        )
    book = Workbook()
    sheet = book.active
    sheet.title = _("Count by building")[:31]
    sheet.append([_("Matter"), _("Building"), _("Choice"), _("Units"), _("Area (m²)")])
    labels = {
        "yes": pgettext("ballot choice", "Agree"),
        "no": _("Oppose"),
        "abstain": _("Abstain"),
        "spoiled": _("Spoiled"),
        "list": _("Candidates marked"),
        None: _("Did not vote"),
    }
    for matter, rows in svc.building_breakdown(vote):
        for row in rows:
            sheet.append(
                [
                    matter.title,
                    row["building_name"],
                    str(labels.get(row["choice"], row["choice"])),
                    row["units"],
                    row["area"],
                ]
            )
    out = io.BytesIO()
    book.save(out)
    response = HttpResponse(
        out.getvalue(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f'attachment; filename="vote-{vote.pk}-count.xlsx"'
    return response


@login_required
@require_safe
def vote_ballots(request, vote_id):
    """Individual choices, for the vote's tellers only (owners see their own on the vote page)."""
    vote = vote_for(request.user, vote_id, "vote.see_choices")
    # Each ballot with its head's first flat, in natural order (101 before 1001).
    flats = ElectorateEntry.objects.filter(vote=vote, head=OuterRef("head")).order_by("sort_key")
    ballots = (
        Ballot.objects.filter(vote=vote)
        .select_related("matter", "holder", "cast_by")
        .prefetch_related("selections__candidate")
        .annotate(
            flat=Subquery(flats.values("unit_label")[:1]),
            flat_key=Subquery(flats.values("sort_key")[:1]),
        )
        .order_by("matter__position", "flat_key", "pk")
    )
    page = Paginator(ballots, 50).get_page(request.GET.get("page"))
    return TemplateResponse(request, "deliberation/vote_ballots.html", {"vote": vote, "page": page})
