"""Service of notice (送达): one record per household, notice and channel, kept as proof.

A household is a unit of the register (its designated holder receives for it). What counts as
served is the community's `service_rule` (docs/rules.md, "Service of notice").
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class DeliveryChannel(models.TextChoices):
    APP = "app", _("In the app")
    SMS = "sms", _("SMS")
    EMAIL = "email", _("E-mail")
    PAPER = "paper", _("Paper, signed receipt")


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Waiting to be sent")
    SENDING = "sending", _("Being sent")
    DEFERRED = "deferred", _("Deferred")
    SENT = "sent", _("Sent")
    DELIVERED = "delivered", _("Delivered")
    FAILED = "failed", pgettext_lazy("delivery status", "Failed")
    SKIPPED = "skipped", _("Not sent")


class ServiceRule(models.TextChoices):
    """What proves that a household was served (送达). A per-community setting."""

    ANY_PROOF = "any_proof", _("Delivered SMS, first view in the app, or signed paper receipt")
    VIEW_OR_PAPER = "view_or_paper", _("First view in the app, or signed paper receipt")
    PAPER_ONLY = "paper_only", _("Signed paper receipt only")


class DeliveryPurpose(models.TextChoices):
    """What a record serves: the notice itself (the legal service its proof is about), or a
    later message about the same notice (voting has opened; a reminder to those who have not
    voted, with the distance to two thirds; an owners' session's draft minutes open for
    corrections, with the deadline)."""

    NOTICE = "notice", _("The notice")
    OPENING = "opening", _("Voting has opened")
    REMINDER = "reminder", _("Reminder")
    CORRECTIONS = "corrections", _("Draft minutes for corrections")
    TASK_DUE = "task_due", _("Task deadline")
    SUPERVISION = "supervision", _("Supervision (督办)")


class Delivery(models.Model):
    """A message of a notice to a household (`notice`, `unit`), to a person its source names
    (`notice`, `addressee`: a meeting's invited participant), or of a task to the person who
    answers for it (`task`, `user`: its deadlines and 督办)."""

    notice = models.ForeignKey(
        "deliberation.Notice",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="deliveries",
    )
    unit = models.ForeignKey(
        "deliberation.Unit", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    task = models.ForeignKey(
        "deliberation.Task", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    holder = models.ForeignKey(
        "deliberation.Holder", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # A person served for the notice's source, by the key the source gives ("meetings.
    # participant:12"), and their name as invited: someone without an account has no other.
    addressee = models.CharField(max_length=40, blank=True)
    addressee_name = models.CharField(_("addressee"), max_length=100, blank=True)
    channel = models.CharField(_("channel"), max_length=8, choices=DeliveryChannel)
    purpose = models.CharField(
        max_length=12, choices=DeliveryPurpose, default=DeliveryPurpose.NOTICE
    )
    round = models.PositiveSmallIntegerField(default=0)  # the nth reminder
    recipient = models.CharField(_("sent to"), max_length=254, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=DeliveryStatus, default=DeliveryStatus.PENDING
    )
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    claim = models.CharField(max_length=16, blank=True, db_index=True)  # the batch sending it
    # When the batch took it: a record still "sending" long after was lost with its worker,
    # and the gateway is asked whether it got the message before any resend.
    claimed_at = models.DateTimeField(null=True, blank=True)
    # The text as a translatable template code and its parameters, in the recipient's language
    template = models.CharField(max_length=40)
    params = models.JSONField(default=dict)
    language = models.CharField(max_length=10, default="zh-hans")
    urgent = models.BooleanField(default=False)
    created_at = models.DateTimeField()
    deferred_until = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    provider_message_id = models.CharField(max_length=64, blank=True, db_index=True)
    provider_status_at = models.DateTimeField(null=True, blank=True)
    viewed_at = models.DateTimeField(_("first viewed"), null=True, blank=True)
    receipt_code = models.CharField(max_length=12, blank=True, db_index=True)
    receipt_signed_at = models.DateTimeField(_("receipt signed"), null=True, blank=True)
    receipt_recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        ordering = ["notice_id", "unit_id", "channel"]
        constraints = [
            models.UniqueConstraint(
                fields=["notice", "unit", "channel", "purpose", "round"],
                name="delivery_once_per_channel",
            ),
            models.UniqueConstraint(
                fields=["task", "user", "channel", "purpose", "round"],
                condition=Q(task__isnull=False),
                name="delivery_once_per_person",
            ),
            models.UniqueConstraint(
                fields=["notice", "addressee", "channel", "purpose", "round"],
                condition=~Q(addressee=""),
                name="delivery_once_per_addressee",
            ),
            models.CheckConstraint(
                condition=Q(notice__isnull=False, unit__isnull=False)
                | Q(task__isnull=False, user__isnull=False)
                | (Q(notice__isnull=False) & ~Q(addressee="")),
                name="delivery_of_a_notice_or_a_task",
            ),
            models.UniqueConstraint(
                fields=["notice", "receipt_code"],
                condition=~Q(receipt_code=""),
                name="delivery_receipt_code_unique",
            ),
        ]
        indexes = [models.Index(fields=["recipient", "sent_at"])]

    def __str__(self):
        if self.task_id:
            return f"task {self.task_id}/{self.user_id}/{self.channel}"
        if self.addressee:
            return f"{self.notice_id}/{self.addressee}/{self.channel}"
        return f"{self.notice_id}/{self.unit_id}/{self.channel}"


class SmsOptOut(models.Model):
    """A number that asked for no SMS about notices the law does not require us to serve."""

    phone = models.CharField(max_length=20, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return self.phone
