"""Published records' PDFs, stored by a task worker as soon as the record is published.

A vote's result never changes once published (nor do a meeting's minutes: meetings/published.py
does the same for them), and
their PDF takes a second or two to lay out (bench/RESULTS.md, "pdf"): publishing queues
`store_published_pdf` after its commit, so the first person to download finds the stored
file instead of waiting for it. The download views call the same functions, so a download
that comes before the worker (or without one) stores it then, once: `publish_document` is
idempotent.

Drafts (not yet published) still render in the request: they change with every edit, and
nobody waits on more than one of them.
"""

from django.conf import settings
from django.db import transaction
from django.dispatch import receiver
from django.utils.translation import override
from django_tasks import task

from deliberation.documents import contexts
from deliberation.documents.storage import publish_document
from deliberation.models import AssemblyVote, DocumentKind, VoteStatus
from deliberation.signals import vote_result_published


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


@receiver(vote_result_published, dispatch_uid="deliberation-published-store-result")
def store_when_published(sender, vote, **kwargs):
    """Queue storing the result's PDF once the publishing transaction has committed."""
    transaction.on_commit(lambda: store_published_result.enqueue(vote.pk))


@task()
def store_published_result(vote_id):
    with override(settings.LANGUAGE_CODE):  # a published record prints in the site's language
        vote = AssemblyVote.objects.select_related("community", "estate").filter(pk=vote_id).first()
        if vote is not None and vote.status == VoteStatus.PUBLISHED:
            return vote_result_pdf(vote).pk
        return None
