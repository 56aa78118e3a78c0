"""The community registry: who lives where, who owns what, and who holds which role."""

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from deliberation.natural import natural_key


class StreetOffice(models.Model):
    """街道办事处: oversees communities and watches their figures."""

    name = models.CharField(_("name"), max_length=100, unique=True)

    class Meta:
        verbose_name = _("street office")
        verbose_name_plural = _("street offices")

    def __str__(self):
        return self.name


class Tiebreak(models.TextChoices):
    HEADS_THEN_AREA = "heads_then_area", _("Headcount, then area")
    AREA_THEN_HEADS = "area_then_heads", _("Area, then headcount")
    HEADS_THEN_REVOTE = "heads_then_revote", _("Headcount, then a revote")


class DeemedVotes(models.TextChoices):
    NONE = "none", _("Non-voters are not counted")
    FOLLOW_MAJORITY = "follow_majority", _("Non-voters follow the majority (shown separately)")


class Community(models.Model):
    """社区: the top-level scope. Its settings are the local rules (DOMAIN.md §8)."""

    street_office = models.ForeignKey(
        StreetOffice, on_delete=models.PROTECT, related_name="communities", null=True, blank=True
    )
    name = models.CharField(_("name"), max_length=100)
    address = models.CharField(_("address"), max_length=200, blank=True)

    # Topics
    cosign_threshold = models.PositiveIntegerField(_("co-signs needed"), default=10)
    cosign_share_permille = models.PositiveIntegerField(
        _("or co-signs as ‰ of residents"), default=10
    )
    triage_deadline_days = models.PositiveIntegerField(_("days to triage"), default=3)
    decision_notice_days = models.PositiveIntegerField(_("days a decision stays posted"), default=7)
    publicity_period_days = models.PositiveIntegerField(_("publicity period (days)"), default=15)
    # Execution and evaluation
    task_days_ordinary = models.PositiveIntegerField(_("days for an ordinary task"), default=15)
    task_days_major = models.PositiveIntegerField(_("days for a major task"), default=30)
    evaluation_window_days = models.PositiveIntegerField(_("days to rate a result"), default=7)
    # Owners' assembly
    assembly_notice_days = models.PositiveIntegerField(_("assembly notice (days)"), default=15)
    voting_window_min_days = models.PositiveIntegerField(_("shortest voting window"), default=5)
    voting_window_max_days = models.PositiveIntegerField(_("longest voting window"), default=60)
    result_notice_days = models.PositiveIntegerField(_("days to publish a result"), default=3)
    proxy_cap_per_agent = models.PositiveIntegerField(
        _("mandates one agent may hold"), null=True, blank=True, default=3
    )
    election_tiebreak = models.CharField(
        _("election tie-break"), max_length=20, choices=Tiebreak, default=Tiebreak.HEADS_THEN_AREA
    )
    deemed_votes_policy = models.CharField(
        _("deemed votes"), max_length=20, choices=DeemedVotes, default=DeemedVotes.NONE
    )
    parking_spaces_are_units = models.BooleanField(_("parking spaces vote"), default=False)
    owner_nominators_needed = models.PositiveIntegerField(
        _("owners needed to nominate a candidate"),
        default=5,
        validators=[MinValueValidator(1), MaxValueValidator(100)],
        help_text=_("How many owners must back a nomination by owners (rules of procedure)."),
    )
    # Meetings
    hearing_notice_days = models.PositiveIntegerField(
        _("hearing materials ahead (days)"), default=7
    )
    correction_window_days = models.PositiveIntegerField(_("days to correct minutes"), default=5)
    speaking_time_limit_s = models.PositiveIntegerField(_("speaking time (seconds)"), default=180)
    consultation_quorum = models.PositiveIntegerField(
        _("consultation quorum (people)"), null=True, blank=True
    )
    # Service of notice (送达): what proves a household was told (docs/rules.md)
    service_rule = models.CharField(
        _("what counts as served"),
        max_length=16,
        choices=[
            ("any_proof", _("Delivered SMS, first view in the app, or signed paper receipt")),
            ("view_or_paper", _("First view in the app, or signed paper receipt")),
            ("paper_only", _("Signed paper receipt only")),
        ],
        default="any_proof",
    )

    class Meta:
        verbose_name = _("community")
        verbose_name_plural = _("communities")
        constraints = [
            models.CheckConstraint(
                condition=Q(owner_nominators_needed__gte=1, owner_nominators_needed__lte=100),
                name="owner_nominators_needed_range",
            ),
        ]

    def __str__(self):
        return self.name


class Estate(models.Model):
    """小区 / 物业管理区域: one owners' assembly decides here; vote denominators are per estate."""

    community = models.ForeignKey(Community, on_delete=models.PROTECT, related_name="estates")
    name = models.CharField(_("name"), max_length=100)
    address = models.CharField(_("address"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("estate")
        verbose_name_plural = _("estates")
        constraints = [
            models.UniqueConstraint(fields=["community", "name"], name="estate_name_unique")
        ]

    def __str__(self):
        return self.name


class Building(models.Model):
    estate = models.ForeignKey(Estate, on_delete=models.PROTECT, related_name="buildings")
    name = models.CharField(_("name"), max_length=50)

    class Meta:
        verbose_name = _("building")
        verbose_name_plural = _("buildings")
        ordering = ["estate_id", "name"]
        constraints = [
            models.UniqueConstraint(fields=["estate", "name"], name="building_name_unique")
        ]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)
        # The units' sort keys start with the building's name.
        units = list(self.units.all())
        for unit in units:
            unit.sort_key = unit_sort_key(self.name, unit.stairwell, unit.number)
        Unit.objects.bulk_update(units, ["sort_key"], batch_size=500)


class AreaBasis(models.TextChoices):
    REGISTERED = "registered", _("Property register")
    SURVEYED = "surveyed", _("Survey report")
    CONTRACT = "contract", _("Sale contract")


class UnitKind(models.TextChoices):
    FLAT = "flat", _("Flat")
    SHOP = "shop", _("Shop")
    PARKING = "parking", _("Parking space")


class Unit(models.Model):
    """专有部分: an exclusive part that carries area and a vote."""

    building = models.ForeignKey(Building, on_delete=models.PROTECT, related_name="units")
    stairwell = models.CharField(_("stairwell"), max_length=20, blank=True)
    number = models.CharField(_("unit number"), max_length=30)
    floor = models.IntegerField(_("floor"), null=True, blank=True)
    area = models.DecimalField(
        _("area (m²)"),
        max_digits=10,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.01"))],
    )
    area_basis = models.CharField(
        _("area basis"), max_length=12, choices=AreaBasis, default=AreaBasis.REGISTERED
    )
    kind = models.CharField(_("kind"), max_length=10, choices=UnitKind, default=UnitKind.FLAT)
    # natural_key(building name, stairwell, number): lists sort 2号楼 before 10号楼, 101 before 1001
    sort_key = models.CharField(max_length=200, blank=True, editable=False, db_index=True)

    class Meta:
        verbose_name = _("unit")
        verbose_name_plural = _("units")
        ordering = ["building_id", "sort_key"]
        constraints = [
            models.UniqueConstraint(
                fields=["building", "stairwell", "number"], name="unit_number_unique"
            ),
            models.CheckConstraint(condition=Q(area__gt=0), name="unit_area_positive"),
        ]

    def __str__(self):
        parts = [self.building.name if self.building_id else "", self.stairwell, self.number]
        return "-".join(p for p in parts if p)

    def save(self, *args, **kwargs):
        self.sort_key = unit_sort_key(self.building.name, self.stairwell, self.number)
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = {*kwargs["update_fields"], "sort_key"}
        super().save(*args, **kwargs)


def unit_sort_key(building_name, stairwell, number):
    return natural_key(building_name, stairwell, number)


class HolderKind(models.TextChoices):
    PERSON = "person", _("Natural person")
    ORGANISATION = "organisation", _("Organisation")
    DEVELOPER = "developer", _("Developer")


class Holder(models.Model):
    """Someone who holds units: a person, an organisation, or the developer.

    The identity number is kept only as a keyed digest (to recognise the same holder on
    re-import) and a masked form (to show); see deliberation.registry.identity_digest.
    """

    community = models.ForeignKey(Community, on_delete=models.PROTECT, related_name="holders")
    kind = models.CharField(_("kind"), max_length=12, choices=HolderKind, default=HolderKind.PERSON)
    name = models.CharField(_("name"), max_length=100)
    id_digest = models.CharField(max_length=64, blank=True, db_index=True)
    id_masked = models.CharField(_("identity number"), max_length=32, blank=True)
    phone = models.CharField(_("mobile number"), max_length=20, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="holdings",
    )

    class Meta:
        verbose_name = _("holder")
        verbose_name_plural = _("holders")
        constraints = [
            models.UniqueConstraint(
                fields=["community", "id_digest"],
                condition=~Q(id_digest=""),
                name="holder_identity_unique",
            ),
        ]

    def __str__(self):
        return self.name


class Ownership(models.Model):
    """Unit ↔ holder. A co-owned unit names one designated voter (DOMAIN.md §3.1)."""

    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="ownerships")
    holder = models.ForeignKey(Holder, on_delete=models.PROTECT, related_name="ownerships")
    share = models.DecimalField(_("share"), max_digits=5, decimal_places=4, default=Decimal(1))
    is_designated_voter = models.BooleanField(_("votes for the unit"), default=True)

    class Meta:
        verbose_name = _("ownership")
        verbose_name_plural = _("ownerships")
        constraints = [
            models.UniqueConstraint(fields=["unit", "holder"], name="ownership_unique"),
            models.UniqueConstraint(
                fields=["unit"], condition=Q(is_designated_voter=True), name="one_voter_per_unit"
            ),
        ]

    def __str__(self):
        return f"{self.unit_id} ↔ {self.holder_id}"


class Grid(models.Model):
    """网格: a patch of about 400 households with its grid worker."""

    community = models.ForeignKey(Community, on_delete=models.PROTECT, related_name="grids")
    name = models.CharField(_("name"), max_length=50)
    worker = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="grids",
    )
    buildings = models.ManyToManyField(Building, related_name="grids", blank=True)

    class Meta:
        verbose_name = _("grid")
        verbose_name_plural = _("grids")
        constraints = [models.UniqueConstraint(fields=["community", "name"], name="grid_unique")]

    def __str__(self):
        return self.name


class Role(models.TextChoices):
    RESIDENT = "resident", _("Resident")
    OWNER = "owner", _("Owner")
    GRID_WORKER = "grid_worker", _("Grid worker")
    COMMUNITY_WORKER = "community_worker", _("Community worker")
    COMMITTEE = "committee", _("Owners' committee member")
    PARTY_SECRETARY = "party_secretary", _("Party secretary")
    PARTNER_CONTACT = "partner_contact", _("Co-building unit contact")
    STREET_OBSERVER = "street_observer", _("Street-office observer")


class Membership(models.Model):
    """A role a user holds in a community. The owner role is derived from ownership instead."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("role"), max_length=20, choices=Role)
    estate = models.ForeignKey(
        Estate,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        help_text=_("For committee members: the estate whose committee they sit on."),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "community", "role"],
                condition=Q(estate__isnull=True),
                name="membership_unique",
            ),
            models.UniqueConstraint(
                fields=["user", "community", "role", "estate"],
                condition=Q(estate__isnull=False),
                name="membership_estate_unique",
            ),
            models.CheckConstraint(condition=~Q(role="owner"), name="owner_role_is_derived"),
        ]

    def __str__(self):
        return f"{self.user} · {self.get_role_display()} · {self.community}"

    def clean(self):
        """A committee member sits on one estate's committee: without the estate the role
        would give no rights anywhere (every committee action is scoped to its estate)."""
        super().clean()
        if self.role == Role.COMMITTEE and self.estate_id is None:
            raise ValidationError(
                {"estate": _("Choose the estate whose owners' committee this member sits on.")}
            )
        if self.estate_id is not None and self.community_id is not None:
            if self.estate.community_id != self.community_id:
                raise ValidationError({"estate": _("This estate belongs to another community.")})
