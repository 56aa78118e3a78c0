"""办 and 评: tasks that carry out a decided topic, co-building units, progress, ratings,
follow-up visits, reminders and supervision notes.

Due-soon and overdue are never stored: they are derived from `Task.due_date` and today's date
(`TaskQuerySet.with_status`). A reminder row exists once per task and kind, so a reminder is
sent once however often `send_reminders` runs.
"""

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Case, Q, Value, When
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from deliberation.membership import community_ids_of
from deliberation.messages import render

DUE_SOON_DAYS = 3


class PartnerKind(models.TextChoices):
    SCHOOL = "school", _("School")
    HOSPITAL = "hospital", _("Hospital or clinic")
    COMPANY = "company", _("Company")
    PARTY_BRANCH = "party_branch", _("Party branch")
    AGENCY = "agency", _("Government department")
    OTHER = "other", _("Other organisation")


class PartnerUnit(models.Model):
    """共建单位: an organisation registered with the community that takes on tasks."""

    community = models.ForeignKey(
        "deliberation.Community", on_delete=models.PROTECT, related_name="partner_units"
    )
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(
        _("kind"), max_length=20, choices=PartnerKind, default=PartnerKind.OTHER
    )
    description = models.TextField(_("about the unit"), max_length=2000, blank=True)
    contacts = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="partner_units", blank=True
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("co-building unit")
        verbose_name_plural = _("co-building units")
        ordering = ["name", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["community", "name"], name="partner_unit_name_unique")
        ]

    def __str__(self):
        return self.name


class PartnerOffering(models.Model):
    """What a co-building unit offers residents (free clinics, a hall, volunteers)."""

    unit = models.ForeignKey(PartnerUnit, on_delete=models.CASCADE, related_name="offerings")
    title = models.CharField(_("offer"), max_length=120)
    description = models.TextField(_("details"), max_length=1000, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("offering")
        verbose_name_plural = _("offerings")
        ordering = ["unit_id", "title", "pk"]

    def __str__(self):
        return self.title


class Responsible(models.TextChoices):
    COMMUNITY_WORKER = "community_worker", _("Community worker")
    GRID_WORKER = "grid_worker", _("Grid worker")
    OWNERS_COMMITTEE = "owners_committee", _("Owners' committee")
    PROPERTY_MANAGER = "property_manager", _("Property company")
    PARTNER_UNIT = "partner_unit", _("Co-building unit")


class Route(models.TextChoices):
    # Translators: 五办联动 routes: 即办, 申办, 转办.
    IMMEDIATE = "immediate", _("On the spot")
    REFERRED = "referred", _("Applied to a higher level")
    TRANSFERRED = "transferred", _("Transferred to a department")


class TaskState(models.TextChoices):
    OPEN = "open", _("In progress")
    DONE = "done", _("Done")


class TaskStatus(models.TextChoices):
    """Derived from dates on every read; never stored."""

    DONE = "done", _("Done")
    OVERDUE = "overdue", _("Overdue")
    DUE_SOON = "due_soon", _("Due soon")
    ON_TRACK = "on_track", _("On track")


class TaskQuerySet(models.QuerySet):
    def with_status(self, today=None):
        """Annotate `status` (a TaskStatus value) from the due date and `today`."""
        today = today or timezone.localdate()
        return self.annotate(
            status=Case(
                When(state=TaskState.DONE, then=Value(TaskStatus.DONE)),
                When(due_date__lt=today, then=Value(TaskStatus.OVERDUE)),
                When(
                    due_date__lte=today + timedelta(days=DUE_SOON_DAYS),
                    then=Value(TaskStatus.DUE_SOON),
                ),
                default=Value(TaskStatus.ON_TRACK),
                output_field=models.CharField(),
            )
        )

    def overdue(self, today=None):
        today = today or timezone.localdate()
        return self.filter(state=TaskState.OPEN, due_date__lt=today)

    def visible_to(self, user):
        if not user.is_authenticated:
            return self.none()
        return self.filter(topic__community_id__in=community_ids_of(user))


class Task(models.Model):
    """One piece of work that carries out a decided topic, in one round of execution.

    A topic reopened after its evaluation gets new tasks in the next round; earlier rounds
    stay as they were, so the history keeps both.
    """

    topic = models.ForeignKey("deliberation.Topic", on_delete=models.PROTECT, related_name="tasks")
    round = models.PositiveSmallIntegerField(_("round"), default=1)
    title = models.CharField(_("what is to be done"), max_length=200)
    description = models.TextField(_("details"), max_length=3000, blank=True)
    responsible = models.CharField(_("responsible party"), max_length=20, choices=Responsible)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assigned_tasks",
        verbose_name=_("person in charge"),
    )
    partner_unit = models.ForeignKey(
        PartnerUnit,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="tasks",
        help_text=_("Set when a co-building unit accepts the task."),
    )
    route = models.CharField(_("route"), max_length=12, choices=Route, default=Route.IMMEDIATE)
    due_date = models.DateField(_("due date"))
    due_reason = models.CharField(_("reason for another date"), max_length=300, blank=True)
    progress = models.PositiveSmallIntegerField(_("progress (%)"), default=0)
    state = models.CharField(_("state"), max_length=8, choices=TaskState, default=TaskState.OPEN)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="created_tasks"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    completed_on = models.DateField(null=True, blank=True)  # local date, for on-time counts
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="completed_tasks",
    )

    objects = TaskQuerySet.as_manager()

    class Meta:
        verbose_name = _("task")
        verbose_name_plural = _("tasks")
        ordering = ["due_date", "pk"]
        indexes = [
            models.Index(fields=["state", "due_date"]),
            models.Index(fields=["topic", "round"]),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(progress__lte=100), name="task_progress_percent"),
            models.CheckConstraint(condition=Q(state__in=TaskState.values), name="task_state"),
            models.CheckConstraint(
                condition=Q(state=TaskState.OPEN) | Q(completed_on__isnull=False),
                name="task_done_has_date",
            ),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("task_detail", args=[self.pk])


class DispatchState(models.TextChoices):
    PENDING = "pending", _("Awaiting an answer")
    ACCEPTED = "accepted", _("Taken on")
    DECLINED = "declined", _("Turned down")


class TaskDispatch(models.Model):
    """下单 → 接单: the community sends a task to a co-building unit, which accepts or declines."""

    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="dispatches")
    unit = models.ForeignKey(PartnerUnit, on_delete=models.PROTECT, related_name="dispatches")
    state = models.CharField(
        _("state"), max_length=10, choices=DispatchState, default=DispatchState.PENDING
    )
    note = models.CharField(_("message to the unit"), max_length=300, blank=True)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    sent_at = models.DateTimeField(auto_now_add=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    answered_at = models.DateTimeField(null=True, blank=True)
    reason = models.CharField(_("reason"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("dispatch")
        verbose_name_plural = _("dispatches")
        ordering = ["-sent_at", "-pk"]
        constraints = [
            # A task is with at most one unit at a time: pending or accepted.
            models.UniqueConstraint(
                fields=["task"],
                condition=Q(state__in=["pending", "accepted"]),
                name="one_live_dispatch_per_task",
            ),
        ]

    def __str__(self):
        return f"{self.task_id} → {self.unit_id}"


class ProgressUpdate(models.Model):
    """Progress on a task, in words and a percentage; the last one marks completion."""

    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="updates")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    text = models.TextField(_("what was done"), max_length=2000)
    percent = models.PositiveSmallIntegerField(_("progress (%)"))
    is_completion = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(percent__lte=100), name="update_percent"),
        ]

    def __str__(self):
        return self.text[:40]


class ProgressPhoto(models.Model):
    update = models.ForeignKey(ProgressUpdate, on_delete=models.CASCADE, related_name="photos")
    # A private file under MEDIA_ROOT (deliberation.uploads), served through a checked view.
    path = models.CharField(max_length=200)
    content_type = models.CharField(max_length=40)

    def __str__(self):
        return self.path

    def get_absolute_url(self):
        return reverse("task_photo", args=[self.update.task_id, self.pk])


class RatingLevel(models.TextChoices):
    SATISFIED = "satisfied", _("Satisfied")
    BASICALLY_SATISFIED = "basically", _("Basically satisfied")
    DISSATISFIED = "dissatisfied", _("Dissatisfied")


SATISFIED_LEVELS = (RatingLevel.SATISFIED, RatingLevel.BASICALLY_SATISFIED)


class Rating(models.Model):
    """One person's rating of one round's result. A visit may record it for the proposer."""

    topic = models.ForeignKey(
        "deliberation.Topic", on_delete=models.PROTECT, related_name="ratings"
    )
    round = models.PositiveSmallIntegerField(default=1)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="ratings"
    )
    level = models.CharField(_("rating"), max_length=12, choices=RatingLevel)
    comment = models.TextField(_("comment"), max_length=1000, blank=True)
    unsatisfactory_tasks = models.ManyToManyField(
        Task,
        blank=True,
        related_name="unsatisfactory_ratings",
        verbose_name=_("work that is not right"),
        help_text=_("With a dissatisfied rating: the tasks of the round it is about."),
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("A worker who recorded the rating during a visit."),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("rating")
        verbose_name_plural = _("ratings")
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["topic", "round", "user"], name="one_rating_per_round_and_user"
            ),
            models.CheckConstraint(
                condition=Q(level__in=RatingLevel.values), name="rating_level_known"
            ),
        ]

    def __str__(self):
        return f"{self.topic_id}/{self.round}: {self.level}"


class VisitChannel(models.TextChoices):
    HOME = "home", _("Home visit")
    PHONE = "phone", _("Phone call")
    OTHER = "other", _("Elsewhere")


class VisitOutcome(models.TextChoices):
    HOLDS = "holds", _("The result holds")
    FAILED = "failed", _("The problem is back or unsolved")
    UNREACHABLE = "unreachable", _("Could not reach the resident")


class FollowUpVisit(models.Model):
    """一事一回访: a grid worker checks with the proposer that the result holds."""

    topic = models.ForeignKey("deliberation.Topic", on_delete=models.PROTECT, related_name="visits")
    round = models.PositiveSmallIntegerField(default=1)
    visited_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    visited_on = models.DateField(_("date of the visit"))
    channel = models.CharField(_("how"), max_length=8, choices=VisitChannel)
    outcome = models.CharField(_("outcome"), max_length=12, choices=VisitOutcome)
    notes = models.TextField(_("notes"), max_length=2000, blank=True)
    resident_rating = models.CharField(
        _("the resident's own rating"), max_length=12, choices=RatingLevel, blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("follow-up visit")
        verbose_name_plural = _("follow-up visits")
        ordering = ["visited_on", "pk"]

    def __str__(self):
        return f"{self.topic_id}/{self.round}: {self.outcome}"


class ReminderKind(models.TextChoices):
    DUE_SOON = "due_soon", _("Due in three days")
    DUE_TODAY = "due_today", _("Due today")


class Reminder(models.Model):
    """A reminder that was sent; the unique constraint makes each one go out once."""

    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="reminders")
    kind = models.CharField(max_length=10, choices=ReminderKind)
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["task", "kind"], name="one_reminder_per_task_kind")
        ]

    def __str__(self):
        return f"{self.task_id}: {self.kind}"


class SupervisionKind(models.TextChoices):
    OVERDUE = "overdue", _("Overdue")
    REOPENED = "reopened", _("Reopened after evaluation")
    MANUAL = "manual", _("Supervision note")


class SupervisionNote(models.Model):
    """督办: a note raised on an overdue or reopened task, sent to the Party secretary and the
    street office; automatic notes are unique per task and kind."""

    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="supervision_notes")
    kind = models.CharField(_("kind"), max_length=10, choices=SupervisionKind)
    text = models.TextField(_("note"), max_length=1000)
    # An automatic note's msgid and parameters (deliberation.messages), rendered in the
    # reader's language; empty for a person's own note, and for rows written before.
    message = models.JSONField(default=dict, blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("supervision note")
        verbose_name_plural = _("supervision notes")
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["task", "kind"],
                condition=~Q(kind="manual"),
                name="one_automatic_note_per_task_kind",
            )
        ]

    def __str__(self):
        return self.text[:40]

    @property
    def display(self):
        """An automatic note in the reader's language; a person's note as written."""
        return render(self.message) or self.text
