"""The notice board (公示栏) and personal notifications."""

from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from deliberation.messages import render, render_lines


class NoticeKind(models.TextChoices):
    ACCEPTANCE = "acceptance", _("Acceptance")
    DECLINE = "decline", _("Declined topic")
    DECISION = "decision", _("Decision")
    MEETING = "meeting", _("Meeting notice")
    VOTE_NOTICE = "vote_notice", _("Assembly notice")
    VOTE_RESULT = "vote_result", _("Vote result")
    CANDIDATES = "candidates", _("Candidate list")
    TASK = "task", _("Task and progress")
    REOPEN = "reopen", _("Reopened for rework")
    CLOSURE = "closure", _("Closure and ratings")
    MINUTES = "minutes", _("Minutes")
    OTHER = "other", _("Other")


# What is posted for anyone to read, signed in or not: what DOMAIN §6 says 公示 covers
# (acceptance and its refusal, meeting notices, decisions, tasks and progress, closure and
# ratings, a reopening) and what an owners' assembly announces to every owner (its notice and
# its result). Candidate lists (names and vetting), minutes (what each person said) and notices
# of no declared kind stay within the community: outsiders get 404.
PUBLIC_NOTICE_KINDS = frozenset(
    {
        NoticeKind.ACCEPTANCE,
        NoticeKind.DECLINE,
        NoticeKind.DECISION,
        NoticeKind.MEETING,
        NoticeKind.VOTE_NOTICE,
        NoticeKind.VOTE_RESULT,
        NoticeKind.TASK,
        NoticeKind.CLOSURE,
        NoticeKind.REOPEN,
    }
)


class NoticeQuerySet(models.QuerySet):
    def readable(self, member):
        """All of a community's notices for its members; for anyone else the public kinds,
        once published."""
        if member:
            return self
        return self.filter(kind__in=PUBLIC_NOTICE_KINDS, published_at__lte=timezone.now())

    def current(self, now=None):
        now = now or timezone.now()
        return self.filter(published_at__lte=now, ends_at__gt=now, superseded_by__isnull=True)

    def past(self, now=None):
        now = now or timezone.now()
        return self.filter(published_at__lte=now).exclude(
            ends_at__gt=now, superseded_by__isnull=True
        )


class Notice(models.Model):
    """A public notice. Never edited after publication: a correction supersedes it."""

    community = models.ForeignKey(
        "deliberation.Community", on_delete=models.PROTECT, related_name="notices"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=NoticeKind)
    # The notice as published, in the site's language: the record people may inspect.
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("text"))
    # What the platform wrote, as msgids and parameters (deliberation.messages) so each reader
    # gets it in their language: {"title": message, "body": [message or {"text": line}]}.
    # Empty for notices written by hand and for rows written before.
    message = models.JSONField(default=dict, blank=True)
    source_type = models.CharField(max_length=40, blank=True)
    source_id = models.CharField(max_length=40, blank=True)
    source_url = models.CharField(max_length=200, blank=True)
    published_at = models.DateTimeField(_("published"))
    ends_at = models.DateTimeField(_("posted until"))
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True
    )
    supersedes = models.OneToOneField(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="superseded_by",
    )

    objects = NoticeQuerySet.as_manager()

    class Meta:
        verbose_name = _("notice")
        verbose_name_plural = _("notices")
        ordering = ["-published_at", "-pk"]
        indexes = [models.Index(fields=["community", "-published_at"])]

    def __str__(self):
        return self.title

    def save(self, *args, **kwargs):
        if self.pk and not kwargs.pop("allow_update", False):
            raise ValidationError(_("A published notice cannot be changed; supersede it."))
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return reverse("notice_detail", args=[self.community_id, self.pk])

    @property
    def display_title(self):
        return render(self.message.get("title")) or self.title

    @property
    def display_body(self):
        lines = self.message.get("body")
        return self.body if lines is None else render_lines(lines)

    @property
    def period_days(self):
        return (self.ends_at - self.published_at) // timedelta(days=1)

    @property
    def is_public(self):
        return self.kind in PUBLIC_NOTICE_KINDS

    def is_posted(self, now=None):
        """True during the notice period (公示期), while no correction supersedes it."""
        now = now or timezone.now()
        superseded = hasattr(self, "superseded_by")  # the reverse one-to-one, when it exists
        return self.published_at <= now < self.ends_at and not superseded


class Objection(models.Model):
    """异议: a written objection to a notice during its period, recorded and answered."""

    notice = models.ForeignKey(Notice, on_delete=models.PROTECT, related_name="objections")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="objections"
    )
    text = models.TextField(_("objection"), max_length=2000)
    created_at = models.DateTimeField()
    answer = models.TextField(_("answer"), max_length=2000, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("objection")
        verbose_name_plural = _("objections")
        ordering = ["created_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(answered_at__isnull=True, answered_by__isnull=True, answer="")
                    | (Q(answered_at__isnull=False, answered_by__isnull=False) & ~Q(answer=""))
                ),
                name="objection_answered_whole",
            )
        ]

    def __str__(self):
        return self.text[:40]


class Notification(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    text = models.CharField(max_length=300)  # in the site's language, as first written
    # The msgid and parameters (deliberation.messages), rendered in each reader's language;
    # empty for rows written before, which show `text` as it is.
    message = models.JSONField(default=dict, blank=True)
    url = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["user", "read_at"])]

    def __str__(self):
        return self.text

    @property
    def display(self):
        """The notification in the reader's (active) language."""
        return render(self.message) or self.text
