"""Convening a vote: the community's votes and a new one, its matters and their documents,
tellers, the notice, cancelling, and the electorate frozen at notice with its amendments."""

from functools import partial

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from deliberation.access import (
    community_for,
    estates_where,
    raise_not_found,
)
from deliberation.forms.votes import (
    AmendForm,
    AttachmentForm,
    ConveneForm,
    MatterForm,
    ReasonForm,
    TellerForm,
)
from deliberation.models import (
    AssemblyVote,
    ElectorateEntry,
    VoteMatter,
)
from deliberation.permissions import ALLOWED, may
from deliberation.services import votes as svc
from deliberation.services.votes import VoteError
from deliberation.uploads import delete_private, serve_private, store_private, suffix_for
from deliberation.views.votes.access import _can, _refuse_to, _run, may_manage, vote_for


@login_required
@require_http_methods(["GET", "POST"])
def vote_list(request, community_id):
    community = community_for(request.user, community_id)
    estates = estates_where(request.user, community, "vote.convene")
    can_convene = bool(estates)
    form = None
    if can_convene:
        initial = {"topic": request.GET.get("topic")} if request.GET.get("topic") else None
        form = ConveneForm(
            request.POST or None, community=community, estates=estates, initial=initial
        )
    if request.method == "POST":
        if not can_convene:
            raise PermissionDenied
        if form.is_valid():
            data = form.cleaned_data
            try:
                vote = svc.convene_vote(by=request.user, **data)
            except VoteError as error:
                form.add_error(None, error)
            else:
                messages.success(request, _("Vote created. Add its matters, then publish."))
                return redirect("vote_manage", vote.pk)
    rows = (
        AssemblyVote.objects.filter(community=community)
        .select_related("estate")
        .annotate(matter_count=Count("matters", distinct=True))
        .order_by("-opens_at", "-pk")
    )
    rows = rows.exclude(~Q(estate__in=estates), status="draft")  # drafts: those who run them
    page = Paginator(rows, 20).get_page(request.GET.get("page"))
    status = 400 if form is not None and form.errors else 200
    return TemplateResponse(
        request,
        "deliberation/vote_list.html",
        {"community": community, "page": page, "form": form},
        status=status,
    )


@login_required
@require_safe
def vote_manage(request, vote_id):
    vote = vote_for(request.user, vote_id, "vote.convene")
    return _manage_page(request, vote)


def _manage_page(request, vote, status=200, **forms):
    matters = list(vote.matters.order_by("position").annotate(n=Count("candidates")))
    failed = forms.get("attachment_form")
    for matter in matters:
        # One upload form per matter, with ids of its own; the one that failed keeps its errors.
        if failed is not None and failed.matter_id == matter.pk:
            matter.attachment_form = failed
        else:
            matter.attachment_form = AttachmentForm(auto_id=f"id_m{matter.pk}_%s")
    checks = svc.notice_checks(vote) if vote.status == "draft" else []
    context = {
        "vote": vote,
        "state": vote.state,
        "matters": matters,
        "tellers": vote.tellers.select_related("user"),
        "matter_form": forms.get("matter_form") or MatterForm(),
        "teller_form": forms.get("teller_form") or TellerForm(),
        "cancel_form": forms.get("cancel_form") or ReasonForm(),
        "checks": checks,
        "any_short": any(check.short for check in checks),
        "can": _can(
            request, vote, "vote.edit", "vote.publish_notice", "vote.appoint_teller", "vote.cancel"
        ),
    }
    return TemplateResponse(request, "deliberation/vote_manage.html", context, status=status)


def _manage_form(request, vote, name, form, call, done, field=None):
    """A form of the manage page, posted: valid, the service is called with its data
    (`call(data)`), `done` is said and the page shown afresh; otherwise the page again with
    the form (as `name`) and why (on `field`, or the whole form)."""
    if form.is_valid():
        try:
            call(form.cleaned_data)
        except VoteError as error:
            form.add_error(field, error)
        else:
            messages.success(request, done)
            return redirect("vote_manage", vote.pk)
    return _manage_page(request, vote, status=400, **{name: form})


@login_required
@require_POST
def vote_add_matter(request, vote_id):
    vote = vote_for(request.user, vote_id, "vote.edit")
    form = MatterForm(request.POST)

    def add(data):
        svc.add_matter(vote, by=request.user, **data)

    return _manage_form(request, vote, "matter_form", form, add, _("Matter added."))


@login_required
@require_POST
def vote_attach_document(request, vote_id, matter_id):
    vote = vote_for(request.user, vote_id, "vote.edit")
    matter = get_object_or_404(VoteMatter, pk=matter_id, vote=vote)
    form = AttachmentForm(request.POST, request.FILES, auto_id=f"id_m{matter.pk}_%s")
    form.matter_id = matter.pk
    if form.is_valid():
        data, content_type = form.cleaned_data["document"]
        path = store_private(
            data,
            folder="votes/matters",
            suffix=".pdf" if content_type == "application/pdf" else suffix_for(content_type),
        )
        try:
            svc.attach_matter_document(
                matter, document=path, document_type=content_type, by=request.user
            )
        except VoteError as error:
            delete_private(path)
            return _refuse_to(request, error, "vote_manage", vote.pk)
        messages.success(
            request, _("The document is attached to “%(title)s”.") % {"title": matter.title}
        )
        return redirect("vote_manage", vote.pk)
    return _manage_page(request, vote, status=400, attachment_form=form)


@login_required
@require_POST
def vote_remove_document(request, vote_id, matter_id):
    vote = vote_for(request.user, vote_id, "vote.edit")
    matter = get_object_or_404(VoteMatter, pk=matter_id, vote=vote)
    done = _("The document of “%(title)s” is removed.") % {"title": matter.title}
    remove = partial(svc.remove_matter_document, matter, by=request.user)
    return _run(request, remove, done, "vote_manage", vote.pk)


@login_required
@require_safe
def vote_matter_document(request, vote_id, matter_id):
    """A matter's document, for everyone who may see the vote (drafts: those who run it)."""
    vote = vote_for(request.user, vote_id, "vote.view", related=("estate",))
    if vote.status == "draft" and not may_manage(request.user, vote):
        raise_not_found()
    matter = get_object_or_404(VoteMatter, pk=matter_id, vote=vote)
    if not matter.attachment:
        raise_not_found()
    return serve_private(matter.attachment, matter.attachment_type)


@login_required
@require_POST
def vote_appoint_teller(request, vote_id):
    vote = vote_for(request.user, vote_id, "vote.appoint_teller")
    form = TellerForm(request.POST)

    def appoint(data):
        svc.appoint_teller(vote, data["user"], by=request.user)

    done = _("Teller appointed.")
    return _manage_form(request, vote, "teller_form", form, appoint, done, field="user")


@login_required
@require_POST
def vote_publish_notice(request, vote_id):
    vote = vote_for(request.user, vote_id, "vote.publish_notice")
    try:
        svc.publish_vote_notice(
            vote, by=request.user, accept_short=request.POST.get("accept_short") == "1"
        )
    except VoteError as error:
        return _refuse_to(request, error, "vote_manage", vote.pk)
    messages.success(request, _("The notice is published and the electorate frozen."))
    return redirect("vote_detail", vote.pk)


@login_required
@require_POST
def vote_cancel(request, vote_id):
    vote = vote_for(request.user, vote_id, "vote.cancel")
    form = ReasonForm(request.POST)
    if form.is_valid():
        try:
            svc.cancel_vote(vote, by=request.user, reason=form.cleaned_data["reason"])
        except VoteError as error:
            return _refuse_to(request, error, "vote_manage", vote.pk)
        messages.success(request, _("The vote is cancelled."))
        return redirect("vote_detail", vote.pk)
    return _manage_page(request, vote, status=400, cancel_form=form)


@login_required
@require_http_methods(["GET", "POST"])
def vote_electorate(request, vote_id):
    vote = vote_for(request.user, vote_id, "vote.view")
    roles = svc.vote_roles(request.user, vote)
    can_amend = may(roles, "vote.amend_electorate", vote.state)
    form = AmendForm(request.POST or None, vote=vote) if can_amend else None
    status = 200
    if request.method == "POST":
        if not can_amend:
            raise PermissionDenied
        if form.is_valid():
            data = form.cleaned_data
            try:
                svc.amend_electorate(
                    vote,
                    unit_id=data["unit"].unit_id,
                    area=data.get("area"),
                    holder=data.get("holder_phone"),
                    reason=data["reason"],
                    by=request.user,
                )
            except VoteError as error:
                form.add_error(None, error)
            else:
                messages.success(request, _("Amendment recorded."))
                return redirect("vote_electorate", vote.pk)
        status = 400
    see_register = bool(roles & (ALLOWED["vote.convene"]["*"] | {"vote:teller"}))
    page = None
    if see_register:
        entries = ElectorateEntry.objects.filter(vote=vote).order_by("sort_key", "pk")
        page = Paginator(entries, 50).get_page(request.GET.get("page"))
    return TemplateResponse(
        request,
        "deliberation/vote_electorate.html",
        {
            "vote": vote,
            "amendments": vote.amendments.select_related("by").order_by("pk"),
            "form": form,
            "page": page,
        },
        status=status,
    )
