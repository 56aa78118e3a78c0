"""Properties of the vote arithmetic, checked by hypothesis against a Fraction oracle."""

import re
from decimal import Decimal
from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from deliberation.rules import (
    MATTERS,
    Holding,
    Policy,
    Reason,
    attendance,
    decide,
    elect,
    show_of_hands,
)

SETTINGS = settings(max_examples=80, deadline=None)

# Small areas from a short list make exact bounds (2/3, 1/2, 3/4) common, not lucky.
hundredths = st.one_of(
    st.integers(min_value=0, max_value=30_000),
    st.sampled_from([100, 5062, 8937, 10_000]),
)
CHOICES = ["yes", "no", "abstain", "spoiled"]
CANDIDATES = ["A", "B", "C", "D", "E"]


@st.composite
def estates(draw):
    """A register of 1-14 units over up to 8 holder keys, some holding several units."""
    count = draw(st.integers(min_value=1, max_value=14))
    units = [
        Holding(
            f"u{index}",
            Decimal(draw(hundredths)).scaleb(-2),
            f"h{draw(st.integers(min_value=0, max_value=7))}",
        )
        for index in range(count)
    ]
    return units, sorted({unit.holder for unit in units})


@st.composite
def votes(draw):
    units, keys = draw(estates())
    chosen = draw(
        st.lists(st.sampled_from([*CHOICES, None]), min_size=len(keys), max_size=len(keys))
    )
    ballots = {key: choice for key, choice in zip(keys, chosen, strict=True) if choice is not None}
    return units, ballots


@st.composite
def elections(draw):
    units, keys = draw(estates())
    seats = draw(st.integers(min_value=1, max_value=3))
    ballots = {}
    for key in keys:
        if draw(st.booleans()):
            # Up to four names, repeats allowed, so over-voted and duplicate ballots occur.
            ballots[key] = draw(st.lists(st.sampled_from(CANDIDATES), max_size=4))
    return units, ballots, seats


def shuffled(draw, units, ballots):
    return draw(st.permutations(units)), dict(draw(st.permutations(list(ballots.items()))))


# An oracle written from the statute's words with Fraction shares, not cross-multiplication.

THREE_QUARTER_MATTERS = {"raise_maintenance_fund", "rebuild", "change_common_use"}


def oracle_areas(units):
    area = {}
    for unit in units:
        area[unit.holder] = area.get(unit.holder, Fraction(0)) + Fraction(unit.area)
    return area


def oracle_participation(part_area, part_heads, total_area, total_heads):
    area_share = part_area / total_area if total_area else Fraction(1)
    return area_share >= Fraction(2, 3) and Fraction(part_heads, total_heads) >= Fraction(2, 3)


def oracle_majority(agree_area, agree_heads, part_area, part_heads):
    if part_heads == 0:
        return False
    area_ok = agree_area / part_area > Fraction(1, 2) if part_area else False
    return area_ok and Fraction(agree_heads, part_heads) > Fraction(1, 2)


def oracle_decide(code, units, ballots):
    area = oracle_areas(units)
    total_area, total_heads = sum(area.values()), len(area)
    part_area = sum(area[key] for key in ballots)
    yes = [key for key, choice in ballots.items() if choice == "yes"]
    yes_area = sum(area[key] for key in yes)
    participation = oracle_participation(part_area, len(ballots), total_area, total_heads)
    if code in THREE_QUARTER_MATTERS:
        # 以上 includes the bound; with no participating area the area share is vacuous.
        area_ok = yes_area / part_area >= Fraction(3, 4) if part_area else True
        heads_ok = bool(ballots) and Fraction(len(yes), len(ballots)) >= Fraction(3, 4)
        approval = area_ok and heads_ok
    else:
        approval = oracle_majority(yes_area, len(yes), part_area, len(ballots))
    return {
        "total_area": total_area,
        "participating_area": part_area,
        "yes_area": yes_area,
        "participation_met": participation,
        "passed": participation and approval,
    }


@SETTINGS
@given(votes(), st.sampled_from(list(MATTERS)))
def test_decide_agrees_with_a_fraction_oracle(vote, code):
    units, ballots = vote
    outcome = decide(code, units, ballots)
    expected = oracle_decide(code, units, ballots)

    assert outcome.total_area == expected["total_area"]
    assert outcome.participating_area == expected["participating_area"]
    assert outcome.yes_area == expected["yes_area"]
    assert outcome.participation_met == expected["participation_met"]
    assert outcome.passed == expected["passed"]


@SETTINGS
@given(st.data(), votes(), st.sampled_from(list(MATTERS)))
def test_decide_is_the_same_whatever_the_order_of_units_and_ballots(data, vote, code):
    units, ballots = vote
    reordered = shuffled(data.draw, units, ballots)
    assert decide(code, *reordered) == decide(code, units, ballots)


@SETTINGS
@given(st.data(), votes(), st.sampled_from(list(MATTERS)))
def test_turning_a_non_voter_or_an_opponent_into_a_yes_never_undoes_a_pass(data, vote, code):
    units, ballots = vote
    keys = sorted({unit.holder for unit in units})
    convertible = [key for key in keys if ballots.get(key) in (None, "no", "abstain")]
    if not convertible:
        return
    key = data.draw(st.sampled_from(convertible))
    before = decide(code, units, ballots)
    after = decide(code, units, {**ballots, key: "yes"})
    assert after.passed or not before.passed


@SETTINGS
@given(votes(), st.sampled_from(list(MATTERS)), st.integers(min_value=1, max_value=1000))
def test_scaling_every_area_by_a_whole_number_changes_no_result(vote, code, factor):
    units, ballots = vote
    scaled = [Holding(unit.unit, unit.area * factor, unit.holder) for unit in units]
    before, after = decide(code, units, ballots), decide(code, scaled, ballots)

    assert after.total_area == before.total_area * factor
    assert (after.participation_met, after.approval_met, after.passed) == (
        before.participation_met,
        before.approval_met,
        before.passed,
    )


@SETTINGS
@given(votes(), st.sampled_from(list(MATTERS)))
def test_participation_never_exceeds_the_totals_and_the_choices_add_up(vote, code):
    units, ballots = vote
    outcome = decide(code, units, ballots)

    assert 0 <= outcome.participating_area <= outcome.total_area
    assert 0 <= outcome.participating_headcount <= outcome.total_headcount
    assert outcome.participating_area == (
        outcome.yes_area + outcome.no_area + outcome.abstain_area + outcome.spoiled_area
    )
    assert outcome.participating_headcount == (
        outcome.yes_headcount
        + outcome.no_headcount
        + outcome.abstain_headcount
        + outcome.spoiled_headcount
    )
    assert outcome.non_voting_area == outcome.total_area - outcome.participating_area
    assert outcome.total_headcount == len({unit.holder for unit in units})
    assert all(field.as_tuple().exponent == -2 for field in (outcome.total_area, outcome.yes_area))


@SETTINGS
@given(votes(), st.sampled_from(list(MATTERS)))
def test_deemed_votes_never_change_the_strict_result_and_never_undo_a_pass(vote, code):
    units, ballots = vote
    strict = decide(code, units, ballots)
    covenant = decide(code, units, ballots, Policy(deemed_votes="follow_majority"))

    assert covenant.reasons == strict.reasons
    assert (covenant.passed, covenant.yes_area, covenant.participating_area) == (
        strict.passed,
        strict.yes_area,
        strict.participating_area,
    )
    assert covenant.deemed.passed or not strict.passed
    assert covenant.depends_on_deemed == (covenant.deemed.passed != strict.passed)


def oracle_qualified(units, ballots, seats):
    area = oracle_areas(units)
    total_area, total_heads = sum(area.values()), len(area)
    part_area = sum(area[key] for key in ballots)
    participation = oracle_participation(part_area, len(ballots), total_area, total_heads)
    valid = {
        key: names
        for key, names in ballots.items()
        if len(names) <= seats and len(set(names)) == len(names)
    }
    qualified = {}
    for name in CANDIDATES:
        approving = [key for key, names in valid.items() if name in names]
        agree_area = sum(area[key] for key in approving)
        qualified[name] = participation and oracle_majority(
            agree_area, len(approving), part_area, len(ballots)
        )
    return qualified


@SETTINGS
@given(elections())
def test_elect_qualifies_exactly_the_candidates_the_oracle_does(election):
    units, ballots, seats = election
    result = elect(units, ballots, CANDIDATES, seats)
    qualified = oracle_qualified(units, ballots, seats)

    assert {name: count.qualified for name, count in result.counts.items()} == qualified
    assert set(result.elected) <= {name for name, ok in qualified.items() if ok}
    assert len(result.elected) + result.undecided_seats == min(seats, sum(qualified.values()))
    assert len(result.elected) + result.undecided_seats + result.vacancies == seats


@SETTINGS
@given(elections())
def test_nobody_unseated_outranks_anyone_elected(election):
    units, ballots, seats = election
    result = elect(units, ballots, CANDIDATES, seats)
    heads = {name: count.headcount for name, count in result.counts.items()}
    seated = set(result.elected)
    others = [name for name, count in result.counts.items() if count.qualified]

    for loser in (name for name in others if name not in seated):
        assert all(heads[loser] <= heads[winner] for winner in seated)
    assert not seated & set(result.alternates)
    assert len(result.alternates) <= seats


@SETTINGS
@given(
    st.data(),
    elections(),
    st.sampled_from(["heads_then_area", "area_then_heads", "heads_then_revote"]),
)
def test_elect_is_the_same_whatever_the_order_of_units_and_ballots(data, election, tiebreak):
    units, ballots, seats = election
    policy = Policy(tiebreak=tiebreak)
    reordered = shuffled(data.draw, units, ballots)
    assert elect(*reordered, CANDIDATES, seats, policy) == elect(
        units, ballots, CANDIDATES, seats, policy
    )


# "参与表决面积 8,120.55 ㎡ ≥ 总面积 12,000.00 ㎡ × 2/3 = 8,000.00 ㎡ ✓ 符合": the figure, the sign,
# the base, the fraction, "=" or "≈", the bound shown, the mark.
LINE = re.compile(
    r" (?P<x>[\d,]+(?:\.\d\d)?)(?: ㎡| 人| m²)? (?P<sign>[≥><≤]) \D*(?P<base>[\d,]+(?:\.\d\d)?)"
    r"(?: ㎡| 人| m²)? × (?P<n>\d+)/(?P<d>\d+) (?P<eq>[=≈]) (?P<bound>[\d,]+(?:\.\d\d)?)"
    r"(?: ㎡| 人| m²)? (?P<mark>[✓✗])"
)
COMPARE = {
    "≥": lambda a, b: a >= b,
    ">": lambda a, b: a > b,
    "<": lambda a, b: a < b,
    "≤": lambda a, b: a <= b,
}


TESTS = ("participation_", "approval_", "candidate_area:", "candidate_headcount:")


def _number(text):
    return Fraction(text.replace(",", ""))


def check_lines_a_resident_can_recompute(reasons):
    """Each test line is true as printed, its mark is its exact verdict, and its bound is
    base × fraction exactly ("=") or within one hundredth ("≈")."""
    for reason in reasons:
        if not reason.code.startswith(TESTS):
            continue
        for text in (reason.zh, reason.en):
            match = LINE.search(text)
            assert match, text
            x, base, bound = (_number(match[k]) for k in ("x", "base", "bound"))
            exact = base * Fraction(int(match["n"]), int(match["d"]))
            assert COMPARE[match["sign"]](x, bound), text
            assert (match["mark"] == "✓") is reason.met, text
            if match["eq"] == "=":
                assert bound == exact, text
            else:
                assert abs(bound - exact) < Fraction(1, 100), text


@SETTINGS
@given(votes(), st.sampled_from(sorted(MATTERS)))
def test_every_decision_line_reads_true_in_the_units_shown(vote, matter):
    units, ballots = vote
    outcome = decide(matter, units, ballots, Policy(deemed_votes="follow_majority"))
    check_lines_a_resident_can_recompute(outcome.reasons)
    check_lines_a_resident_can_recompute(outcome.deemed.reasons)
    rounded = any("≈" in reason.en for reason in outcome.reasons)
    assert rounded is ("rounding" in {reason.code for reason in outcome.reasons})


@SETTINGS
@given(elections())
def test_every_election_line_reads_true_in_the_units_shown(election):
    units, ballots, seats = election
    result = elect(units, ballots, CANDIDATES, seats)
    check_lines_a_resident_can_recompute(result.reasons)
    if not result.participation_met:
        assert {c.outcome for c in result.counts.values()} == {"no_participation"}
        assert "vacancies" not in {reason.code for reason in result.reasons}


counts = st.integers(min_value=0, max_value=500)


@SETTINGS
@given(counts, counts, counts, counts)
def test_a_show_of_hands_is_a_strict_majority_of_those_who_voted_and_never_binds(
    yes, no, abstain, absent
):
    hands = show_of_hands(yes, no, abstain, yes + no + abstain + absent)
    assert hands.majority is (2 * yes > yes + no + abstain)
    check_lines_a_resident_can_recompute(
        [
            Reason("approval_" + r.code, r.zh, r.en, r.met)
            for r in hands.reasons
            if r.met is not None
        ]
    )
    assert hands.reasons[-1].code == "hands_not_binding"


@SETTINGS
@given(estates(), st.data())
def test_attendance_is_the_two_thirds_test_on_the_present_keys(estate, data):
    units, keys = estate
    present = data.draw(st.lists(st.sampled_from([*keys, "guest"]), unique=True))
    count = attendance(units, present)
    area = sum(int(u.area * 100) for u in units if u.holder in present)
    total = sum(int(u.area * 100) for u in units)
    heads = len({u.holder for u in units if u.holder in present})
    assert count.area_met is (3 * area >= 2 * total)
    assert count.headcount_met is (3 * heads >= 2 * len(keys))
    check_lines_a_resident_can_recompute(
        [Reason("participation_" + r.code, r.zh, r.en, r.met) for r in count.reasons[:2]]
    )
