"""Proxy mandates: registered with their document, cast as instructed by the agent."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from deliberation.forms.votes import (
    MandateForm,
)
from deliberation.models import (
    ProxyMandate,
)
from deliberation.permissions import ALLOWED
from deliberation.services import votes as svc
from deliberation.services.votes import VoteError
from deliberation.uploads import delete_private, serve_private, store_private
from deliberation.views.votes.access import _refuse_to, vote_for


@login_required
@require_http_methods(["GET", "POST"])
def vote_mandates(request, vote_id):
    vote = vote_for(request.user, vote_id, "vote.register_mandate")
    form = MandateForm(request.POST or None, request.FILES or None, vote=vote)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data, content_type = form.cleaned_data["document"]
            path = store_private(
                data,
                folder="votes/mandates",
                suffix=".pdf" if content_type == "application/pdf" else ".jpg",
            )
            try:
                svc.register_mandate(
                    vote,
                    holder=form.cleaned_data["unit"].holder,
                    agent=form.cleaned_data["agent"],
                    instructions=form.instructions(),
                    document=path,
                    document_type=content_type,
                    by=request.user,
                )
            except VoteError as error:
                delete_private(path)
                form.add_error(None, error)
            else:
                messages.success(request, _("Mandate registered."))
                return redirect("vote_mandates", vote.pk)
        status = 400
    mandates = (
        ProxyMandate.objects.filter(vote=vote)
        .select_related("holder", "agent")
        .prefetch_related("matters")
        .order_by("-pk")
    )
    return TemplateResponse(
        request,
        "deliberation/vote_mandates.html",
        {"vote": vote, "form": form, "mandates": mandates},
        status=status,
    )


@login_required
@require_safe
def vote_mandate_document(request, vote_id, mandate_id):
    vote = vote_for(request.user, vote_id, "vote.view")
    mandate = get_object_or_404(ProxyMandate, pk=mandate_id, vote=vote)
    roles = svc.vote_roles(request.user, vote)
    if mandate.agent_id != request.user.pk and not roles & (
        ALLOWED["vote.convene"]["*"] | {"vote:teller"}
    ):
        raise PermissionDenied
    return serve_private(mandate.document, mandate.document_type)


@login_required
@require_POST
def vote_cast_as_proxy(request, vote_id, mandate_id):
    vote = vote_for(request.user, vote_id, "vote.view")
    mandate = get_object_or_404(ProxyMandate, pk=mandate_id, vote=vote)
    if mandate.agent_id != request.user.pk:
        raise PermissionDenied
    try:
        code, _ballots = svc.cast_as_instructed(mandate, by=request.user)
    except VoteError as error:
        return _refuse_to(request, error, "vote_detail", vote.pk)
    messages.success(
        request,
        _("Cast as instructed for %(name)s. Receipt code: %(code)s")
        % {"name": mandate.holder.name, "code": code},
    )
    return redirect("vote_detail", vote.pk)
