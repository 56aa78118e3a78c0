"""The vote's page, where an owner casts a ballot and a proxy sees the mandates held; a receipt
checked; the notice's delivery coverage."""

from django.contrib.auth.decorators import login_required
from django.db.models import Prefetch, prefetch_related_objects
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods
from django.views.decorators.vary import vary_on_headers

from deliberation.access import (
    raise_not_found,
    roles_of,
)
from deliberation.delivery import coverage
from deliberation.forms.votes import (
    BallotForm,
    ReceiptForm,
)
from deliberation.jobs import active_job
from deliberation.models import (
    Ballot,
    BallotChoice,
    Candidate,
    ProxyMandate,
    Role,
    VoteState,
)
from deliberation.services import votes as svc
from deliberation.services.votes import VoteError
from deliberation.services.votes.roles import _state_error
from deliberation.views.votes.access import _can, _vote_seen_by, may_manage, vote_for


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
    return _("Your name does not match the register — ask your community worker.")


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
