"""A published meeting's minutes (and a hearing's record) as PDFs, stored by a task worker.

Once published the record never changes, and its PDF takes a second or two to lay out: the
services announce the publication (meetings.signals.record_published), and after the commit a
worker stores each PDF the meeting's page offers, so the first person to download finds the
stored file. The download view calls `meeting_record_pdf` too, so a download that comes before
the worker (or without one) stores it then, once: `publish_document` is idempotent.
"""

from functools import partial

from django.conf import settings
from django.db import transaction
from django.dispatch import receiver
from django.utils.translation import override
from django_tasks import task

from deliberation.documents.storage import publish_document
from deliberation.models import DocumentKind
from meetings.models import Kind, Meeting, Status
from meetings.records import minutes_context, prepare_meeting_record
from meetings.signals import record_published

RECORD_TEMPLATES = {
    DocumentKind.MINUTES: "documents/minutes.html",
    DocumentKind.HEARING_RECORD: "documents/hearing_record.html",
}


def meeting_record_pdf(meeting, kind):
    """The stored PDF of a published meeting's minutes or hearing record."""
    return publish_document(
        kind=kind,
        source=meeting,
        community=meeting.community,
        title=meeting.title,
        template_name=RECORD_TEMPLATES[kind],
        context=prepare_meeting_record(minutes_context(meeting)),
    )


@receiver(record_published, dispatch_uid="meetings-published-store-record")
def _store_when_published(sender, meeting, **kwargs):
    kinds = [DocumentKind.MINUTES]
    if meeting.kind == Kind.HEARING:
        kinds.append(DocumentKind.HEARING_RECORD)
    for kind in kinds:
        transaction.on_commit(partial(store_published_record.enqueue, str(kind), meeting.pk))


@task()
def store_published_record(kind, meeting_id):
    with override(settings.LANGUAGE_CODE):  # a published record prints in the site's language
        meeting = Meeting.objects.select_related("community").filter(pk=meeting_id).first()
        if meeting is not None and meeting.status == Status.PUBLISHED:
            return meeting_record_pdf(meeting, kind).pk
        return None
