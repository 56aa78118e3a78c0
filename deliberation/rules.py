"""The owners' vote arithmetic of Civil Code art. 278, exact and free of Django.

Areas are ``Decimal`` square metres with at most two decimals; every comparison is made on
integer hundredths by cross-multiplying with a ``Fraction`` threshold, so no float ever touches
a result. docs/rules.md gives the legal source of each rule and the policy switch for each
local variation.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from fractions import Fraction

# Only dataclasses, decimal, fractions, enum and typing: the module can be lifted out whole.
from typing import Iterable, Mapping  # noqa: UP035

__all__ = [
    "DEFAULT_POLICY",
    "Attendance",
    "ShowOfHands",
    "HALF",
    "MATTERS",
    "PARTICIPATION",
    "THREE_QUARTERS",
    "TWO_THIRDS",
    "CandidateCount",
    "Choice",
    "DeemedOutcome",
    "ElectionResult",
    "Holding",
    "Matter",
    "Outcome",
    "Policy",
    "Reason",
    "RulesError",
    "Threshold",
    "UnknownKeyError",
    "attendance",
    "decide",
    "elect",
    "meets",
    "quorum_gap",
    "show_of_hands",
]

HALF = Fraction(1, 2)
TWO_THIRDS = Fraction(2, 3)
THREE_QUARTERS = Fraction(3, 4)


class RulesError(ValueError):
    """Input the arithmetic refuses to count; the message names the culprit."""


class UnknownKeyError(RulesError, KeyError):
    """An unknown matter, holder or candidate; catchable as KeyError or ValueError."""

    def __str__(self):
        # KeyError would print the message in quotes, as if it were the missing key itself.
        return str(self.args[0]) if self.args else ""


class Choice(StrEnum):
    YES = "yes"
    NO = "no"
    ABSTAIN = "abstain"
    SPOILED = "spoiled"


@dataclass(frozen=True)
class Holding:
    """One exclusive part (专有部分), its area, and the key of the head it counts under.

    The register collapses the developer's unsold units and a multi-unit buyer to one key
    before calling (SPC interpretation art. 9); this module only sums by key.
    """

    unit: str
    area: Decimal
    holder: str


@dataclass(frozen=True)
class Matter:
    code: str
    label_zh: str
    label_en: str
    threshold: Fraction
    inclusive: bool
    item: int

    def approves(self, agree: int, participating: int) -> bool:
        return meets(agree, participating, self.threshold, inclusive=self.inclusive)


@dataclass(frozen=True)
class Threshold:
    """A bound on a share: ``inclusive`` means 以上 (the bound passes), else 过半数 (it fails)."""

    fraction: Fraction
    inclusive: bool


PARTICIPATION = Threshold(TWO_THIRDS, inclusive=True)


def _matter(item, code, label_zh, label_en, threshold, inclusive):
    return code, Matter(code, label_zh, label_en, threshold, inclusive, item)


MATTERS: dict[str, Matter] = dict(
    [
        _matter(
            1,
            "rules_of_procedure",
            "制定和修改业主大会议事规则",
            "Adopt or amend the owners' assembly rules of procedure",
            HALF,
            False,
        ),
        _matter(
            2,
            "management_statute",
            "制定和修改管理规约",
            "Adopt or amend the management statute",
            HALF,
            False,
        ),
        _matter(
            3,
            "elect_committee",
            "选举业主委员会或者更换业主委员会成员",
            "Elect the owners' committee or replace its members",
            HALF,
            False,
        ),
        _matter(
            4,
            "hire_property_manager",
            "选聘和解聘物业服务企业或者其他管理人",
            "Hire or dismiss the property-service company or other manager",
            HALF,
            False,
        ),
        _matter(
            5,
            "use_maintenance_fund",
            "使用建筑物及其附属设施的维修资金",
            "Use the maintenance fund for the buildings and their facilities",
            HALF,
            False,
        ),
        _matter(
            6,
            "raise_maintenance_fund",
            "筹集建筑物及其附属设施的维修资金",
            "Raise the maintenance fund for the buildings and their facilities",
            THREE_QUARTERS,
            True,
        ),
        _matter(
            7,
            "rebuild",
            "改建、重建建筑物及其附属设施",
            "Rebuild or reconstruct the buildings and their facilities",
            THREE_QUARTERS,
            True,
        ),
        _matter(
            8,
            "change_common_use",
            "改变共有部分的用途或者利用共有部分从事经营活动",
            "Change the use of common parts or run a business on them",
            THREE_QUARTERS,
            True,
        ),
        _matter(
            9,
            "other_major",
            "有关共有和共同管理权利的其他重大事项",
            "Other major matters of common ownership and management",
            HALF,
            False,
        ),
    ]
)


def _is_count(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _whole_number(label, value, *, minimum):
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"{label} must be an int, got {value!r}")
    if value < minimum:
        raise RulesError(f"{label} must be at least {minimum}, got {value}")
    return value


DEEMED_VOTES = ("none", "follow_majority")
TIEBREAKS = ("heads_then_area", "area_then_heads", "heads_then_revote")


@dataclass(frozen=True)
class Policy:
    """Local variations, each defaulting to the plain Civil Code reading."""

    deemed_votes: str = "none"
    tiebreak: str = "heads_then_area"
    max_alternates: int | None = None
    min_committee_size: int = 3

    def __post_init__(self):
        if self.deemed_votes not in DEEMED_VOTES:
            raise RulesError(f"deemed_votes {self.deemed_votes!r} is not one of {DEEMED_VOTES}")
        if self.tiebreak not in TIEBREAKS:
            raise RulesError(f"tiebreak {self.tiebreak!r} is not one of {TIEBREAKS}")
        if self.max_alternates is not None and not _is_count(self.max_alternates):
            raise RulesError(f"max_alternates {self.max_alternates!r} is not None or an int >= 0")
        if not _is_count(self.min_committee_size) or self.min_committee_size < 1:
            raise RulesError(f"min_committee_size {self.min_committee_size!r} is not an int >= 1")


DEFAULT_POLICY = Policy()


@dataclass(frozen=True)
class Reason:
    """One line of the count, in both languages; ``met`` says whether its test held."""

    code: str
    zh: str
    en: str
    met: bool | None = None
    # Whether a bound in the line is shown rounded to two decimals (marked ≈).
    rounded: bool = field(default=False, compare=False)

    def __str__(self):
        return self.en


@dataclass(frozen=True)
class DeemedOutcome:
    """The covenant reading: non-voters deemed to follow the voters' majority (从众).

    Shown under its own label beside the strict result, never folded into it. ``majority`` is
    the side more than half of the participants took by area and by heads, or None when
    neither side did (then nobody is deemed).
    """

    majority: Choice | None
    deemed_area: Decimal
    deemed_headcount: int
    participating_area: Decimal
    participating_headcount: int
    participation_met: bool
    yes_area: Decimal
    yes_headcount: int
    no_area: Decimal
    no_headcount: int
    approval_met: bool
    passed: bool
    reasons: tuple[Reason, ...]


@dataclass(frozen=True)
class Outcome:
    matter: Matter
    total_area: Decimal
    total_headcount: int
    participating_area: Decimal
    participating_headcount: int
    participation_met: bool
    yes_area: Decimal
    yes_headcount: int
    no_area: Decimal
    no_headcount: int
    abstain_area: Decimal
    abstain_headcount: int
    spoiled_area: Decimal
    spoiled_headcount: int
    non_voting_area: Decimal
    non_voting_headcount: int
    approval_met: bool
    passed: bool
    reasons: tuple[Reason, ...]
    deemed: DeemedOutcome | None = None
    depends_on_deemed: bool = False


@dataclass(frozen=True)
class CandidateCount:
    name: str
    area: Decimal
    headcount: int
    area_met: bool
    headcount_met: bool
    qualified: bool
    # elected, alternate, tied (a revote decides), passed (more than half but no place),
    # below_half, or no_participation (the vote did not reach 2/3: its own figures decide
    # nothing).
    outcome: str = ""


@dataclass(frozen=True)
class ElectionResult:
    """An approval-ballot election: a committee (seats 5-11) or a property company (seats 1).

    ``ties`` holds tie groups straddling the last seat that the policy cannot settle; their
    ``undecided_seats`` await a revote and are not counted in ``vacancies``, which are the
    seats that no candidate qualified for. ``alternate_ties`` holds tie groups among the
    alternates whose order the policy cannot settle (a group straddling the cap is left out of
    ``alternates`` rather than cut arbitrarily).
    """

    seats: int
    total_area: Decimal
    total_headcount: int
    participating_area: Decimal
    participating_headcount: int
    participation_met: bool
    spoiled_area: Decimal
    spoiled_headcount: int
    elected: tuple[str, ...]
    alternates: tuple[str, ...]
    vacancies: int
    undecided_seats: int
    ties: tuple[tuple[str, ...], ...]
    alternate_ties: tuple[tuple[str, ...], ...]
    spoiled: tuple[str, ...]
    counts: dict[str, CandidateCount] = field(hash=False)
    committee_valid: bool
    reasons: tuple[Reason, ...]


def meets(part: int, whole: int, threshold: Fraction, *, inclusive: bool) -> bool:
    """Whether ``part`` reaches ``threshold`` of ``whole``, by integer cross-multiplication."""
    left = threshold.denominator * part
    right = threshold.numerator * whole
    return left >= right if inclusive else left > right


def decide(
    matter: str | Matter,
    units: Iterable[Holding],
    ballots: Mapping[str, str],
    policy: Policy = DEFAULT_POLICY,
) -> Outcome:
    """Count a yes/no vote on one art. 278 matter; ``ballots`` maps holder key to a Choice."""
    matter = _resolve_matter(matter)
    holder_area, total = _tally_units(units)
    area = [0, 0, 0, 0]  # indexed like _CHOICE_INDEX: yes, no, abstain, spoiled
    heads = [0, 0, 0, 0]
    index_of = _CHOICE_INDEX.get
    area_of = holder_area.get
    for holder, choice in ballots.items():
        held = area_of(holder)
        if held is None:
            raise UnknownKeyError(f"ballot from {holder!r}, who holds no unit in this estate")
        try:
            index = index_of(choice)
        except TypeError:
            index = None
        if index is None:
            raise RulesError(
                f"ballot from {holder!r} has choice {choice!r}; expected one of "
                f"{[c.value for c in Choice]}"
            )
        area[index] += held
        heads[index] += 1

    total_heads = len(holder_area)
    part_area = sum(area)
    part_heads = sum(heads)
    yes_area, no_area, abstain_area, spoiled_area = area
    yes_heads, no_heads, abstain_heads, spoiled_heads = heads

    participation = list(_participation_reasons(part_area, part_heads, total, total_heads))
    participation_met = all(r.met for r in participation)
    reasons = list(participation)
    approval = _approval_reasons(matter, yes_area, yes_heads, part_area, part_heads)
    reasons += approval
    approval_met = all(r.met for r in approval)
    if abstain_heads or spoiled_heads:
        reasons.append(_not_agreeing_reason(area, heads))
    passed = participation_met and approval_met
    reasons.append(_verdict_reason(participation, approval_met))
    _with_rounding_note(reasons)

    deemed = None
    if policy.deemed_votes == "follow_majority":
        deemed = _deemed(matter, area, heads, total, total_heads)

    return Outcome(
        matter=matter,
        total_area=_area(total),
        total_headcount=total_heads,
        participating_area=_area(part_area),
        participating_headcount=part_heads,
        participation_met=participation_met,
        yes_area=_area(yes_area),
        yes_headcount=yes_heads,
        no_area=_area(no_area),
        no_headcount=no_heads,
        abstain_area=_area(abstain_area),
        abstain_headcount=abstain_heads,
        spoiled_area=_area(spoiled_area),
        spoiled_headcount=spoiled_heads,
        non_voting_area=_area(total - part_area),
        non_voting_headcount=total_heads - part_heads,
        approval_met=approval_met,
        passed=passed,
        reasons=tuple(reasons),
        deemed=deemed,
        depends_on_deemed=deemed is not None and deemed.passed != passed,
    )


def elect(
    units: Iterable[Holding],
    ballots: Mapping[str, Iterable[str]],
    candidates: Iterable[str],
    seats: int,
    policy: Policy = DEFAULT_POLICY,
    *,
    max_names: int | None = None,
) -> ElectionResult:
    """Count an approval ballot: each holder key maps to the candidates it approves.

    Each candidate must on its own win more than half of the participating area and heads;
    seats go by rank among those who did. A ballot naming more than ``max_names`` candidates
    (default: ``seats``) or a name twice is spoiled. A selection where owners vote on each firm
    on its own, so that several may pass, passes ``max_names=len(candidates)``: with one name
    per ballot no two candidates can both win more than half. Deemed votes never apply here.
    """
    seats = _whole_number("seats", seats, minimum=1)
    max_names = seats if max_names is None else _whole_number("max_names", max_names, minimum=1)
    if isinstance(candidates, str):
        raise TypeError(f"candidates must be a list of names, got the string {candidates!r}")
    names = list(candidates)
    if not names:
        raise RulesError("no candidates")
    seen = set()
    for name in names:
        if name in seen:
            raise RulesError(f"candidate {name!r} is listed twice")
        seen.add(name)

    holder_area, total = _tally_units(units)
    total_heads = len(holder_area)
    cand_area = dict.fromkeys(names, 0)
    cand_heads = dict.fromkeys(names, 0)
    part_area = part_heads = spoiled_area = 0
    spoiled = []
    for holder, ballot in ballots.items():
        held = holder_area.get(holder)
        if held is None:
            raise UnknownKeyError(f"ballot from {holder!r}, who holds no unit in this estate")
        try:
            if isinstance(ballot, str):
                raise TypeError
            chosen = list(ballot)
        except TypeError:
            raise TypeError(
                f"ballot from {holder!r} must be a list of names, got {ballot!r}"
            ) from None
        for name in chosen:
            if name not in cand_area:
                raise UnknownKeyError(
                    f"ballot from {holder!r} names {name!r}, who is not on the candidate list"
                )
        part_area += held
        part_heads += 1
        if len(chosen) > max_names or len(set(chosen)) != len(chosen):
            # Spoiled for the whole race but still a ballot received, so it participates.
            spoiled.append(holder)
            spoiled_area += held
            continue
        for name in chosen:
            cand_area[name] += held
            cand_heads[name] += 1

    participation = list(_participation_reasons(part_area, part_heads, total, total_heads))
    participation_met = all(r.met for r in participation)
    reasons = list(participation)
    if spoiled:
        reasons.append(
            Reason(
                "spoiled_ballots",
                f"废票 {len(spoiled)} 张（{_grouped(spoiled_area)} ㎡），"
                "计入参与表决，不计入任何候选人",
                f"{len(spoiled)} spoiled ballots ({_grouped(spoiled_area)} m²) participate "
                "but count for no candidate",
            )
        )

    # Each candidate's own test, as counted, whether or not participation was reached.
    half_met = {
        name: (
            meets(cand_area[name], part_area, HALF, inclusive=False),
            meets(cand_heads[name], part_heads, HALF, inclusive=False),
        )
        for name in names
    }

    key = _RANK_KEYS[policy.tiebreak]
    qualified = [n for n in names if participation_met and all(half_met[n])]
    qualified.sort(key=lambda n: key(cand_heads[n], cand_area[n]), reverse=True)
    groups = []
    for name in qualified:
        rank = key(cand_heads[name], cand_area[name])
        if groups and groups[-1][0] == rank:
            groups[-1][1].append(name)
        else:
            groups.append((rank, [name]))

    elected, ties, rest = [], [], []
    seats_left = seats
    undecided = 0
    revote_losers = 0
    for _rank, group in groups:
        if seats_left == 0:
            rest.append(group)
        elif len(group) <= seats_left:
            elected += group
            seats_left -= len(group)
        else:
            # The policy cannot say who takes the last seats: a revote among these decides,
            # and its losers become the first alternates.
            ties.append(tuple(group))
            undecided = seats_left
            revote_losers = len(group) - seats_left
            seats_left = 0

    cap = seats if policy.max_alternates is None else policy.max_alternates
    slots = max(cap - revote_losers, 0)
    alternates, alternate_ties = [], []
    for group in rest:
        if len(group) > slots:
            if slots:
                alternate_ties.append(tuple(group))
            break
        alternates += group
        slots -= len(group)
        if len(group) > 1:
            alternate_ties.append(tuple(group))

    vacancies = seats - len(elected) - undecided
    committee_valid = len(elected) >= policy.min_committee_size and 2 * len(elected) > seats
    tied = {name for group in ties for name in group}
    counts = {}
    for name in names:
        area_met, heads_met = half_met[name]
        if name in elected:
            outcome = "elected"
        elif name in tied:
            outcome = "tied"
        elif name in alternates:
            outcome = "alternate"
        elif not participation_met:
            outcome = "no_participation"
        elif not (area_met and heads_met):
            outcome = "below_half"
        else:
            outcome = "passed"
        counts[name] = CandidateCount(
            name=name,
            area=_area(cand_area[name]),
            headcount=cand_heads[name],
            area_met=area_met,
            headcount_met=heads_met,
            qualified=participation_met and area_met and heads_met,
            outcome=outcome,
        )
        reasons += _candidate_reasons(
            name, cand_area[name], cand_heads[name], part_area, part_heads
        )
        reasons.append(_candidate_outcome_reason(name, outcome))
    reasons += _seat_reasons(
        participation, seats, elected, ties, undecided, vacancies, alternates, policy
    )
    _with_rounding_note(reasons)

    return ElectionResult(
        seats=seats,
        total_area=_area(total),
        total_headcount=total_heads,
        participating_area=_area(part_area),
        participating_headcount=part_heads,
        participation_met=participation_met,
        spoiled_area=_area(spoiled_area),
        spoiled_headcount=len(spoiled),
        elected=tuple(elected),
        alternates=tuple(alternates),
        vacancies=vacancies,
        undecided_seats=undecided,
        ties=tuple(ties),
        alternate_ties=tuple(alternate_ties),
        spoiled=tuple(sorted(spoiled, key=str)),
        counts=counts,
        committee_valid=committee_valid,
        reasons=tuple(reasons),
    )


@dataclass(frozen=True)
class Attendance:
    """Owners present at an assembly session against the 2/3 lines of area and of heads."""

    total_area: Decimal
    total_headcount: int
    present_area: Decimal
    present_headcount: int
    area_met: bool
    headcount_met: bool
    met: bool
    reasons: tuple[Reason, ...]


def attendance(units: Iterable[Holding], present: Iterable[str]) -> Attendance:
    """Sum the area and heads of the holder keys ``present`` and test both against 2/3.

    A key that holds no unit of the estate (a guest, a tenant) adds nothing.
    """
    holder_area, total = _tally_units(units)
    present_keys = set(present)
    area = sum(held for key, held in holder_area.items() if key in present_keys)
    heads = sum(1 for key in holder_area if key in present_keys)
    threshold, inclusive = PARTICIPATION.fraction, PARTICIPATION.inclusive
    reasons = [
        _share_reason(
            "attendance_area",
            area,
            total,
            threshold,
            inclusive,
            is_area=True,
            zh=("到会业主面积", "总面积"),
            en=("Area of the owners present", "total area"),
        ),
        _share_reason(
            "attendance_headcount",
            heads,
            len(holder_area),
            threshold,
            inclusive,
            is_area=False,
            zh=("到会业主人数", "总人数"),
            en=("Owners present", "all owners"),
        ),
    ]
    area_met, heads_met = reasons[0].met, reasons[1].met
    return Attendance(
        total_area=_area(total),
        total_headcount=len(holder_area),
        present_area=_area(area),
        present_headcount=heads,
        area_met=area_met,
        headcount_met=heads_met,
        met=area_met and heads_met,
        reasons=tuple(_with_rounding_note(reasons)),
    )


@dataclass(frozen=True)
class ShowOfHands:
    """A show of hands in a meeting: the view of those present, never a decision.

    ``majority`` says whether more than half of those who voted agreed. It binds no one: an
    owners' matter is decided only by the assembly vote's count under art. 278 (``decide``).
    """

    yes: int
    no: int
    abstain: int
    voted: int
    present: int
    majority: bool
    reasons: tuple[Reason, ...]


def quorum_gap(
    total_area: Decimal, total_heads: int, part_area: Decimal, part_heads: int
) -> tuple[int, Decimal]:
    """How many more heads and how much more area must take part to reach both 2/3 lines of
    participation (Civil Code art. 278): the least h and a with 3*(part+h) >= 2*total.
    (0, Decimal("0.00")) once a line is reached. For reminders; it never decides anything."""
    total_h, part_h = (
        _hundredths_of_decimal("total", total_area),
        _hundredths_of_decimal("participating", part_area),
    )
    heads = max(0, -((3 * part_heads - 2 * total_heads) // 3))
    area = max(0, -((3 * part_h - 2 * total_h) // 3))
    return heads, _area(area)


def show_of_hands(yes: int, no: int, abstain: int, present: int) -> ShowOfHands:
    for label, value in (("yes", yes), ("no", no), ("abstain", abstain), ("present", present)):
        _whole_number(label, value, minimum=0)
    voted = yes + no + abstain
    line = _share_reason(
        "hands_majority",
        yes,
        voted,
        HALF,
        False,
        is_area=False,
        zh=("举手同意", "参加举手表决"),
        en=("Agreeing by show of hands", "voting by show of hands"),
    )
    majority = voted > 0 and bool(line.met)
    summary = Reason(
        "hands_summary",
        f"到会 {present:,} 人，同意 {yes:,} 人、反对 {no:,} 人、弃权 {abstain:,} 人",
        f"{present:,} present: {yes:,} agree, {no:,} oppose, {abstain:,} abstain",
    )
    not_binding = Reason(
        "hands_not_binding",
        "举手表决只反映到会者的意见，不具约束力，不构成决定",
        "A show of hands shows the view of those present; it is not binding and decides nothing",
    )
    return ShowOfHands(
        yes=yes,
        no=no,
        abstain=abstain,
        voted=voted,
        present=present,
        majority=majority,
        reasons=(summary, line, not_binding),
    )


# Plain str keys: the usual "yes" from a form matches by identity; Choice members still match.
_CHOICE_INDEX = {"yes": 0, "no": 1, "abstain": 2, "spoiled": 3}

_RANK_KEYS = {
    "heads_then_area": lambda heads, area: (heads, area),
    "area_then_heads": lambda heads, area: (area, heads),
    "heads_then_revote": lambda heads, area: (heads,),
}


def _resolve_matter(matter) -> Matter:
    if isinstance(matter, Matter):
        return matter
    if not isinstance(matter, str):
        raise TypeError(f"matter must be a code string or a Matter, got {matter!r}")
    try:
        return MATTERS[matter]
    except KeyError:
        raise UnknownKeyError(
            f"unknown matter {matter!r}; expected one of {list(MATTERS)}"
        ) from None


def _tally_units(units) -> tuple[dict[str, int], int]:
    """Sum area in integer hundredths per holder key, refusing anything inexact, in one pass."""
    if not isinstance(units, list | tuple):
        units = list(units)  # a second look is needed only to name a duplicate
    if not units:
        raise RulesError("no units: the estate's register is empty")
    holder_area: dict[str, int] = {}
    area_of = holder_area.get
    unit_ids: set[str] = set()
    remember = unit_ids.add
    # Registers repeat a few dozen floor plans, so each distinct area is converted once.
    # Keyed by value, but only Decimals reach it: 89.5 == Decimal("89.5") must not hit.
    converted: dict[Decimal, int] = {}
    known = converted.get
    total = 0
    try:
        for holding in units:
            area = holding.area
            remember(holding.unit)
            if type(area) is Decimal:
                try:
                    hundredths = known(area)
                except TypeError:  # a signalling NaN cannot be hashed
                    hundredths = None
                if hundredths is None:
                    hundredths = converted[area] = _hundredths_of_decimal(holding.unit, area)
            else:
                hundredths = _hundredths_of_other(holding.unit, area)
            holder = holding.holder
            total += hundredths
            holder_area[holder] = area_of(holder, 0) + hundredths
    except AttributeError:
        raise TypeError(f"expected a Holding, got {holding!r}") from None
    if len(unit_ids) != len(units):
        seen = set()
        for holding in units:
            if holding.unit in seen:
                raise RulesError(f"unit {holding.unit!r} is listed twice")
            seen.add(holding.unit)
    return holder_area, total


def _hundredths_of_decimal(unit, area: Decimal) -> int:
    # as_integer_ratio is exact whatever the decimal context, and is the quickest way from a
    # Decimal to its hundredths while proving it has no third decimal.
    try:
        numerator, denominator = area.as_integer_ratio()
    except (ValueError, OverflowError):
        raise RulesError(f"unit {unit!r} has area {area}, not a finite number") from None
    if numerator < 0 or 100 % denominator:
        raise RulesError(_bad_area(unit, area))
    return numerator * (100 // denominator)


def _hundredths_of_other(unit, area) -> int:
    if isinstance(area, bool) or isinstance(area, float):
        raise TypeError(f"unit {unit!r} has area {area!r}: give a Decimal, never a float")
    if isinstance(area, int):
        if area < 0:
            raise RulesError(_bad_area(unit, area))
        return area * 100
    if isinstance(area, Decimal):  # a subclass
        return _hundredths_of_other(unit, Fraction(area))
    if isinstance(area, Fraction):
        hundredths = area * 100
        if area < 0 or hundredths.denominator != 1:
            raise RulesError(_bad_area(unit, area))
        return int(hundredths)
    raise TypeError(
        f"unit {unit!r} has area {area!r} of type {type(area).__name__}; give a Decimal"
    )


def _bad_area(unit, area) -> str:
    return f"unit {unit!r} has area {area}: it must be >= 0 with at most 2 decimals"


def _area(hundredths: int) -> Decimal:
    # Built from the string so the result is exact whatever the decimal context's precision.
    return Decimal(_fmt(hundredths))


def _fmt(hundredths: int) -> str:
    sign = "-" if hundredths < 0 else ""
    whole, cents = divmod(abs(hundredths), 100)
    return f"{sign}{whole}.{cents:02d}"


def _grouped(hundredths: int) -> str:
    """Hundredths as a figure with thousands separators: 812055 -> "8,120.55"."""
    sign = "-" if hundredths < 0 else ""
    whole, cents = divmod(abs(hundredths), 100)
    return f"{sign}{whole:,}.{cents:02d}"


def _bound(base: int, threshold: Fraction, inclusive: bool, *, is_area: bool):
    """``threshold`` × ``base`` in the unit shown, and whether that figure is exact.

    A bound that needs more than two decimals is shown to two, rounded up for "≥" and down for
    ">". The counted figure is always a whole number of hundredths (of a m² or of a head), so
    comparing it with the rounded bound gives the same answer as comparing it with the exact
    one: ``x ≥ t`` holds exactly when ``x ≥ ceil(t)``, and ``x > t`` when ``x > floor(t)``.
    """
    exact = threshold * base * (1 if is_area else 100)  # in hundredths
    numerator, denominator = exact.numerator, exact.denominator
    if denominator == 1:
        shown, is_exact = numerator, True
    else:
        shown = -(-numerator // denominator) if inclusive else numerator // denominator
        is_exact = False
    if not is_area and shown % 100 == 0:
        return f"{shown // 100:,}", is_exact  # a whole number of owners: "50", not "50.00"
    return _grouped(shown), is_exact


def _share_reason(code, x, base, threshold, inclusive, *, is_area, zh, en):
    """One test in the units shown: the figure, the bound as base × fraction, and the mark.

    For example ``参与表决面积 8,120.55 ㎡ ≥ 总面积 12,000.00 ㎡ × 2/3 = 8,000.00 ㎡ ✓ 符合``.
    The verdict is the exact integer comparison (``meets``); the bound is only displayed.
    """
    met = meets(x, base, threshold, inclusive=inclusive)
    if met:
        sign = "≥" if inclusive else ">"
    else:
        sign = "<" if inclusive else "≤"
    bound, exact = _bound(base, threshold, inclusive, is_area=is_area)
    equals = "=" if exact else "≈"
    if is_area:
        shown_x, shown_base = _grouped(x), _grouped(base)
        unit_zh, unit_en = " ㎡", " m²"
    else:
        shown_x, shown_base = f"{x:,}", f"{base:,}"
        unit_zh, unit_en = " 人", ""
    frac = f"{threshold.numerator}/{threshold.denominator}"
    zh_x, zh_base = zh
    en_x, en_base = en
    return Reason(
        code,
        f"{zh_x} {shown_x}{unit_zh} {sign} {zh_base} {shown_base}{unit_zh} × {frac} "
        f"{equals} {bound}{unit_zh} {'✓ 符合' if met else '✗ 不符合'}",
        f"{en_x} {shown_x}{unit_en} {sign} {en_base} {shown_base}{unit_en} × {frac} "
        f"{equals} {bound}{unit_en} {'✓ met' if met else '✗ not met'}",
        met,
        rounded=not exact,
    )


ROUNDING_NOTE = Reason(
    "rounding",
    "注：标“≈”的门槛值取两位小数，“≥”向上取、“>”向下取；按所示数字比较与按精确值比较结果相同。",
    "Note: a bound marked ≈ is shown to two decimals, rounded up for “≥” and down for “>”; "
    "comparing the figures shown gives the same result as the exact comparison.",
)


def _with_rounding_note(reasons):
    """Append the note on rounded bounds when any line shows one."""
    if any(r.rounded for r in reasons):
        reasons.append(ROUNDING_NOTE)
    return reasons


def _participation_reasons(part_area, part_heads, total_area, total_heads):
    threshold, inclusive = PARTICIPATION.fraction, PARTICIPATION.inclusive
    yield _share_reason(
        "participation_area",
        part_area,
        total_area,
        threshold,
        inclusive,
        is_area=True,
        zh=("参与表决面积", "总面积"),
        en=("Participating area", "total area"),
    )
    yield _share_reason(
        "participation_headcount",
        part_heads,
        total_heads,
        threshold,
        inclusive,
        is_area=False,
        zh=("参与表决人数", "总人数"),
        en=("Participating owners", "all owners"),
    )


def _approval_reasons(
    matter, yes_area, yes_heads, part_area, part_heads, *, label=("同意", "Agreeing")
):
    zh, en = label
    return [
        _share_reason(
            "approval_area",
            yes_area,
            part_area,
            matter.threshold,
            matter.inclusive,
            is_area=True,
            zh=(f"{zh}面积", "参与表决面积"),
            en=(f"{en} area", "participating area"),
        ),
        _share_reason(
            "approval_headcount",
            yes_heads,
            part_heads,
            matter.threshold,
            matter.inclusive,
            is_area=False,
            zh=(f"{zh}人数", "参与表决人数"),
            en=(f"{en} owners", "participating owners"),
        ),
    ]


def _not_agreeing_reason(area, heads):
    return Reason(
        "abstain_and_spoiled",
        f"弃权 {heads[2]} 人（{_grouped(area[2])} ㎡）、"
        f"废票 {heads[3]} 人（{_grouped(area[3])} ㎡）计入参与表决，不计为同意",
        f"{heads[2]} abstaining ({_grouped(area[2])} m²) and {heads[3]} spoiled "
        f"({_grouped(area[3])} m²) participate but do not agree",
    )


def _shortfall(participation):
    """Which participation lines failed, in words: (zh, en)."""
    area_met, heads_met = (r.met for r in participation)
    if not area_met and not heads_met:
        return "面积和人数", "area and by owners"
    if not area_met:
        return "面积", "area"
    return "人数", "owners"


def _verdict_reason(participation, approval_met):
    if not all(r.met for r in participation):
        which_zh, which_en = _shortfall(participation)
        return Reason(
            "failed_participation",
            f"未通过：参与表决的{which_zh}未达到三分之二，表决不成立；"
            "以上同意数照实记录，不产生决定",
            f"Not passed: participation by {which_en} did not reach 2/3, so the vote did not "
            "stand; the agreement figures above are recorded as counted and decide nothing",
            False,
        )
    if not approval_met:
        return Reason(
            "failed_approval",
            "未通过：同意的面积或人数未达到表决要求",
            "Not passed: agreement fell short of the threshold by area or by owners",
            False,
        )
    return Reason("passed", "通过", "Passed", True)


def _deemed(matter, area, heads, total, total_heads) -> DeemedOutcome:
    part_area, part_heads = sum(area), sum(heads)
    yes_area, yes_heads = area[0], heads[0]
    no_area, no_heads = area[1], heads[1]
    majority = None
    for choice, index in ((Choice.YES, 0), (Choice.NO, 1)):
        if meets(area[index], part_area, HALF, inclusive=False) and meets(
            heads[index], part_heads, HALF, inclusive=False
        ):
            majority = choice
    deemed_area = deemed_heads = 0
    if majority is not None:
        deemed_area, deemed_heads = total - part_area, total_heads - part_heads
        part_area, part_heads = total, total_heads
        if majority is Choice.YES:
            yes_area, yes_heads = yes_area + deemed_area, yes_heads + deemed_heads
        else:
            no_area, no_heads = no_area + deemed_area, no_heads + deemed_heads

    if majority is None:
        head = Reason(
            "deemed_no_majority",
            "按管理规约视为同意多数：已投票者中无过半数意见，未投票者不计",
            "Deemed votes under the covenant: no side won more than half of those who voted, "
            "so no one is deemed",
        )
    else:
        side_zh = "同意" if majority is Choice.YES else "反对"
        side_en = "agreeing" if majority is Choice.YES else "opposing"
        head = Reason(
            "deemed_follow_majority",
            f"按管理规约视为同意多数：未投票 {deemed_heads} 人（{_grouped(deemed_area)} ㎡）"
            f"视为{side_zh}",
            f"Deemed votes under the covenant: {deemed_heads} non-voting owners "
            f"({_grouped(deemed_area)} m²) are deemed {side_en}",
        )
    participation = list(_participation_reasons(part_area, part_heads, total, total_heads))
    participation_met = all(r.met for r in participation)
    approval = _approval_reasons(
        matter,
        yes_area,
        yes_heads,
        part_area,
        part_heads,
        label=("同意（含视为）", "Agreeing (deemed included)"),
    )
    approval_met = all(r.met for r in approval)
    return DeemedOutcome(
        majority=majority,
        deemed_area=_area(deemed_area),
        deemed_headcount=deemed_heads,
        participating_area=_area(part_area),
        participating_headcount=part_heads,
        participation_met=participation_met,
        yes_area=_area(yes_area),
        yes_headcount=yes_heads,
        no_area=_area(no_area),
        no_headcount=no_heads,
        approval_met=approval_met,
        passed=participation_met and approval_met,
        reasons=tuple(
            _with_rounding_note(
                [head, *participation, *approval, _verdict_reason(participation, approval_met)]
            )
        ),
    )


def _candidate_reasons(name, area, heads, part_area, part_heads):
    return [
        _share_reason(
            f"candidate_area:{name}",
            area,
            part_area,
            HALF,
            False,
            is_area=True,
            zh=(f"候选人 {name} 得票面积", "参与表决面积"),
            en=(f"Candidate {name}: agreeing area", "participating area"),
        ),
        _share_reason(
            f"candidate_headcount:{name}",
            heads,
            part_heads,
            HALF,
            False,
            is_area=False,
            zh=(f"候选人 {name} 得票人数", "参与表决人数"),
            en=(f"Candidate {name}: agreeing owners", "participating owners"),
        ),
    ]


CANDIDATE_OUTCOMES = {
    "elected": ("当选", "elected"),
    "alternate": ("候补", "alternate"),
    "tied": ("得票相同，须重新表决", "tied; a revote decides"),
    "passed": (
        "得票过半数，未进入当选和候补名额",
        "more than half, but no seat or alternate place",
    ),
    "below_half": ("未当选——得票未过半数", "not elected — did not win more than half"),
    "no_participation": (
        "未当选——参与表决未达三分之二",
        "not elected — participation not reached",
    ),
}


def _candidate_outcome_reason(name, outcome):
    zh, en = CANDIDATE_OUTCOMES[outcome]
    return Reason(
        f"candidate_result:{name}",
        f"候选人 {name}：{zh}",
        f"Candidate {name}: {en}",
        outcome in ("elected", "alternate", "passed"),
    )


def _seat_reasons(participation, seats, elected, ties, undecided, vacancies, alternates, policy):
    reasons = []
    participation_met = all(r.met for r in participation)
    if not participation_met:
        which_zh, which_en = _shortfall(participation)
        reasons.append(
            Reason(
                "failed_participation",
                f"表决不成立：参与表决的{which_zh}未达到三分之二，无人当选；"
                f"各候选人得票照实记录，不产生结果，{seats} 个名额须重新表决",
                f"The vote did not stand: participation by {which_en} did not reach 2/3, so no "
                "one is elected; each candidate's votes are recorded as counted and decide "
                f"nothing, and the {seats} place(s) need a new vote",
                False,
            )
        )
    names_zh = "、".join(elected) or "无"
    names_en = ", ".join(elected) or "none"
    reasons.append(
        Reason(
            "elected",
            f"当选（按得票排名）：{names_zh}",
            f"Elected, by rank: {names_en}",
        )
    )
    for group in ties:
        reasons.append(
            Reason(
                "tie",
                f"{'、'.join(group)} 得票相同（{policy.tiebreak}），争 {undecided} 席，须重新表决",
                f"{', '.join(group)} are tied under {policy.tiebreak} for {undecided} seat(s); "
                "a revote decides",
                False,
            )
        )
    if vacancies and participation_met:
        reasons.append(
            Reason(
                "vacancies",
                f"{vacancies} 个席位无候选人获得过半数同意，留待补选",
                f"{vacancies} of {seats} seat(s) had no candidate with more than half; "
                "they await a by-election",
                False,
            )
        )
    if alternates:
        reasons.append(
            Reason(
                "alternates",
                f"候补（按排名）：{'、'.join(alternates)}",
                f"Alternates, by rank: {', '.join(alternates)}",
            )
        )
    return reasons
