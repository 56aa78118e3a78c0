"""Published documents, stored once: the PDF people inspect later is byte for byte the same."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class DocumentKind(models.TextChoices):
    MINUTES = "minutes", _("Minutes")
    HEARING_RECORD = "hearing_record", _("Hearing record")
    VOTE_RESULT = "vote_result", _("Vote result announcement")
    BALLOTS = "ballots", _("Paper ballots")
    NOTICE = "notice", _("Public notice")
    DELIVERY_PROOF = "delivery_proof", _("Proof of service")


class StoredDocument(models.Model):
    """The PDF of a published record. Never replaced: its sha256 is in the audit log."""

    community = models.ForeignKey(
        "deliberation.Community", on_delete=models.PROTECT, related_name="documents"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=DocumentKind)
    source_type = models.CharField(max_length=60)
    source_id = models.CharField(max_length=40)
    title = models.CharField(_("title"), max_length=200)
    verification_code = models.CharField(_("verification code"), max_length=14, unique=True)
    sha256 = models.CharField(max_length=64)
    size = models.PositiveBigIntegerField()
    file = models.FileField(upload_to="documents/", max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("stored document")
        verbose_name_plural = _("stored documents")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "source_type", "source_id"], name="one_stored_document_per_source"
            ),
            models.CheckConstraint(
                condition=models.Q(kind__in=DocumentKind.values), name="stored_document_kind_known"
            ),
        ]

    def __str__(self):
        return self.title
