"""Real, small PDFs for upload tests (a PDF upload is opened with a PDF parser)."""

import io

from pypdf import PdfWriter
from pypdf.generic import DictionaryObject, NameObject, TextStringObject


def make_pdf(note="", *, pages=1, javascript=None, password=None):
    """A PDF of blank A4 pages whose title is `note`; optionally with document-level
    JavaScript, or encrypted with `password`."""
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(595, 842)
    writer.add_metadata({"/Title": note})
    if javascript:  # run when the document opens
        action = DictionaryObject(
            {
                NameObject("/S"): NameObject("/JavaScript"),
                NameObject("/JS"): TextStringObject(javascript),
            }
        )
        writer.root_object[NameObject("/OpenAction")] = writer._add_object(action)
    if password:
        writer.encrypt(password)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
