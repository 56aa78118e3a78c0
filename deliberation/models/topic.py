"""Topics: matters residents raise, carried through 提 → 议 → 定 → 办 → 评."""

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from deliberation.membership import community_ids_of


class Phase(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    COLLECTING = "collecting", _("Collecting co-signs")
    TRIAGE = "triage", _("Awaiting acceptance")
    DISCUSSING = "discussing", _("Under discussion")
    DECIDED = "decided", _("Decided")
    EXECUTING = "executing", _("Being carried out")
    EVALUATING = "evaluating", _("Being rated")
    CLOSED = "closed", _("Closed")
    DECLINED = "declined", _("Declined")
    MERGED = "merged", _("Merged")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class Category(models.TextChoices):
    ENVIRONMENT = "environment", _("Environment and sanitation")
    PROPERTY = "property", _("Property service")
    SAFETY = "safety", _("Safety")
    FACILITIES = "facilities", _("Facilities and lifts")
    ELDERLY = "elderly", _("Elderly care")
    PARKING = "parking", _("Parking")
    NEIGHBOURS = "neighbours", _("Neighbour relations")
    OTHER = "other", _("Other")


class Scope(models.TextChoices):
    COMMUNITY = "community", _("Whole community")
    ESTATE = "estate", _("An estate")
    BUILDING = "building", _("A building")
    GRID = "grid", _("A grid")


class Channel(models.TextChoices):
    APP = "app", _("Online")
    IN_PERSON = "in_person", _("In person")
    PHONE = "phone", _("By phone")
    HOTLINE = "hotline", _("12345 hotline")


class TopicQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Topics of the communities the user belongs to (a role, or owning a unit there)."""
        if not user.is_authenticated:
            return self.none()
        return self.filter(community_id__in=community_ids_of(user))


class Topic(models.Model):
    community = models.ForeignKey(
        "deliberation.Community", on_delete=models.PROTECT, related_name="topics"
    )
    title = models.CharField(_("title"), max_length=120)
    description = models.TextField(_("description"), max_length=5000)
    category = models.CharField(_("category"), max_length=20, choices=Category)
    scope = models.CharField(_("scope"), max_length=12, choices=Scope, default=Scope.COMMUNITY)
    estate = models.ForeignKey(
        "deliberation.Estate", on_delete=models.PROTECT, null=True, blank=True
    )
    building = models.ForeignKey(
        "deliberation.Building", on_delete=models.PROTECT, null=True, blank=True
    )
    grid = models.ForeignKey("deliberation.Grid", on_delete=models.PROTECT, null=True, blank=True)
    location = models.CharField(_("location"), max_length=200, blank=True)
    phase = models.CharField(_("phase"), max_length=12, choices=Phase, default=Phase.DRAFT)
    is_major = models.BooleanField(_("major or difficult matter"), default=False)
    needs_owner_vote = models.BooleanField(_("needs an owners' vote"), default=False)
    proposer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="proposed_topics"
    )
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="filed_topics",
        help_text=_("A worker who filed the topic on the proposer's behalf."),
    )
    channel = models.CharField(_("channel"), max_length=10, choices=Channel, default=Channel.APP)
    merged_into = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="merged_topics"
    )
    service_offering = models.ForeignKey(
        "deliberation.PartnerOffering",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="orders",
        verbose_name=_("service ordered"),
        help_text=_("Set when a resident orders a co-building unit's service (点单)."),
    )
    phase_reason = models.TextField(_("reason"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    phase_changed_at = models.DateTimeField(auto_now_add=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    execution_started_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=0, help_text="Bumped on each phase change.")
    # Kept by the services (deliberation/services/topics.py) so lists need no per-row count.
    cosign_count = models.PositiveIntegerField(_("co-signs"), default=0)
    comment_count = models.PositiveIntegerField(_("comments"), default=0)
    cosign_target = models.PositiveIntegerField(
        _("co-signs needed"), default=0, help_text="Fixed when the topic is submitted."
    )

    objects = TopicQuerySet.as_manager()

    class Meta:
        verbose_name = _("topic")
        verbose_name_plural = _("topics")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["community", "phase", "-created_at"])]
        constraints = [
            models.CheckConstraint(condition=models.Q(phase__in=Phase.values), name="topic_phase")
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("topic_detail", args=[self.pk])
