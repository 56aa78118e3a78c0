"""Stored documents for tests, published the way the pages that serve them publish them."""

from deliberation.documents.contexts import notice_context
from deliberation.documents.storage import publish_document
from deliberation.models import DocumentKind


def stored_notice(notice):
    """The notice's PDF, published and stored as its first download does."""
    return publish_document(
        kind=DocumentKind.NOTICE,
        source=notice,
        community=notice.community,
        title=notice.title,
        template_name="documents/notice.html",
        context=notice_context(notice),
    )
