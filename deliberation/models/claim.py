"""A person's claim to be the owner of a flat in the register (业主认证)."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from deliberation.models.community import Community, Holder, Unit


class ClaimStatus(models.TextChoices):
    MATCHED = "matched", _("Matched with the register")
    PENDING = "pending", _("Waiting for a community worker")
    CONFIRMED = "confirmed", _("Confirmed by a community worker")
    DECLINED = "declined", _("Not linked")


class FlatClaim(models.Model):
    """Someone says they own `unit`. The account is linked to the register's holder only when
    the register agrees (name plus the last four characters of the identity number recorded
    at import), or when a community worker has checked their papers and confirms it."""

    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="flat_claims")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="flat_claims"
    )
    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="claims")
    name = models.CharField(_("name"), max_length=100)
    status = models.CharField(_("status"), max_length=10, choices=ClaimStatus)
    holder = models.ForeignKey(
        Holder, on_delete=models.SET_NULL, null=True, blank=True, related_name="claims"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    reason = models.CharField(_("reason"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("flat claim")
        verbose_name_plural = _("flat claims")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "unit"],
                condition=Q(status="pending"),
                name="one_pending_claim_per_unit",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["matched", "pending", "confirmed", "declined"]),
                name="flat_claim_status_known",
            ),
        ]

    def __str__(self):
        return f"{self.user_id} → {self.unit_id} ({self.status})"
