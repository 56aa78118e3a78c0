"""The opinion map's data: short statements on a topic and residents' agree/disagree/pass.

The map itself is computed by the pure deliberation/opinion_map.py (docs/opinion_map.md).
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

STATEMENT_MAX_LENGTH = 140  # Polis's limit: one idea, readable on a phone


class Moderation(models.TextChoices):
    PENDING = "pending", _("Waiting for moderation")
    APPROVED = "approved", _("Shown")
    HIDDEN = "hidden", _("Hidden")


class Statement(models.Model):
    """意见: one short statement residents agree with, disagree with or pass on."""

    topic = models.ForeignKey(
        "deliberation.Topic", on_delete=models.CASCADE, related_name="statements"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="statements"
    )
    text = models.CharField(_("statement"), max_length=STATEMENT_MAX_LENGTH)
    state = models.CharField(
        _("moderation"), max_length=8, choices=Moderation, default=Moderation.PENDING
    )
    reason = models.CharField(_("reason for hiding"), max_length=300, blank=True)
    moderated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    moderated_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("statement")
        verbose_name_plural = _("statements")
        indexes = [models.Index(fields=["topic", "state"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(state__in=Moderation.values), name="statement_state"
            ),
            models.CheckConstraint(
                condition=~Q(state=Moderation.HIDDEN) | ~Q(reason=""),
                name="hidden_statement_has_reason",
            ),
        ]

    def __str__(self):
        return self.text[:40]


class StatementVote(models.Model):
    """One participant's answer on one statement; answering again replaces it."""

    AGREE, PASS, DISAGREE = 1, 0, -1
    CHOICES = [
        (AGREE, pgettext_lazy("statement answer", "Agree")),
        (DISAGREE, pgettext_lazy("statement answer", "Disagree")),
        (PASS, pgettext_lazy("statement answer", "Pass")),
    ]

    statement = models.ForeignKey(Statement, on_delete=models.CASCADE, related_name="votes")
    participant = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="statement_votes"
    )
    # The topic again, so the map reads one topic's votes and their latest time by index.
    topic = models.ForeignKey("deliberation.Topic", on_delete=models.CASCADE, related_name="+")
    vote = models.SmallIntegerField(choices=CHOICES)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [models.Index(fields=["topic", "updated_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["statement", "participant"], name="one_statement_vote_each"
            ),
            models.CheckConstraint(condition=Q(vote__in=[-1, 0, 1]), name="statement_vote_value"),
        ]

    def __str__(self):
        return f"{self.participant_id} {self.vote:+d} on {self.statement_id}"


class OpinionSnapshot(models.Model):
    """The map as it stood when the topic was decided: group sizes and the consensus.

    Kept with the decision record (and written into the decision's notice) so that what the
    decision was informed by does not move with answers given later.
    """

    topic = models.OneToOneField(
        "deliberation.Topic", on_delete=models.CASCADE, related_name="opinion_snapshot"
    )
    data = models.JSONField()  # services.opinions.shown_map without the drawing
    taken_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return f"opinion map of {self.topic_id}"

    @property
    def group_summary(self):
        return [(g["letter"], g["size"]) for g in self.data.get("groups", [])]


class LatestOpinionMap(models.Model):
    """The topic's map as last drawn by the task queue, which pages and the live room show.

    Drawing it takes up to a second for a large topic, so no request ever does: a change
    (an answer, a moderation) queues one recompute per topic (`queued_at` says one waits), and
    pages show what is stored here, with its time, until the next drawing replaces it
    (deliberation.services.opinions.request_map, recompute_map).
    """

    topic = models.OneToOneField(
        "deliberation.Topic", on_delete=models.CASCADE, related_name="latest_opinion_map"
    )
    data = models.JSONField(null=True, blank=True)  # opinion_map.as_dict; None: never drawn
    # What it was drawn from (services.opinions._stamp) and when its recompute began: every
    # answer given after that time is missing from it, every one before is in it. A slower
    # drawing of older answers finishing late never replaces a newer one.
    stamp = models.CharField(max_length=100, blank=True)
    basis = models.DateTimeField(null=True, blank=True)
    computed_at = models.DateTimeField(null=True, blank=True)
    queued_at = models.DateTimeField(null=True, blank=True)  # a recompute waits since then
    # The latest answer or moderation; the stored map is current when its basis is not older.
    changed_at = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return f"latest opinion map of {self.topic_id}"
