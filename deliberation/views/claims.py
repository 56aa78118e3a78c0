"""Claiming a flat in the owners' register (业主认证), and workers answering the claims."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from deliberation.access import community_for
from deliberation.forms.claims import ClaimAnswerForm, FlatClaimForm
from deliberation.models import ClaimStatus, FlatClaim
from deliberation.services import claims as svc


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def flat_claim(request):
    form = FlatClaimForm(request.POST or None)
    asking = request.POST.get("action") == "ask"
    if request.method == "POST" and form.is_valid() and (asking or form.require_last4()):
        try:
            if asking:
                svc.request_flat_check(request.user, form.unit, name=form.cleaned_data["name"])
                messages.success(
                    request,
                    _(
                        "Your request was sent. A community worker will check your property "
                        "certificate and identity card and link the flat."
                    ),
                )
            else:
                svc.claim_flat(
                    request.user,
                    form.unit,
                    name=form.cleaned_data["name"],
                    id_last4=form.cleaned_data["id_last4"],
                )
                messages.success(request, _("The register agrees: the flat is now linked."))
            return redirect("my_units")
        except svc.ClaimError as problem:
            form.add_error(None, str(problem))
    return TemplateResponse(
        request,
        "deliberation/flat_claim.html",
        {"form": form, "tries_left": svc.tries_left(request.user)},
        status=400 if request.method == "POST" else 200,
    )


def _claims_page(request, community, bound=None, status=200):
    pending = list(
        FlatClaim.objects.filter(community=community, status=ClaimStatus.PENDING)
        .select_related("user", "unit__building__estate")
        .order_by("created_at", "pk")
    )
    for claim in pending:
        holders = svc.unit_holders(claim.unit)
        claim.holders = holders
        claim.form = (
            bound[1] if bound and bound[0] == claim.pk else ClaimAnswerForm(holders=holders)
        )
    return TemplateResponse(
        request,
        "deliberation/flat_claims.html",
        {"community": community, "claims": pending},
        status=status,
    )


@login_required
@require_safe
def flat_claims(request, community_id):
    community = community_for(request.user, community_id, "registry.claim_review")
    return _claims_page(request, community)


@login_required
@require_POST
def flat_claim_answer(request, community_id, claim_id):
    community = community_for(request.user, community_id, "registry.claim_review")
    claim = get_object_or_404(
        FlatClaim.objects.select_related("unit"), pk=claim_id, community=community
    )
    form = ClaimAnswerForm(
        request.POST, holders=svc.unit_holders(claim.unit), action=request.POST.get("action")
    )
    if form.is_valid():
        try:
            if form.action == "confirm":
                svc.confirm_claim(claim.pk, form.cleaned_data["holder"], by=request.user)
                messages.success(request, _("The flat is linked to the account."))
            else:
                svc.decline_claim(claim.pk, by=request.user, reason=form.cleaned_data["reason"])
                messages.success(request, _("The request is declined; the person sees why."))
            return redirect("flat_claims", community.pk)
        except svc.ClaimError as problem:
            form.add_error(None, str(problem))
    return _claims_page(request, community, bound=(claim.pk, form), status=400)
