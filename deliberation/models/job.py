"""Long work run by a background worker on behalf of one person, with its progress."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from deliberation.messages import render


class JobKind(models.TextChoices):
    BALLOTS = "ballots", _("Paper ballots")
    REGISTER = "register", _("Owners' register import")
    DELIVERY = "delivery", _("Service of a notice")


class JobState(models.TextChoices):
    QUEUED = "queued", _("Waiting")
    RUNNING = "running", _("Working")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


ACTIVE_JOB_STATES = (JobState.QUEUED, JobState.RUNNING)


class BackgroundJob(models.Model):
    """One piece of long work and how far it has got.

    The task queue (django-tasks) runs it; this row is what the person sees. `done`/`total`
    count the items of the work (ballot sheets, units); `results` lists what it produced, as
    `{"label": ..., "document": stored document id}` entries, in the order to show them.
    """

    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="background_jobs"
    )
    community = models.ForeignKey(
        "deliberation.Community", on_delete=models.CASCADE, related_name="background_jobs"
    )
    kind = models.CharField(max_length=20, choices=JobKind)
    # What the work is about, e.g. {"vote_id": 7, "version": "7.0"}; the same kind and target
    # while one is still active is the same job (see the constraint).
    target = models.CharField(max_length=100)
    params = models.JSONField(default=dict, blank=True)
    title = models.CharField(max_length=200)
    state = models.CharField(max_length=10, choices=JobState, default=JobState.QUEUED)
    done = models.PositiveIntegerField(default=0)
    total = models.PositiveIntegerField(default=0)
    # What `done` counts when the work has several stages (a register: "read" rows of the
    # file, "check" rows against the register, then "" units written); see job_detail.html.
    stage = models.CharField(max_length=10, blank=True)
    results = models.JSONField(default=list, blank=True)
    error = models.CharField(max_length=300, blank=True)  # in the site's language, as a record
    # The failure as deliberation.messages data, shown in the reader's language.
    error_message = models.JSONField(default=dict, blank=True)
    # False when trying the same work again cannot help (the vote's electorate changed, the
    # preview expired): the page then sends the person back to start it anew.
    may_retry = models.BooleanField(default=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    task_result_id = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # Written with each step: a running job whose heartbeat stops was lost with its worker.
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("background job")
        verbose_name_plural = _("background jobs")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "target"],
                condition=Q(state__in=["queued", "running"]),
                name="one_active_job_per_target",
            ),
            models.CheckConstraint(
                condition=Q(done__lte=models.F("total")) | Q(total=0), name="job_done_within_total"
            ),
        ]
        indexes = [models.Index(fields=["started_by", "-created_at"])]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("job_detail", args=[self.pk])

    @property
    def start_url(self):
        """Where the person starts this kind of work anew."""
        if self.kind == JobKind.BALLOTS and "vote_id" in self.params:
            return reverse("vote_detail", args=[self.params["vote_id"]])
        if self.kind == JobKind.REGISTER:
            return reverse("register_import", args=[self.community_id])
        return reverse("job_list")

    @property
    def display_error(self):
        return render(self.error_message) if self.error_message else self.error

    @property
    def is_active(self):
        return self.state in ACTIVE_JOB_STATES

    @property
    def percent(self):
        if not self.total:
            return 100 if self.state == JobState.DONE else 0
        return self.done * 100 // self.total


class JobPart(models.Model):
    """One share of a job that several workers may do at once (one building's ballots).

    The job's `done` is the sum of its finished parts' `total`; a part counts once, however
    often its task runs (a worker lost midway, a duplicate task): see deliberation.jobs.
    """

    job = models.ForeignKey(BackgroundJob, on_delete=models.CASCADE, related_name="parts")
    position = models.PositiveIntegerField()
    key = models.CharField(max_length=100)
    total = models.PositiveIntegerField(default=0)
    state = models.CharField(max_length=10, choices=JobState, default=JobState.QUEUED)
    # What the part produced, e.g. {"label": "1号楼", "document": 12}.
    result = models.JSONField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    task_result_id = models.CharField(max_length=64, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("part of a background job")
        verbose_name_plural = _("parts of background jobs")
        ordering = ["job", "position"]
        constraints = [
            models.UniqueConstraint(fields=["job", "key"], name="one_part_per_key"),
        ]

    def __str__(self):
        return f"{self.job_id}/{self.key}"
