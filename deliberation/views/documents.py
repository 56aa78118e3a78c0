"""PDF downloads hanging from community pages: notices, vote results, paper ballots.

Each view checks the permission of the page it hangs from (outsiders 404, members without the
role 403). Published records are served from their stored copy, which never changes; anything
not yet published is rendered on the fly and marked as a draft on every page.
"""

import re

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST, require_safe

from deliberation.access import community_for, community_ids_of, raise_not_found
from deliberation.documents import contexts
from deliberation.documents.ballots import ballots_version
from deliberation.documents.pdf import render_pdf
from deliberation.documents.published import vote_result_pdf as stored_result
from deliberation.documents.responses import pdf_response, stored_pdf_response
from deliberation.documents.storage import publish_document, verification_code
from deliberation.jobs import start_job
from deliberation.models import DocumentKind, JobKind, Notice, StoredDocument, VoteState
from deliberation.permissions import ALLOWED, may
from deliberation.services.votes import vote_roles
from deliberation.views.notices import board_for
from deliberation.views.votes import vote_for


@require_safe
def notice_pdf(request, community_id, notice_id):
    """A notice as PDF: for anyone when its kind is public, else for the community's members."""
    community, member = board_for(request.user, community_id)
    notice = get_object_or_404(
        Notice.objects.readable(member).filter(published_at__lte=timezone.now()),
        community=community,
        pk=notice_id,
    )
    document = publish_document(
        kind=DocumentKind.NOTICE,
        source=notice,
        community=community,
        title=notice.title,
        template_name="documents/notice.html",
        context=contexts.notice_context(notice),
        by=notice.published_by,
    )
    return stored_pdf_response(document)


def _vote_roles(user, vote):
    return vote_roles(user, vote)


@login_required
@require_safe
def vote_result_pdf(request, vote_id):
    vote = vote_for(request.user, vote_id, "vote.view")
    if vote.state == VoteState.PUBLISHED:
        return stored_pdf_response(stored_result(vote))
    # Before publication only those who run the vote or count it see the figures, as a draft.
    roles = _vote_roles(request.user, vote)
    if not roles & (ALLOWED["vote.convene"]["*"] | {"vote:teller"}):
        raise PermissionDenied
    context = contexts.vote_result_context(vote)
    context["verification_code"] = verification_code(DocumentKind.VOTE_RESULT, vote)
    pdf = render_pdf("documents/vote_result.html", context, draft=True)
    return pdf_response(pdf, vote.title)


@login_required
@require_safe
def vote_ballots_pdf(request, vote_id):
    """The whole estate's paper ballots, one personalised page per head, as one PDF."""
    vote = vote_for(request.user, vote_id, "vote.print_ballots")
    if not may(_vote_roles(request.user, vote), "vote.print_ballots", vote.state):
        raise PermissionDenied
    # Amending the frozen electorate changes the sheets: each version is stored once.
    version = f"{vote.pk}.{vote.amendments.count()}"
    document = publish_document(
        kind=DocumentKind.BALLOTS,
        source=("deliberation.assemblyvote", version),
        community=vote.community,
        title=_("Ballots: %(title)s") % {"title": vote.title},
        template_name="documents/ballots.html",
        context=contexts.ballots_context(vote),
        by=request.user,
    )
    return stored_pdf_response(document)


@login_required
@require_POST
def vote_ballots_print(request, vote_id):
    """Start printing the vote's paper ballots in the background; answers at once."""
    vote = vote_for(request.user, vote_id, "vote.print_ballots")
    if not may(_vote_roles(request.user, vote), "vote.print_ballots", vote.state):
        raise PermissionDenied
    version = ballots_version(vote)
    job = start_job(
        kind=JobKind.BALLOTS,
        target=f"vote:{version}",
        community=vote.community,
        title=_("Paper ballots: %(title)s") % {"title": vote.title},
        params={"vote_id": vote.pk, "version": version},
        by=request.user,
    )
    if job.started_by_id != request.user.pk:
        messages.info(
            request,
            _("%(name)s is already printing these ballots; they will be told when it is done.")
            % {"name": job.started_by},
        )
        return redirect("vote_detail", vote.pk)
    return redirect(job)


CODE_RE = re.compile(r"^[A-Z2-7]{4}-[A-Z2-7]{4}-[A-Z2-7]{4}$")


class VerifyForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("Verification code"),
        max_length=20,
        help_text=gettext_lazy("As printed at the foot of each page, e.g. ABCD-EFGH-JKLM."),
    )

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.document = None

    def clean_code(self):
        code = re.sub(r"[\s\u2010-\u2015－]", "-", self.cleaned_data["code"].strip().upper())
        if re.fullmatch(r"[A-Z2-7]{12}", code):
            code = f"{code[:4]}-{code[4:8]}-{code[8:]}"
        if not CODE_RE.match(code):
            raise forms.ValidationError(
                _("A verification code is 12 letters and digits in three groups of four.")
            )
        self.document = verifiable(self.user, code)
        if self.document is None:
            raise forms.ValidationError(
                _("No published document has this code. Check the letters and digits.")
            )
        return code


def verifiable(user, code):
    """The stored document with this code if the user may check it, else None. Anyone may check
    a vote result or a public notice; minutes, hearing records, ballots and notices kept within
    the community only its members (drafts are never stored, so never found)."""
    document = StoredDocument.objects.filter(verification_code=code).first()
    if document is None or document.community_id in community_ids_of(user):
        return document
    if document.kind == DocumentKind.VOTE_RESULT:
        return document
    if document.kind == DocumentKind.NOTICE and document.source_type == "deliberation.notice":
        public = Notice.objects.readable(False).filter(pk=document.source_id)
        return document if public.exists() else None
    return None


@require_safe
def document_lookup(request):
    """Type in the code from a printed page and see what it stands for."""
    form = VerifyForm(request.GET or None, user=request.user)
    if form.is_valid():
        return redirect("document_verify", form.cleaned_data["code"])
    return TemplateResponse(request, "documents/verify_lookup.html", {"form": form})


@require_safe
def document_verify(request, code):
    """What a printed verification code stands for: kind, title, date and fingerprint."""
    document = verifiable(request.user, code.strip().upper())
    if document is None:
        raise_not_found()
    if document.community_id in community_ids_of(request.user):
        community_for(request.user, document.community_id, "document.verify")
    return TemplateResponse(request, "documents/verify.html", {"document": document})
