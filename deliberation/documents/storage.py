"""Published PDFs are rendered once, stored, and their sha256 written to the audit log.

`publish_document` is idempotent: the second call for the same record returns the stored file,
so a published record's PDF never changes, whoever downloads it and whenever.
"""

import base64
import hashlib
import hmac
import logging

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction

from deliberation.audit import record_audit
from deliberation.documents.pdf import render_pdf
from deliberation.models import StoredDocument

logger = logging.getLogger(__name__)


class TamperedDocumentError(Exception):
    """The stored file no longer matches the hash recorded when it was published."""


def source_key(source):
    """(type, id) of a model instance or of an explicit pair."""
    if isinstance(source, tuple):
        return str(source[0]), str(source[1])
    return source._meta.label_lower, str(source.pk)


def verification_code(kind, source):
    """A short code printed on every page: names the record, can be checked on the site."""
    source_type, source_id = source_key(source)
    message = f"document:{kind}:{source_type}:{source_id}".encode()
    digest = hmac.new(settings.SECRET_KEY.encode(), message, hashlib.sha256).digest()
    code = base64.b32encode(digest).decode()[:12]
    return f"{code[:4]}-{code[4:8]}-{code[8:]}"


def stored_document(kind, source):
    source_type, source_id = source_key(source)
    return StoredDocument.objects.filter(
        kind=kind, source_type=source_type, source_id=source_id
    ).first()


def publish_document(
    *, kind, source, community, title, template_name=None, context=None, by=None, pdf=None
):
    """The stored PDF of a published record, rendering and storing it on first use.

    `pdf` stores ready bytes instead of rendering (a document assembled from stored parts).
    """
    existing = stored_document(kind, source)
    if existing is not None:
        return existing
    code = verification_code(kind, source)
    if pdf is None:
        pdf = render_pdf(template_name, {**context, "verification_code": code}, draft=False)
    digest = hashlib.sha256(pdf).hexdigest()
    source_type, source_id = source_key(source)
    document = StoredDocument(
        community=community,
        kind=kind,
        source_type=source_type,
        source_id=source_id,
        title=title[:200],
        verification_code=code,
        sha256=digest,
        size=len(pdf),
        created_by=by,
    )
    name = f"{kind}-{source_id}-{digest[:16]}.pdf"
    document.file.save(name, ContentFile(pdf), save=False)
    try:
        with transaction.atomic():
            document.save()
            record_audit(
                actor=by,
                verb="document.publish",
                target=document,
                community=community,
                data={
                    "kind": kind,
                    "source": [source_type, source_id],
                    "sha256": digest,
                    "size": len(pdf),
                    "verification_code": code,
                },
            )
    except IntegrityError:
        # Someone published the same record a moment earlier: theirs is the record.
        document.file.delete(save=False)
        winner = stored_document(kind, source)
        if winner is None:
            raise
        return winner
    except Exception:
        document.file.delete(save=False)
        raise
    return document


def read_document(document):
    """The stored bytes, after checking them against the published hash."""
    with document.file.open("rb") as handle:
        data = handle.read()
    if hashlib.sha256(data).hexdigest() != document.sha256:
        logger.error("Stored document %s does not match its hash", document.pk)
        raise TamperedDocumentError(document.pk)
    return data
