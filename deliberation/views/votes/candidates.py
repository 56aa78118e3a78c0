"""An election's or a selection's candidates: registered, self-nominated, vetted."""

from functools import partial

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from deliberation.forms.votes import (
    CandidateForm,
    VetForm,
)
from deliberation.models import (
    Candidate,
    Role,
    VoteMatter,
)
from deliberation.permissions import may
from deliberation.services import votes as svc
from deliberation.services.votes import VoteError
from deliberation.views.votes.access import _refuse_to, _run, vote_for


@login_required
@require_http_methods(["GET", "POST"])
def vote_candidates(request, vote_id, matter_id):
    vote = vote_for(request.user, vote_id, "vote.view")
    matter = get_object_or_404(
        VoteMatter, pk=matter_id, vote=vote, kind__in=["election", "selection"]
    )
    roles = svc.vote_roles(request.user, vote)
    can_enter = may(roles, "vote.vet", vote.state)
    can_self = may(roles, "vote.nominate", vote.state) and Role.OWNER in roles
    form = CandidateForm(request.POST or None, community=vote.community) if can_enter else None
    status = 200
    if request.method == "POST":
        self_nomination = request.POST.get("self") == "1"
        if not (can_enter or (self_nomination and can_self)):
            raise PermissionDenied
        try:
            if self_nomination:
                svc.register_candidate(
                    matter, name="", nominated_by=Candidate.Nomination.SELF, by=request.user
                )
                messages.success(request, _("You are registered as a candidate, awaiting vetting."))
                return redirect("vote_candidates", vote.pk, matter.pk)
            if form.is_valid():
                data = form.cleaned_data
                data["nominators"] = data.get("nominators") or 0
                svc.register_candidate(matter, by=request.user, **data)
                messages.success(request, _("Candidate registered, awaiting vetting."))
                return redirect("vote_candidates", vote.pk, matter.pk)
        except VoteError as error:
            if form is None:
                return _refuse_to(request, error, "vote_candidates", vote.pk, matter.pk)
            form.add_error(None, error)
        status = 400
    candidates = matter.candidates.order_by("pk")
    if not can_enter:
        candidates = candidates.filter(vetting_result="approved")
    candidates = list(candidates)
    for candidate in candidates:
        # One vetting form per candidate, with ids of its own (labels point at their own field).
        candidate.vet_form = VetForm(auto_id=f"id_c{candidate.pk}_%s")
    return TemplateResponse(
        request,
        "deliberation/vote_candidates.html",
        {
            "vote": vote,
            "matter": matter,
            "candidates": candidates,
            "form": form,
            "can_enter": can_enter,
            "can_self": can_self,
        },
        status=status,
    )


@login_required
@require_POST
def vote_vet_candidate(request, vote_id, candidate_id):
    vote = vote_for(request.user, vote_id, "vote.vet")
    candidate = get_object_or_404(Candidate, pk=candidate_id, matter__vote=vote)
    form = VetForm(request.POST)
    if not form.is_valid():
        refusal = _("Choose qualified or not qualified.")
        return _refuse_to(request, refusal, "vote_candidates", vote.pk, candidate.matter_id)
    vet = partial(svc.vet_candidate, candidate, by=request.user, **form.cleaned_data)
    done = _("Vetting recorded.")
    return _run(request, vet, done, "vote_candidates", vote.pk, candidate.matter_id)
