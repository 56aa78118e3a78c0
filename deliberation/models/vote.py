"""Owners' assembly votes (业主大会表决): the vote, its matters, the frozen electorate, ballots on
every channel, paper double entry, proxies, tellers, candidates, results, and the property
company selection that leads to a vote.

The count itself is deliberation.rules; deliberation.services.votes feeds it from these tables.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import lazy
from django.utils.translation import get_language, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from deliberation import rules
from deliberation.membership import community_ids_of


def _matter_label(matter):
    # The rules engine carries both legal labels; show the one of the active language.
    return matter.label_zh if (get_language() or "zh").startswith("zh") else matter.label_en


matter_label = lazy(_matter_label, str)
MATTER_CODES = [(code, matter_label(m)) for code, m in rules.MATTERS.items()]


class ConvenedBy(models.TextChoices):
    COMMITTEE = "committee", _("Owners' committee")
    PREPARATORY_GROUP = "preparatory_group", _("Preparatory group")


class VoteStatus(models.TextChoices):
    """What is stored. Open and closed are derived from the clock (see AssemblyVote.state)."""

    DRAFT = "draft", _("Draft")
    NOTICED = "noticed", _("Notice published")
    COUNTED = "counted", pgettext_lazy("vote status", "Counted")
    PUBLISHED = "published", _("Result published")
    CANCELLED = "cancelled", _("Cancelled")


class VoteState(models.TextChoices):
    """What a person sees, and what the permission table is keyed on."""

    DRAFT = "draft", _("Draft")
    NOTICED = "noticed", _("Announced, not yet open")
    OPEN = "open", _("Voting open")
    CLOSED = "closed", _("Voting closed, awaiting the count")
    COUNTED = "counted", _("Counted, awaiting confirmation")
    PUBLISHED = "published", _("Result published")
    CANCELLED = "cancelled", _("Cancelled")


class AssemblyVoteQuerySet(models.QuerySet):
    def visible_to(self, user):
        if not user.is_authenticated:
            return self.none()
        return self.filter(community_id__in=community_ids_of(user))


class AssemblyVote(models.Model):
    """业主大会会议 (written or online form): one estate, one notice, one voting window."""

    community = models.ForeignKey(
        "deliberation.Community", on_delete=models.PROTECT, related_name="assembly_votes"
    )
    estate = models.ForeignKey(
        "deliberation.Estate", on_delete=models.PROTECT, related_name="assembly_votes"
    )
    title = models.CharField(_("title"), max_length=150)
    description = models.TextField(_("description"), blank=True, max_length=5000)
    convened_by = models.CharField(
        _("convened by"), max_length=20, choices=ConvenedBy, default=ConvenedBy.COMMITTEE
    )
    status = models.CharField(
        _("status"), max_length=12, choices=VoteStatus, default=VoteStatus.DRAFT
    )
    opens_at = models.DateTimeField(_("voting opens"))
    closes_at = models.DateTimeField(_("voting closes"))
    allow_change = models.BooleanField(
        _("owners may change their ballot before closing"), default=False
    )
    topic = models.ForeignKey(
        "deliberation.Topic",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assembly_votes",
    )
    previous_round = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="next_rounds",
        help_text=_("The vote this by-election or new round follows."),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    notice_published_at = models.DateTimeField(null=True, blank=True)
    notice = models.ForeignKey(
        "deliberation.Notice", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    counted_at = models.DateTimeField(null=True, blank=True)
    result_published_at = models.DateTimeField(null=True, blank=True)
    result_notice = models.ForeignKey(
        "deliberation.Notice", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    objects = AssemblyVoteQuerySet.as_manager()

    class Meta:
        verbose_name = _("assembly vote")
        verbose_name_plural = _("assembly votes")
        ordering = ["-opens_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(closes_at__gt=F("opens_at")), name="vote_window"),
            models.CheckConstraint(
                condition=Q(status__in=VoteStatus.values), name="vote_status_known"
            ),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("vote_detail", args=[self.pk])

    def state_at(self, now=None):
        if self.status != VoteStatus.NOTICED:
            return VoteState(self.status)
        now = now or timezone.now()
        if now < self.opens_at:
            return VoteState.NOTICED
        if now < self.closes_at:
            return VoteState.OPEN
        return VoteState.CLOSED

    @property
    def state(self):
        return self.state_at()


class MatterKind(models.TextChoices):
    ORDINARY = "ordinary", _("Yes / no matter")
    ELECTION = "election", _("Committee election")
    SELECTION = "selection", _("Property company selection")


class VoteMatter(models.Model):
    """One item of the notice. Nothing outside the notice can be voted."""

    vote = models.ForeignKey(AssemblyVote, on_delete=models.CASCADE, related_name="matters")
    code = models.CharField(_("matter (Civil Code art. 278)"), max_length=30, choices=MATTER_CODES)
    kind = models.CharField(
        _("kind"), max_length=10, choices=MatterKind, default=MatterKind.ORDINARY
    )
    title = models.CharField(_("title"), max_length=150)
    text = models.TextField(_("text"), max_length=10000, blank=True)
    position = models.PositiveIntegerField(default=1)
    seats = models.PositiveIntegerField(_("seats"), default=1)
    attachment = models.CharField(_("attachment"), max_length=200, blank=True)
    attachment_type = models.CharField(max_length=40, blank=True)

    class Meta:
        verbose_name = _("vote matter")
        verbose_name_plural = _("vote matters")
        ordering = ["vote_id", "position", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["vote", "position"], name="matter_position_unique"),
            models.CheckConstraint(
                condition=Q(code__in=list(rules.MATTERS)), name="matter_code_known"
            ),
            models.CheckConstraint(condition=Q(seats__gte=1), name="matter_seats_positive"),
        ]

    def __str__(self):
        return self.title

    @property
    def rule(self):
        return rules.MATTERS[self.code]

    @property
    def is_election(self):
        return self.kind != MatterKind.ORDINARY


class ElectorateEntry(models.Model):
    """One unit as it stood when the notice was published. The tally reads only these rows."""

    vote = models.ForeignKey(AssemblyVote, on_delete=models.CASCADE, related_name="electorate")
    unit_id = models.BigIntegerField()
    unit_label = models.CharField(max_length=80)
    building_id = models.BigIntegerField()
    building_name = models.CharField(max_length=50)
    area = models.DecimalField(max_digits=10, decimal_places=2)
    head = models.CharField(max_length=40)
    holder = models.ForeignKey(
        "deliberation.Holder", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    holder_name = models.CharField(max_length=100, blank=True)
    frozen_at = models.DateTimeField()
    # deliberation.natural.natural_key(unit_label): 2号楼-101 before 10号楼-101, 101 before 1001
    sort_key = models.CharField(max_length=200, blank=True)

    class Meta:
        verbose_name = _("electorate entry")
        verbose_name_plural = _("electorate entries")
        ordering = ["vote_id", "sort_key"]
        constraints = [
            models.UniqueConstraint(fields=["vote", "unit_id"], name="electorate_unit_unique"),
            models.CheckConstraint(condition=Q(area__gt=0), name="electorate_area_positive"),
        ]
        indexes = [
            models.Index(fields=["vote", "head"]),
            models.Index(fields=["vote", "holder"]),
            models.Index(fields=["vote", "building_id"]),
        ]

    def __str__(self):
        return self.unit_label


class ElectorateHead(models.Model):
    """One head of the frozen electorate with its units' area summed, kept in step with the
    entries (at the notice, and by each amendment). The tally reads these rows, so a count
    needs no GROUP BY over the units."""

    vote = models.ForeignKey(AssemblyVote, on_delete=models.CASCADE, related_name="heads")
    head = models.CharField(max_length=40)
    area_hundredths = models.BigIntegerField()
    units = models.PositiveIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["vote", "head"], name="electorate_head_unique"),
            models.CheckConstraint(
                condition=Q(area_hundredths__gt=0), name="electorate_head_area_positive"
            ),
        ]

    def __str__(self):
        return self.head


class ElectorateAmendment(models.Model):
    """A logged correction of the snapshot (a sale, a register error); owners can read it."""

    vote = models.ForeignKey(AssemblyVote, on_delete=models.CASCADE, related_name="amendments")
    unit_id = models.BigIntegerField()
    unit_label = models.CharField(max_length=80)
    before = models.JSONField(default=dict)
    after = models.JSONField(default=dict)
    reason = models.TextField(_("reason"), max_length=2000)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["vote_id", "pk"]
        constraints = [
            models.CheckConstraint(condition=~Q(reason=""), name="amendment_reason_required")
        ]

    def __str__(self):
        return f"{self.unit_label}: {self.reason[:40]}"


class BallotChannel(models.TextChoices):
    ONLINE = "online", _("Online")
    PAPER = "paper", _("Paper ballot")
    PROXY = "proxy", _("By proxy")
    MEETING = "meeting", _("In the meeting")


class BallotChoice(models.TextChoices):
    YES = "yes", pgettext_lazy("ballot choice", "Agree")
    NO = "no", _("Oppose")
    ABSTAIN = "abstain", _("Abstain")
    SPOILED = "spoiled", _("Spoiled")
    # An election ballot: its approvals are BallotSelection rows.
    LIST = "list", _("Candidates marked")


class VoteTeller(models.Model):
    """计票人/监票人 appointed for one vote: enters paper ballots, sees choices, confirms."""

    vote = models.ForeignKey(AssemblyVote, on_delete=models.CASCADE, related_name="tellers")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="teller_of"
    )
    appointed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["vote", "user"], name="teller_unique"),
        ]

    def __str__(self):
        return f"{self.user} @ {self.vote_id}"


class ProxyMandate(models.Model):
    """A written, item-specific mandate: the agent votes as the owner instructed."""

    vote = models.ForeignKey(AssemblyVote, on_delete=models.CASCADE, related_name="mandates")
    holder = models.ForeignKey("deliberation.Holder", on_delete=models.PROTECT, related_name="+")
    head = models.CharField(max_length=40)
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="mandates_held"
    )
    matters = models.ManyToManyField(VoteMatter, related_name="mandates")
    # {"<matter id>": "yes" | "no" | "abstain"} or a list of candidate ids for an election
    instructions = models.JSONField(default=dict)
    # Stored privately through deliberation.uploads; served only after an access check.
    document = models.CharField(_("signed mandate"), max_length=200)
    document_type = models.CharField(max_length=40)
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["vote", "head"],
                condition=Q(revoked_at__isnull=True),
                name="one_active_mandate_per_head",
            ),
        ]

    def __str__(self):
        return f"{self.holder} → {self.agent}"


class Ballot(models.Model):
    """表决票: one per holder (head) per matter, whatever the channel, by a unique constraint."""

    vote = models.ForeignKey(AssemblyVote, on_delete=models.PROTECT, related_name="ballots")
    matter = models.ForeignKey(VoteMatter, on_delete=models.PROTECT, related_name="ballots")
    head = models.CharField(max_length=40)
    holder = models.ForeignKey("deliberation.Holder", on_delete=models.PROTECT, related_name="+")
    choice = models.CharField(max_length=8, choices=BallotChoice)
    channel = models.CharField(max_length=8, choices=BallotChannel)
    receipt_hash = models.CharField(max_length=64, db_index=True)
    cast_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    mandate = models.ForeignKey(
        ProxyMandate, on_delete=models.PROTECT, null=True, blank=True, related_name="ballots"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    changed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("ballot")
        verbose_name_plural = _("ballots")
        constraints = [
            models.UniqueConstraint(fields=["matter", "head"], name="one_ballot_per_head"),
            models.CheckConstraint(
                condition=Q(choice__in=BallotChoice.values), name="ballot_choice_known"
            ),
            models.CheckConstraint(
                condition=Q(channel__in=BallotChannel.values), name="ballot_channel_known"
            ),
        ]
        indexes = [models.Index(fields=["vote", "head"])]

    def __str__(self):
        return f"{self.matter_id}:{self.head}"


class Candidate(models.Model):
    """A person standing for the committee, or a company in a selection vote."""

    class Nomination(models.TextChoices):
        SELF = "self", _("Self-nomination")
        OWNERS = "owners", _("Nominated by owners")
        PARTY = "party", _("Recommended by the community Party organisation")
        RESIDENTS_COMMITTEE = "residents_committee", _("Recommended by the residents' committee")
        SELECTION = "selection", _("Shortlisted company")

    class Vetting(models.TextChoices):
        PENDING = "pending", _("Awaiting vetting")
        APPROVED = "approved", _("Qualified")
        REJECTED = "rejected", _("Not qualified")

    matter = models.ForeignKey(VoteMatter, on_delete=models.CASCADE, related_name="candidates")
    name = models.CharField(_("name"), max_length=100)
    holder = models.ForeignKey(
        "deliberation.Holder", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    nominated_by = models.CharField(_("nominated by"), max_length=20, choices=Nomination)
    nominators = models.PositiveIntegerField(_("number of nominating owners"), default=0)
    party_member = models.BooleanField(_("Party member"), default=False)
    profile = models.TextField(_("profile"), max_length=3000, blank=True)
    vetting_result = models.CharField(
        _("vetting result"), max_length=10, choices=Vetting, default=Vetting.PENDING
    )
    vetting_reasons = models.TextField(_("vetting reasons"), max_length=2000, blank=True)
    party_opinion = models.TextField(
        _("opinion of the Party organisation"), max_length=2000, blank=True
    )
    vetted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    application = models.OneToOneField(
        "deliberation.CompanyApplication",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="candidate",
    )
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["matter_id", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["matter", "name"], name="candidate_name_unique"),
        ]

    def __str__(self):
        return self.name


class BallotSelection(models.Model):
    """One candidate approved on an election ballot."""

    ballot = models.ForeignKey(Ballot, on_delete=models.CASCADE, related_name="selections")
    candidate = models.ForeignKey(Candidate, on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["ballot", "candidate"], name="selection_unique"),
        ]

    def __str__(self):
        return f"{self.ballot_id} → {self.candidate_id}"


class PaperEntry(models.Model):
    """One teller's reading of one paper ballot on one matter; two must agree."""

    vote = models.ForeignKey(AssemblyVote, on_delete=models.CASCADE, related_name="paper_entries")
    matter = models.ForeignKey(VoteMatter, on_delete=models.CASCADE, related_name="paper_entries")
    head = models.CharField(max_length=40)
    holder = models.ForeignKey("deliberation.Holder", on_delete=models.PROTECT, related_name="+")
    entry = models.PositiveSmallIntegerField()  # 1 or 2
    teller = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    choice = models.CharField(max_length=8, choices=BallotChoice)
    candidate_ids = models.JSONField(default=list, blank=True)
    # When the ballot was handed in (collection log or envelope stamp): only ballots collected
    # inside the voting window are entered (docs/rules.md, "Closing time").
    collected_at = models.DateTimeField(_("collected at"), null=True, blank=True)
    mismatch = models.BooleanField(default=False)
    cleared_at = models.DateTimeField(null=True, blank=True)
    clear_reason = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["vote_id", "matter_id", "head", "entry"]
        constraints = [
            models.UniqueConstraint(
                fields=["matter", "head", "entry"],
                condition=Q(cleared_at__isnull=True),
                name="paper_entry_unique",
            ),
            models.CheckConstraint(condition=Q(entry__in=[1, 2]), name="paper_entry_1_or_2"),
        ]

    def __str__(self):
        return f"{self.matter_id}:{self.head}#{self.entry}"


class VoteResult(models.Model):
    """The stored count of one matter, with the rules engine's reasons in both languages."""

    matter = models.OneToOneField(VoteMatter, on_delete=models.CASCADE, related_name="result")
    passed = models.BooleanField(null=True)
    figures = models.JSONField(default=dict)
    reasons = models.JSONField(default=list)
    computed_at = models.DateTimeField()
    computed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    def __str__(self):
        return f"{self.matter}: {self.passed}"


class ResultConfirmation(models.Model):
    vote = models.ForeignKey(AssemblyVote, on_delete=models.CASCADE, related_name="confirmations")
    teller = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["vote", "teller"], name="confirmation_unique"),
        ]

    def __str__(self):
        return f"{self.vote_id} ✓ {self.teller_id}"


class SelectionMethod(models.TextChoices):
    TENDER = "tender", _("Public tender")
    SHORTLIST = "shortlist", _("Shortlist")


class PlanStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    APPROVED = "approved", _("Approved")
    PUBLISHED = "published", _("Published, taking applications")
    SHORTLISTED = "shortlisted", _("Shortlist published")
    VOTING = "voting", _("Put to the owners' vote")


class PropertySelectionPlan(models.Model):
    """选聘方案: how the estate will choose its property company."""

    community = models.ForeignKey(
        "deliberation.Community", on_delete=models.PROTECT, related_name="selection_plans"
    )
    estate = models.ForeignKey("deliberation.Estate", on_delete=models.PROTECT, related_name="+")
    title = models.CharField(_("title"), max_length=150)
    scope = models.TextField(_("scope of service"), max_length=3000)
    service_standard = models.TextField(_("service standard"), max_length=3000)
    price_min = models.DecimalField(
        _("lowest price (yuan/m²/month)"), max_digits=6, decimal_places=2
    )
    price_max = models.DecimalField(
        _("highest price (yuan/m²/month)"), max_digits=6, decimal_places=2
    )
    method = models.CharField(_("method"), max_length=10, choices=SelectionMethod)
    status = models.CharField(max_length=12, choices=PlanStatus, default=PlanStatus.DRAFT)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    round = models.PositiveIntegerField(default=1)
    vote = models.ForeignKey(
        AssemblyVote,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="selection_plans",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(price_max__gte=F("price_min")), name="plan_price_range"
            ),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("selection_detail", args=[self.pk])


class CompanyApplication(models.Model):
    plan = models.ForeignKey(
        PropertySelectionPlan, on_delete=models.CASCADE, related_name="applications"
    )
    company_name = models.CharField(_("company"), max_length=150)
    licence = models.CharField(_("business licence number"), max_length=60)
    price = models.DecimalField(_("price (yuan/m²/month)"), max_digits=6, decimal_places=2)
    service_plan = models.TextField(_("service plan"), max_length=5000)
    attachment = models.CharField(_("attachment"), max_length=200, blank=True)
    attachment_type = models.CharField(max_length=40, blank=True)
    shortlisted = models.BooleanField(null=True)
    shortlist_reason = models.TextField(_("reason"), max_length=2000, blank=True)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["plan_id", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "company_name"], name="application_unique"),
        ]

    def __str__(self):
        return self.company_name
