"""The HTTP side of documents: a PDF download with a readable (Chinese) file name."""

from django.http import HttpResponse
from django.utils.http import content_disposition_header
from django.utils.text import get_valid_filename
from django.utils.translation import gettext as _

from deliberation.documents.storage import TamperedDocumentError, read_document


def pdf_response(data, filename, *, inline=False):
    name = get_valid_filename(filename.replace("/", "-")) or "document"
    if not name.lower().endswith(".pdf"):
        name += ".pdf"
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(not inline, name)
    response["Content-Length"] = str(len(data))
    response["Cache-Control"] = "private, no-store"
    return response


def stored_pdf_response(document):
    try:
        data = read_document(document)
    except TamperedDocumentError:
        message = _(
            "The stored copy of this document no longer matches its published fingerprint. "
            "It will not be served; please tell the community office."
        )
        return HttpResponse(message, status=500, content_type="text/plain; charset=utf-8")
    return pdf_response(data, document.title)
