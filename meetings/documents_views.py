"""Minutes (会议纪要) and hearing records (听证笔录) as PDFs, from the meeting's page.

Whoever may see the meeting may download its record. Published minutes are stored once and
never change; before publication the record prints with a draft mark on every page.
"""

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.views.decorators.http import require_safe

from deliberation.documents.pdf import render_pdf
from deliberation.documents.responses import pdf_response, stored_pdf_response
from deliberation.documents.storage import verification_code
from deliberation.models import DocumentKind
from meetings.access import meeting_for
from meetings.models import Kind, Status
from meetings.published import meeting_record_pdf
from meetings.records import minutes_context, prepare_meeting_record


def _record_pdf(request, meeting, kind, template_name):
    if meeting.status == Status.PUBLISHED:
        return stored_pdf_response(meeting_record_pdf(meeting, kind))
    context = prepare_meeting_record(minutes_context(meeting))
    context["verification_code"] = verification_code(kind, meeting)
    return pdf_response(render_pdf(template_name, context, draft=True), meeting.title)


@login_required
@require_safe
def minutes_pdf(request, meeting_id):
    meeting = meeting_for(request.user, meeting_id, "meeting.view")
    return _record_pdf(request, meeting, DocumentKind.MINUTES, "documents/minutes.html")


@login_required
@require_safe
def hearing_record_pdf(request, meeting_id):
    meeting = meeting_for(request.user, meeting_id, "meeting.view")
    if meeting.kind != Kind.HEARING:
        raise Http404
    return _record_pdf(
        request, meeting, DocumentKind.HEARING_RECORD, "documents/hearing_record.html"
    )
