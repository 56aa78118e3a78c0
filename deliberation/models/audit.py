"""The audit log: append-only and hash-chained, so an edit behind the app's back shows."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditHead(models.Model):
    """One row holding the newest hash; locking it serialises appends to the chain."""

    last_hash = models.CharField(max_length=64)
    count = models.PositiveBigIntegerField(default=0)

    def __str__(self):
        return f"{self.count} entries, head {self.last_hash[:12]}"


class AuditEntry(models.Model):
    created_at = models.DateTimeField(db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True
    )
    community = models.ForeignKey(
        "deliberation.Community", on_delete=models.PROTECT, null=True, blank=True
    )
    verb = models.CharField(max_length=60, db_index=True)
    target_type = models.CharField(max_length=60)
    target_id = models.CharField(max_length=40)
    public = models.BooleanField(default=True)
    data = models.JSONField(default=dict)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit entries")
        ordering = ["pk"]
        indexes = [models.Index(fields=["target_type", "target_id"])]

    def __str__(self):
        return f"{self.pk} {self.verb} {self.target_type}:{self.target_id}"
