"""The tellers' page for paper ballots: each entered twice, mismatches set aside."""

from functools import partial

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from deliberation.forms.votes import (
    FindBallotForm,
    PaperBallotForm,
    ReasonForm,
)
from deliberation.models import (
    VoteMatter,
)
from deliberation.services import votes as svc
from deliberation.services.votes import VoteError
from deliberation.views.votes.access import _refuse_to, _run, vote_for


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
        return _refuse_to(request, _("Give a reason."), "vote_paper", vote.pk)
    reason = form.cleaned_data["reason"]
    clear = partial(svc.clear_paper_mismatch, vote, matter, head, by=request.user, reason=reason)
    done = _("Both entries were set aside; enter the ballot again.")
    return _run(request, clear, done, "vote_paper", vote.pk)
