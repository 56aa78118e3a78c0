"""Published records' PDFs, stored by a task worker as soon as the record is published.

A vote's result and a meeting's minutes (or hearing record) never change once published, and
their PDF takes a second or two to lay out (bench/RESULTS.md, "pdf"): publishing queues
`store_published_pdf` after its commit, so the first person to download finds the stored
file instead of waiting for it. The download views call the same functions, so a download
that comes before the worker (or without one) stores it then, once: `publish_document` is
idempotent.

Drafts (not yet published) still render in the request: they change with every edit, and
nobody waits on more than one of them.
"""

from django.db import transaction
from django_tasks import task

from deliberation.documents import contexts
from deliberation.documents.storage import publish_document
from deliberation.models import DocumentKind

RECORD_TEMPLATES = {
    DocumentKind.MINUTES: "documents/minutes.html",
    DocumentKind.HEARING_RECORD: "documents/hearing_record.html",
}


def vote_result_pdf(vote):
    """The stored PDF of a published vote's result."""
    return publish_document(
        kind=DocumentKind.VOTE_RESULT,
        source=vote,
        community=vote.community,
        title=vote.title,
        template_name="documents/vote_result.html",
        context=contexts.vote_result_context(vote),
    )


def meeting_record_pdf(meeting, kind):
    """The stored PDF of a published meeting's minutes or hearing record."""
    return publish_document(
        kind=kind,
        source=meeting,
        community=meeting.community,
        title=meeting.title,
        template_name=RECORD_TEMPLATES[kind],
        context=contexts.prepare_meeting_record(contexts.minutes_context(meeting)),
    )


def store_when_published(kind, pk):
    """Queue storing the record's PDF once the publishing transaction has committed."""
    transaction.on_commit(lambda: store_published_pdf.enqueue(str(kind), pk))


@task()
def store_published_pdf(kind, pk):
    from django.conf import settings
    from django.utils.translation import override

    from deliberation.models import AssemblyVote, VoteStatus
    from meetings.models import Meeting, Status

    with override(settings.LANGUAGE_CODE):  # a published record prints in the site's language
        if kind == DocumentKind.VOTE_RESULT:
            vote = AssemblyVote.objects.select_related("community", "estate").filter(pk=pk).first()
            if vote is not None and vote.status == VoteStatus.PUBLISHED:
                return vote_result_pdf(vote).pk
            return None
        meeting = Meeting.objects.select_related("community").filter(pk=pk).first()
        if meeting is not None and meeting.status == Status.PUBLISHED:
            return meeting_record_pdf(meeting, kind).pk
        return None
