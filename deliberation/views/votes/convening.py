"""Owners' assembly vote pages: thin views that parse, authorize, call a service, render."""

import io
from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, OuterRef, Prefetch, Q, Subquery, prefetch_related_objects
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_http_methods, require_POST, require_safe
from django.views.decorators.vary import vary_on_headers

from deliberation.access import (
    community_for,
    community_ids_of,
    estates_where,
    raise_not_found,
    roles_of,
)
from deliberation.delivery import coverage
from deliberation.forms.votes import (
    AmendForm,
    AttachmentForm,
    BallotForm,
    CandidateForm,
    ConveneForm,
    FindBallotForm,
    MandateForm,
    MatterForm,
    PaperBallotForm,
    ReasonForm,
    ReceiptForm,
    TellerForm,
    VetForm,
    WindowForm,
)
from deliberation.jobs import active_job
from deliberation.models import (
    AssemblyVote,
    Ballot,
    BallotChoice,
    Candidate,
    ElectorateEntry,
    MatterKind,
    ProxyMandate,
    Role,
    VoteMatter,
    VoteState,
)
from deliberation.permissions import ALLOWED, may
from deliberation.services import votes as svc
from deliberation.services.votes import VoteError
from deliberation.services.votes.roles import _state_error
from deliberation.uploads import delete_private, serve_private, store_private, suffix_for


def vote_for(user, vote_id, action=None, related=("community", "estate")):
    """The vote if the user belongs to its community (else 404) and, given an action, holds a
    role that may ever do it (else 403). Whether the vote's state allows it now is answered by
    the service with a message. `related`: what to load with it (vote.community is ~25 columns
    a busy page may not need)."""
    vote = None
    if user.is_authenticated:  # nobody else belongs to a community
        vote = svc.vote_with_teller(int(vote_id), user.pk, tuple(related))
    return _vote_seen_by(user, vote, action)


def _vote_seen_by(user, vote, action=None):
    """vote_for's checks on a vote already read (None if there is none)."""
    if vote is None or vote.community_id not in community_ids_of(user):
        raise_not_found()
    svc.remember_teller(user, vote, vote.user_is_teller)
    if action:
        roles = svc.vote_roles(user, vote)
        if not any(allowed & roles for allowed in ALLOWED[action].values()):
            raise PermissionDenied
    return vote


def coverage_text(notice):
    """The coverage line, and while the task worker is still sending, how far it has got."""
    served, total = coverage(notice)
    line = _("Served %(served)s / %(total)s households; %(pending)s awaiting a visit") % {
        "served": f"{served:,}",
        "total": f"{total:,}",
        "pending": f"{total - served:,}",
    }
    job = active_job("delivery", f"notice:{notice.pk}")
    if job is None:
        return line
    if not job.total:
        sending = _("The notice is waiting to be sent.")
    else:
        sending = _("Sending: %(done)s of %(total)s messages handled.") % {
            "done": f"{job.done:,}",
            "total": f"{job.total:,}",
        }
    return f"{line} {sending}" if total else sending


def _can(request, vote, *actions):
    roles = svc.vote_roles(request.user, vote)
    state = vote.state
    return {a.split(".")[1]: may(roles, a, state) for a in actions}


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
@vary_on_headers("HX-Request")
@require_http_methods(["GET", "POST"])
def vote_detail(request, vote_id):
    vote, matters, holder = svc.read_vote_page(request.user, int(vote_id), ("estate",))
    vote = _vote_seen_by(request.user, vote, "vote.view")
    if vote.status == "draft" and not may_manage(request.user, vote):
        raise_not_found()
    elections = [matter for matter in matters if matter.is_election]
    if elections:  # the ballot form lists their approved candidates
        prefetch_related_objects(
            elections,
            Prefetch(
                "candidates",
                queryset=Candidate.objects.filter(vetting_result="approved").order_by("pk"),
                to_attr="approved",
            ),
        )
    form = None
    receipt = None
    cast = []
    status = 200
    state = vote.state
    if holder is not None and state == VoteState.OPEN:
        form = BallotForm(request.POST or None, matters=matters)
    if request.method == "POST":
        if Role.OWNER not in roles_of(request.user, vote.community_id):
            return TemplateResponse(
                request,
                "deliberation/vote_refused.html",
                {
                    "vote": vote,
                    "message": _(
                        "Only owners on the register vote; tenants and other residents cannot."
                    ),
                },
                status=403,
            )
        if form is None:
            form = BallotForm(request.POST, matters=matters)
            form.is_valid()
            form.add_error(None, _state_error(vote) if holder else _no_holder_error())
            status = 400
        elif form.is_valid():
            try:
                receipt, cast = svc.cast_ballots(
                    vote, holder, form.choices(), by=request.user, channel="online"
                )
            except VoteError as error:
                form.add_error(None, error)
                status = 400
        else:
            status = 400
    mine = cast if receipt else svc.own_ballots(vote, holder)
    if mine and form is not None and not vote.allow_change and not form.errors:
        form = None
    context = {
        "vote": vote,
        "state": state,
        "matters": matters,
        "holder": holder,
        "form": form,
        "receipt": receipt,
        "mine": mine,
        "can": _can(
            request,
            vote,
            "vote.edit",
            "vote.turnout",
            "vote.enter_paper",
            "vote.register_mandate",
            "vote.tally",
            "vote.confirm",
            "vote.publish_result",
            "vote.amend_electorate",
            "vote.print_ballots",
            "vote.see_choices",
            "vote.delivery",
        ),
        "agent_mandates": []
        if request.htmx  # the ballot fragment does not show them
        else _mandates_held(vote, request.user),
        "is_owner": Role.OWNER in roles_of(request.user, vote.community_id),
    }
    if context["can"]["delivery"] and vote.notice_id and not request.htmx:
        context["coverage"] = coverage_text(vote.notice)
    name = "deliberation/vote_detail.html" + ("#ballot" if request.htmx else "")
    return TemplateResponse(request, name, context, status=status)


def _mandates_held(vote, agent):
    """The agent's mandates, each with the owner's instructions (`instructed`), the ballots
    cast through it (`cast`), and whether the owner's head was voted some other way."""
    mandates = list(
        ProxyMandate.objects.filter(vote=vote, agent=agent, revoked_at__isnull=True)
        .select_related("holder")
        .prefetch_related("matters")
    )
    if not mandates:
        return []
    cast = {}
    ballots = (
        Ballot.objects.filter(vote=vote, head__in=[m.head for m in mandates])
        .select_related("matter")
        .prefetch_related("selections__candidate")
        .order_by("matter__position")
    )
    for ballot in ballots:
        cast.setdefault(ballot.head, []).append(ballot)
    names = dict(Candidate.objects.filter(matter__vote=vote).values_list("pk", "name"))
    for mandate in mandates:
        mandate.instructed = [
            (matter, _instruction(mandate.instructions.get(str(matter.pk)), names))
            for matter in sorted(mandate.matters.all(), key=lambda m: m.position)
        ]
        mine = cast.get(mandate.head, [])
        mandate.cast = [b for b in mine if b.mandate_id == mandate.pk]
        mandate.cast_otherwise = bool(mine) and not mandate.cast
    return mandates


def _instruction(value, candidate_names):
    if isinstance(value, list):
        marked = [candidate_names.get(int(pk), "?") for pk in value]
        return "、".join(marked) if marked else _("no candidate marked")
    return BallotChoice(value).label if value in BallotChoice.values else ""


def _no_holder_error():
    return VoteError(_("Your name does not match the register — ask your community worker."))


def may_manage(user, vote):
    return bool(svc.vote_roles(user, vote) & (ALLOWED["vote.convene"]["*"]))


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


@login_required
@require_POST
def vote_add_matter(request, vote_id):
    vote = vote_for(request.user, vote_id, "vote.edit")
    form = MatterForm(request.POST)
    if form.is_valid():
        try:
            svc.add_matter(vote, by=request.user, **form.cleaned_data)
        except VoteError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Matter added."))
            return redirect("vote_manage", vote.pk)
    return _manage_page(request, vote, status=400, matter_form=form)


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
    try:
        svc.remove_matter_document(matter, by=request.user)
    except VoteError as error:
        return _refuse_to(request, error, "vote_manage", vote.pk)
    messages.success(
        request, _("The document of “%(title)s” is removed.") % {"title": matter.title}
    )
    return redirect("vote_manage", vote.pk)


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
    if form.is_valid():
        try:
            svc.appoint_teller(vote, form.cleaned_data["user"], by=request.user)
        except VoteError as error:
            form.add_error("user", error)
        else:
            messages.success(request, _("Teller appointed."))
            return redirect("vote_manage", vote.pk)
    return _manage_page(request, vote, status=400, teller_form=form)


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


def _refuse_to(request, error, name, *args):
    for message in error.messages:
        messages.error(request, message)
    return redirect(name, *args)


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
        return _refuse_to(
            request,
            VoteError(_("Choose qualified or not qualified.")),
            "vote_candidates",
            vote.pk,
            candidate.matter_id,
        )
    try:
        svc.vet_candidate(candidate, by=request.user, **form.cleaned_data)
    except VoteError as error:
        return _refuse_to(request, error, "vote_candidates", vote.pk, candidate.matter_id)
    messages.success(request, _("Vetting recorded."))
    return redirect("vote_candidates", vote.pk, candidate.matter_id)


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


@login_required
@vary_on_headers("HX-Request")
@require_http_methods(["GET", "POST"])
def vote_turnout(request, vote_id):
    vote = vote_for(request.user, vote_id, "vote.turnout")
    roles = svc.vote_roles(request.user, vote)
    state = vote.state
    if not may(roles, "vote.turnout", state):
        return _refuse_to(
            request, VoteError(_("Turnout is shown once voting opens.")), "vote_detail", vote.pk
        )
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


@login_required
@require_http_methods(["GET", "POST"])
def vote_paper(request, vote_id):
    """The tellers' page: the ballots awaiting a second entry or a correction, a ballot found by
    its code (scanned or typed) or its unit, and that ballot's entry form."""
    vote = vote_for(request.user, vote_id, "vote.enter_paper")
    refusal = svc.paper_entry_refusal(vote)
    find = FindBallotForm(request.GET if "ballot" in request.GET else None)
    ballot, form, status = None, None, 200
    if refusal is None:
        text = request.POST.get("unit") if request.method == "POST" else request.GET.get("ballot")
        head = svc.find_paper_ballot(vote, text)
        if head is not None:
            ballot = svc.paper_ballot_status(vote, head)
        elif find.is_valid():
            find.add_error("ballot", _no_ballot_error(find.cleaned_data["ballot"]))
        # The teller who made the first entry is not offered the second (a forged post is
        # refused by the service, with its message).
        own_first = ballot is not None and ballot["first_teller"] == request.user
        if ballot is None or (ballot["entry"] is not None and not (own_first and not request.POST)):
            initial = {"collected_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M")}
            if ballot is not None:
                initial["unit"] = ballot["units"][0]
            matters = ballot["pending"] if ballot else None
            form = PaperBallotForm(
                request.POST or None, vote=vote, matters=matters, initial=initial
            )
    if request.method == "POST":
        if form is not None and form.is_valid():
            try:
                outcome = svc.enter_paper_ballot(
                    vote,
                    form.cleaned_data["unit"].holder,
                    form.choices(),
                    by=request.user,
                    collected_at=form.cleaned_data["collected_at"],
                )
            except VoteError as error:
                form.add_error(None, error)
            else:
                _say_paper_outcome(request, outcome, ballot["units"][0])
                return redirect("vote_paper", vote.pk)
        status = 400
    worklist = svc.paper_worklist(vote)
    context = {
        "vote": vote,
        "refusal": refusal,
        "find": find if ballot is None else FindBallotForm(),
        "ballot": ballot,
        "own_first": ballot is not None and ballot["first_teller"] == request.user,
        "form": form if ballot is not None or request.method == "POST" else None,
        "worklist": worklist,
        "mismatches": svc.paper_mismatches(vote) if refusal is None else [],
        "clear_form": ReasonForm(),
    }
    return TemplateResponse(request, "deliberation/vote_paper.html", context, status=status)


def _no_ballot_error(text):
    return _(
        "No ballot of this vote has the code or unit “%(text)s”. Check the code under the QR "
        "code, or write the unit as on the ballot."
    ) % {"text": text}


def _say_paper_outcome(request, outcome, unit):
    text = {
        "waiting": _("Entry saved; a second teller must enter the same ballot."),
        "counted": _("Both entries agree: the ballot is counted."),
        "mismatch": _("The two entries disagree. The ballot is flagged and not counted."),
    }[outcome]
    (messages.warning if outcome == "mismatch" else messages.success)(request, f"{unit}：{text}")


@login_required
@require_POST
def vote_paper_clear(request, vote_id, matter_id, head):
    vote = vote_for(request.user, vote_id, "vote.enter_paper")
    matter = get_object_or_404(VoteMatter, pk=matter_id, vote=vote)
    form = ReasonForm(request.POST)
    if not form.is_valid():
        return _refuse_to(request, VoteError(_("Give a reason.")), "vote_paper", vote.pk)
    try:
        svc.clear_paper_mismatch(
            vote, matter, head, by=request.user, reason=form.cleaned_data["reason"]
        )
    except VoteError as error:
        return _refuse_to(request, error, "vote_paper", vote.pk)
    messages.success(request, _("Both entries were set aside; enter the ballot again."))
    return redirect("vote_paper", vote.pk)


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


@login_required
@require_safe
def vote_result(request, vote_id):
    vote = vote_for(request.user, vote_id, "vote.view")
    roles = svc.vote_roles(request.user, vote)
    state = vote.state
    see_unpublished = bool(roles & (ALLOWED["vote.convene"]["*"] | {"vote:teller"}))
    if state != VoteState.PUBLISHED and not see_unpublished:
        return _refuse_to(
            request, VoteError(_("The result is not published yet.")), "vote_detail", vote.pk
        )
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
    try:
        service(vote, by=request.user)
    except VoteError as error:
        return _refuse_to(request, error, "vote_result", vote.pk)
    messages.success(request, done)
    return redirect("vote_result", vote.pk)


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
        return _refuse_to(
            request, VoteError(_("Give when voting opens and closes.")), "vote_result", vote.pk
        )
    try:
        new_vote = svc.start_by_election(vote, matter, by=request.user, **form.cleaned_data)
    except VoteError as error:
        return _refuse_to(request, error, "vote_result", vote.pk)
    messages.success(request, _("By-election created. Add candidates, then publish."))
    return redirect("vote_manage", new_vote.pk)


@login_required
@require_http_methods(["GET", "POST"])
def vote_receipt(request, vote_id):
    vote = vote_for(request.user, vote_id, "vote.view")
    form = ReceiptForm(request.POST or None)
    found = None
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                found = svc.verify_receipt(vote, form.cleaned_data["code"])
            except VoteError as error:
                form.add_error("code", error)
                status = 400
        else:
            status = 400
    return TemplateResponse(
        request,
        "deliberation/vote_receipt.html",
        {"vote": vote, "form": form, "found": found},
        status=status,
    )


@login_required
@require_safe
def vote_export(request, vote_id):
    from openpyxl import Workbook

    vote = vote_for(request.user, vote_id, "vote.export")
    if not svc.may_vote_action(request.user, vote, "vote.export"):
        return _refuse_to(
            request, VoteError(_("The export is ready after the count.")), "vote_detail", vote.pk
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
