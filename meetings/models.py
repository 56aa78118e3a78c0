"""Meetings and their live room: seats, agenda, speakers, hearing stages, live votes, minutes.

All room state lives here; the websocket consumer keeps none of it, so a reconnecting client,
a second ASGI worker or a restarted one rebuilds the room from these rows.
"""

import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Kind(models.TextChoices):
    CONSULTATION = "consultation", _("Consultation meeting")
    HEARING = "hearing", _("Hearing")
    REVIEW = "review", _("Evaluation meeting")
    OWNERS_SESSION = "owners_session", _("Owners' assembly session")
    COMMITTEE = "committee", _("Committee meeting")


class Status(models.TextChoices):
    DRAFT = "draft", _("Draft")
    NOTICED = "noticed", _("Notice published")
    LIVE = "live", _("In session")
    CLOSED = "closed", _("Closed, minutes in draft")
    CORRECTIONS = "corrections", _("Minutes open for corrections")
    SIGNED = "signed", _("Minutes final, awaiting signatures")
    PUBLISHED = "published", _("Minutes published")


class HearingStage(models.TextChoices):
    """The order of a hearing (DOMAIN.md §7): each stage is time-boxed by the chair."""

    NONE = "", _("Not started")
    OPENING = "opening", _("Attendance and rules")
    PRESENTATION = "presentation", _("The organiser states the matter")
    STATEMENTS = "statements", _("Statements by the parties")
    QUESTIONS = "questions", _("Questions")
    DEBATE = "debate", _("Debate")
    FINAL = "final", _("Final statements")
    ENDED = "ended", _("Hearing concluded")


HEARING_ORDER = [
    HearingStage.OPENING,
    HearingStage.PRESENTATION,
    HearingStage.STATEMENTS,
    HearingStage.QUESTIONS,
    HearingStage.DEBATE,
    HearingStage.FINAL,
    HearingStage.ENDED,
]

# Days of notice before the meeting, by kind: a community setting where one exists.
NOTICE_SETTING = {
    Kind.HEARING: "hearing_notice_days",
    Kind.OWNERS_SESSION: "assembly_notice_days",
}


def new_checkin_token():
    """The secret in the door's QR code (22 URL-safe characters)."""
    return secrets.token_urlsafe(16)


class MeetingQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Meetings of the user's communities, plus public meetings they are invited to."""
        from deliberation.access import community_ids_of

        if not user.is_authenticated:
            return self.none()
        return self.filter(Q(community_id__in=community_ids_of(user)) | Q(participants__user=user))


class Meeting(models.Model):
    community = models.ForeignKey(
        "deliberation.Community", on_delete=models.PROTECT, related_name="meetings"
    )
    estate = models.ForeignKey(
        "deliberation.Estate",
        verbose_name=_("estate"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind)
    title = models.CharField(_("title"), max_length=120)
    chair = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("chair"),
        on_delete=models.PROTECT,
        related_name="chaired_meetings",
    )
    secretary = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("secretary"),
        on_delete=models.PROTECT,
        related_name="recorded_meetings",
        null=True,
        blank=True,
    )
    place = models.CharField(_("place"), max_length=200, blank=True)
    online = models.BooleanField(_("online too"), default=False)
    public_watch = models.BooleanField(_("others may watch"), default=False)
    starts_at = models.DateTimeField(_("starts at"))
    status = models.CharField(_("status"), max_length=12, choices=Status, default=Status.DRAFT)
    notice = models.ForeignKey(
        "deliberation.Notice", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    checkin_token = models.CharField(max_length=43, default=new_checkin_token, editable=False)
    hearing_stage = models.CharField(
        _("hearing stage"), max_length=16, choices=HearingStage, blank=True, default=""
    )
    stage_ends_at = models.DateTimeField(null=True, blank=True)
    speaking_time_s = models.PositiveIntegerField(_("speaking time (seconds)"), default=180)
    opened_at = models.DateTimeField(null=True, blank=True)
    # Opening before the noticed date needs the chair's reason (also in the audit log).
    early_opening_reason = models.TextField(_("reason for opening early"), blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    corrections_until = models.DateTimeField(null=True, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    minutes_digest = models.CharField(max_length=64, blank=True)
    # Bumped by every room command: a command carrying an older version is refused as stale.
    version = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = MeetingQuerySet.as_manager()

    class Meta:
        verbose_name = _("meeting")
        verbose_name_plural = _("meetings")
        ordering = ["-starts_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=Status.values), name="meeting_status"),
            models.CheckConstraint(condition=Q(kind__in=Kind.values), name="meeting_kind"),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("meeting_detail", args=[self.pk])

    @property
    def is_hearing(self):
        return self.kind == Kind.HEARING

    @property
    def is_owners_session(self):
        return self.kind == Kind.OWNERS_SESSION

    @property
    def served_estate_id(self):
        """The estate whose households its notices and minutes are served to (an owners'
        session's), or None: deliberation.delivery serves the whole community then."""
        return self.estate_id if self.is_owners_session else None

    @property
    def minutes_frozen(self):
        return self.status in (Status.SIGNED, Status.PUBLISHED)

    def notice_days(self):
        setting = NOTICE_SETTING.get(self.kind)
        return getattr(self.community, setting) if setting else 0

    def group(self, audience):
        return f"meeting-{self.pk}-{audience}"


class SeatRole(models.TextChoices):
    REPRESENTATIVE = "representative", _("Residents' representative")
    OWNER = "owner", _("Owner")
    PARTNER = "partner", _("Co-building unit")
    EXPERT = "expert", _("Expert")
    DEPARTMENT = "department", _("Department")
    PARTY = "party", _("Party to the matter")
    OBSERVER = "observer", _("Observer")


class Rsvp(models.TextChoices):
    PENDING = "pending", _("No answer yet")
    YES = "yes", _("Will attend")
    NO = "no", _("Cannot attend")


class CheckinMethod(models.TextChoices):
    QR = "qr", _("QR code at the door")
    ONLINE = "online", _("Online")
    SECRETARY = "secretary", _("By the secretary")


class Participant(models.Model):
    """An invited person: a user, or a name only (someone without an account)."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="participants")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="meeting_seats",
    )
    name = models.CharField(_("name"), max_length=100)
    role = models.CharField(_("role in the meeting"), max_length=16, choices=SeatRole)
    organisation = models.CharField(_("unit or department"), max_length=100, blank=True)
    # For someone invited without an account: where the invitation and the minutes go by SMS.
    phone = models.CharField(_("mobile number"), max_length=20, blank=True)
    holder = models.ForeignKey(
        "deliberation.Holder", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    rsvp = models.CharField(_("reply"), max_length=8, choices=Rsvp, default=Rsvp.PENDING)
    checked_in_at = models.DateTimeField(null=True, blank=True)
    checkin_method = models.CharField(max_length=10, choices=CheckinMethod, blank=True)
    invited_at = models.DateTimeField(auto_now_add=True)
    # The participant read the draft minutes and has nothing (more) to correct: the text they
    # confirmed, by its digest (meetings.services.minutes_digest), and when.
    draft_confirmed_digest = models.CharField(max_length=64, blank=True)
    draft_confirmed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("participant")
        verbose_name_plural = _("participants")
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["meeting", "user"],
                condition=Q(user__isnull=False),
                name="one_seat_per_user",
            ),
            models.UniqueConstraint(
                fields=["meeting", "holder"],
                condition=Q(holder__isnull=False),
                name="one_seat_per_holder",
            ),
        ]

    def __str__(self):
        return self.name


class ItemStatus(models.TextChoices):
    PENDING = "pending", _("Not yet discussed")
    OPEN = "open", _("Under discussion")
    CLOSED = "closed", _("Done")


class AgendaItem(models.Model):
    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="items")
    position = models.PositiveIntegerField()
    title = models.CharField(_("title"), max_length=200)
    topic = models.ForeignKey(
        "deliberation.Topic", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # In an owners' assembly session, the matter of the published vote this item decides.
    vote_matter = models.ForeignKey(
        "deliberation.VoteMatter",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    status = models.CharField(max_length=8, choices=ItemStatus, default=ItemStatus.PENDING)
    minutes_allowed = models.PositiveIntegerField(_("minutes allowed"), null=True, blank=True)
    speaking_time_s = models.PositiveIntegerField(
        _("speaking time per person (seconds)"), null=True, blank=True
    )
    opened_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    decision = models.TextField(_("decision"), blank=True)

    class Meta:
        verbose_name = _("agenda item")
        verbose_name_plural = _("agenda items")
        ordering = ["meeting_id", "position"]
        constraints = [
            models.UniqueConstraint(fields=["meeting", "position"], name="agenda_position_unique"),
            models.UniqueConstraint(
                fields=["meeting"], condition=Q(status="open"), name="one_open_item"
            ),
        ]

    def __str__(self):
        return self.title

    def speaking_limit(self):
        return self.speaking_time_s or self.meeting.speaking_time_s


class SpeakerStatus(models.TextChoices):
    WAITING = "waiting", _("Waiting")
    SPEAKING = "speaking", _("Has the floor")
    DONE = "done", _("Spoke")
    SKIPPED = "skipped", _("Skipped")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class SpeakerRequest(models.Model):
    """A raised hand. Served first come, first served unless the chair sets `position`."""

    item = models.ForeignKey(AgendaItem, on_delete=models.CASCADE, related_name="speakers")
    participant = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    position = models.PositiveIntegerField(null=True, blank=True)
    reordered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    status = models.CharField(max_length=10, choices=SpeakerStatus, default=SpeakerStatus.WAITING)
    granted_at = models.DateTimeField(null=True, blank=True)
    ends_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    summary = models.TextField(_("summary of the speech"), blank=True)

    class Meta:
        ordering = ["item_id", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["item", "participant"],
                condition=Q(status__in=["waiting", "speaking"]),
                name="one_hand_per_person",
            ),
            models.UniqueConstraint(
                fields=["item"], condition=Q(status="speaking"), name="one_speaker_at_a_time"
            ),
        ]

    def __str__(self):
        return f"{self.participant_id} @ {self.item_id}"


class LiveVoteKind(models.TextChoices):
    SHOW_OF_HANDS = "hands", _("Show of hands (not binding)")
    BALLOT = "ballot", _("Owners' ballot")


class LiveVoteStatus(models.TextChoices):
    OPEN = "open", _("Voting")
    CLOSED = "closed", _("Closed")


class LiveChoice(models.TextChoices):
    YES = "yes", pgettext_lazy("live vote", "Agree")
    NO = "no", pgettext_lazy("live vote", "Oppose")
    ABSTAIN = "abstain", pgettext_lazy("live vote", "Abstain")


class LiveVote(models.Model):
    item = models.ForeignKey(AgendaItem, on_delete=models.CASCADE, related_name="live_votes")
    question = models.CharField(_("question"), max_length=200)
    kind = models.CharField(max_length=8, choices=LiveVoteKind, default=LiveVoteKind.SHOW_OF_HANDS)
    status = models.CharField(max_length=8, choices=LiveVoteStatus, default=LiveVoteStatus.OPEN)
    opened_at = models.DateTimeField(auto_now_add=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    yes_count = models.PositiveIntegerField(default=0)
    no_count = models.PositiveIntegerField(default=0)
    abstain_count = models.PositiveIntegerField(default=0)
    present_count = models.PositiveIntegerField(default=0)
    passed = models.BooleanField(null=True)

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["item"], condition=Q(status="open"), name="one_open_live_vote"
            )
        ]

    def __str__(self):
        return self.question


class LiveVoteResponse(models.Model):
    vote = models.ForeignKey(LiveVote, on_delete=models.CASCADE, related_name="responses")
    participant = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="+")
    choice = models.CharField(max_length=8, choices=LiveChoice)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["vote", "participant"], name="one_response_each"),
            models.CheckConstraint(
                condition=Q(choice__in=LiveChoice.values), name="live_choice_known"
            ),
        ]

    def __str__(self):
        return f"{self.vote_id}: {self.choice}"


class EntryKind(models.TextChoices):
    NOTE = "note", _("Note")
    AGENDA = "agenda", _("Agenda")
    SPEECH = "speech", _("Speech")
    VOTE = "vote", _("Vote")
    DECISION = "decision", _("Decision")
    ATTENDANCE = "attendance", _("Attendance")
    STAGE = "stage", _("Hearing stage")


class MinutesEntry(models.Model):
    """One paragraph of the record: written by the secretary, or inserted by the room."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="minutes")
    item = models.ForeignKey(
        AgendaItem, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    kind = models.CharField(max_length=12, choices=EntryKind, default=EntryKind.NOTE)
    automatic = models.BooleanField(default=False)
    text = models.TextField(max_length=4000)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["meeting_id", "pk"]
        verbose_name = _("minutes entry")
        verbose_name_plural = _("minutes entries")

    def __str__(self):
        return self.text[:50]

    def save(self, *args, **kwargs):
        if Meeting.objects.filter(pk=self.meeting_id, status=Status.PUBLISHED).exists():
            raise ValidationError(_("Published minutes cannot be changed."))
        super().save(*args, **kwargs)


class CorrectionStatus(models.TextChoices):
    OPEN = "open", _("Awaiting the secretary")
    ACCEPTED = "accepted", _("Accepted")
    DECLINED = "declined", _("Declined")


class MinutesCorrection(models.Model):
    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="corrections")
    participant = models.ForeignKey(Participant, on_delete=models.PROTECT, related_name="+")
    entry = models.ForeignKey(
        MinutesEntry, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    text = models.TextField(_("correction"), max_length=2000)
    status = models.CharField(max_length=10, choices=CorrectionStatus, default="open")
    response = models.TextField(_("response"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["pk"]

    def __str__(self):
        return self.text[:50]


class SignatureMethod(models.TextChoices):
    ONLINE = "online", _("Confirmed online")
    PAPER = "paper", _("Signed on paper")
    REFUSED = "refused", _("Refused to sign")


class Signature(models.Model):
    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="signatures")
    participant = models.ForeignKey(
        Participant, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    capacity = models.CharField(max_length=16, default="participant")  # chair / secretary / …
    method = models.CharField(max_length=8, choices=SignatureMethod)
    note = models.CharField(max_length=300, blank=True)
    minutes_digest = models.CharField(max_length=64)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    signed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["meeting", "participant"],
                condition=Q(participant__isnull=False),
                name="one_signature_per_participant",
            ),
            models.UniqueConstraint(
                fields=["meeting", "capacity"],
                condition=Q(capacity__in=["chair", "secretary"]),
                name="one_signature_per_office",
            ),
        ]

    def __str__(self):
        return f"{self.meeting_id} · {self.capacity} · {self.method}"


class RoomEvent(models.Model):
    """The room's log: each command that changed something, in order."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    command = models.CharField(max_length=32)
    data = models.JSONField(default=dict)
    version = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["meeting_id", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["meeting", "version"], name="room_event_version")
        ]

    def __str__(self):
        return f"{self.meeting_id}#{self.version} {self.command}"
