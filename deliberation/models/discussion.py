"""What happens around a topic: co-signs, followers, photos, comments, polls and the decision."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class CoSign(models.Model):
    """附议: one member's support for a proposal; one per person and topic."""

    topic = models.ForeignKey(
        "deliberation.Topic", on_delete=models.CASCADE, related_name="cosigns"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="cosigns"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("co-sign")
        verbose_name_plural = _("co-signs")
        constraints = [models.UniqueConstraint(fields=["topic", "user"], name="one_cosign_each")]

    def __str__(self):
        return f"{self.user_id} → {self.topic_id}"


class Follow(models.Model):
    topic = models.ForeignKey(
        "deliberation.Topic", on_delete=models.CASCADE, related_name="follows"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="follows"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["topic", "user"], name="one_follow_each")]

    def __str__(self):
        return f"{self.user_id} follows {self.topic_id}"


class TopicPhoto(models.Model):
    """A photo stored by deliberation.uploads (re-encoded, EXIF stripped) under MEDIA_ROOT."""

    topic = models.ForeignKey("deliberation.Topic", on_delete=models.CASCADE, related_name="photos")
    path = models.CharField(max_length=200)
    content_type = models.CharField(max_length=40)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["pk"]

    def __str__(self):
        return self.path


class Stance(models.TextChoices):
    SUPPORT = "support", _("Support")
    NEUTRAL = "neutral", _("Neutral")
    OPPOSE = "oppose", _("Oppose")


class Comment(models.Model):
    """A real-name comment; replies go one level deep (parent is always a top-level comment)."""

    topic = models.ForeignKey(
        "deliberation.Topic", on_delete=models.CASCADE, related_name="comments"
    )
    parent = models.ForeignKey(
        "self", on_delete=models.CASCADE, null=True, blank=True, related_name="replies"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="topic_comments"
    )
    body = models.TextField(_("comment"), max_length=2000)
    stance = models.CharField(_("stance"), max_length=8, choices=Stance, default=Stance.NEUTRAL)
    created_at = models.DateTimeField(auto_now_add=True)
    hidden_at = models.DateTimeField(null=True, blank=True)
    hidden_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    hidden_reason = models.CharField(_("reason for hiding"), max_length=300, blank=True)

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["topic", "parent", "created_at"])]
        constraints = [
            models.CheckConstraint(condition=Q(stance__in=Stance.values), name="comment_stance")
        ]

    def __str__(self):
        return self.body[:40]

    @property
    def is_hidden(self):
        return self.hidden_at is not None


class Reaction(models.TextChoices):
    AGREE = "agree", _("Agree")
    THANKS = "thanks", _("Thanks")


class CommentReaction(models.Model):
    comment = models.ForeignKey(Comment, on_delete=models.CASCADE, related_name="reactions")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=8, choices=Reaction)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["comment", "user", "kind"], name="one_reaction_of_a_kind"
            ),
            models.CheckConstraint(condition=Q(kind__in=Reaction.values), name="reaction_kind"),
        ]

    def __str__(self):
        return f"{self.kind} on {self.comment_id}"


class CommentReport(models.Model):
    comment = models.ForeignKey(Comment, on_delete=models.CASCADE, related_name="reports")
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    reason = models.CharField(_("reason"), max_length=300)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["comment", "reporter"], name="one_report_each")
        ]

    def __str__(self):
        return self.reason[:40]


class Poll(models.Model):
    """A non-binding consultation poll; it never replaces an owners' vote."""

    topic = models.ForeignKey("deliberation.Topic", on_delete=models.CASCADE, related_name="polls")
    question = models.CharField(_("question"), max_length=200)
    multiple = models.BooleanField(_("several answers allowed"), default=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    created_at = models.DateTimeField(auto_now_add=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["pk"]

    def __str__(self):
        return self.question


class PollOption(models.Model):
    poll = models.ForeignKey(Poll, on_delete=models.CASCADE, related_name="options")
    text = models.CharField(_("option"), max_length=100)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "pk"]

    def __str__(self):
        return self.text


class PollVote(models.Model):
    """One member's answer; `poll` is repeated so one vote per member is a DB constraint."""

    poll = models.ForeignKey(Poll, on_delete=models.CASCADE, related_name="votes")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    options = models.ManyToManyField(PollOption, related_name="votes")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["poll", "user"], name="one_poll_vote_each")]

    def __str__(self):
        return f"{self.user_id} in {self.poll_id}"


class DecidingBody(models.TextChoices):
    RESIDENTS_MEETING = "residents_meeting", _("Residents' consultation meeting")
    OWNERS_ASSEMBLY = "owners_assembly", _("Owners' assembly")
    OWNERS_COMMITTEE = "owners_committee", _("Owners' committee")
    PARTY_ORGANISATION = "party_organisation", _("Community Party organisation")


class Decision(models.Model):
    """定: what was decided, by whom, on what basis. Published to the notice board."""

    topic = models.OneToOneField(
        "deliberation.Topic", on_delete=models.PROTECT, related_name="decision"
    )
    text = models.TextField(_("decision"), max_length=5000)
    decided_by = models.CharField(_("decided by"), max_length=20, choices=DecidingBody)
    decided_on = models.DateField(_("date of the decision"))
    # Link points: the owners' vote (deliberation.AssemblyVote) and the meeting (meetings app)
    # are referenced generically so neither app has to exist for a decision to be recorded.
    source_type = models.CharField(max_length=60, blank=True)
    source_id = models.CharField(max_length=40, blank=True)
    meeting_type = models.CharField(max_length=60, blank=True)
    meeting_id = models.CharField(max_length=40, blank=True)
    notice = models.ForeignKey(
        "deliberation.Notice", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("decision")
        verbose_name_plural = _("decisions")
        constraints = [
            models.CheckConstraint(
                condition=Q(decided_by__in=DecidingBody.values), name="decision_body"
            )
        ]

    def __str__(self):
        return self.text[:40]
