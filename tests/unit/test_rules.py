"""Hand-computed cases for the owners' vote arithmetic, boundaries first (DOMAIN.md §3, §4)."""

from decimal import Decimal
from fractions import Fraction

import pytest

from deliberation.rules import (
    DEFAULT_POLICY,
    MATTERS,
    Choice,
    Holding,
    Matter,
    Policy,
    Reason,
    decide,
    elect,
)


def spread(hundredths, count):
    """``count`` areas that add up to exactly ``hundredths`` / 100 square metres."""
    share, extra = divmod(hundredths, count)
    return [Decimal(share + (index < extra)).scaleb(-2) for index in range(count)]


def estate(*groups):
    """One holder per unit: groups of (count, total hundredths); keys o0, o1, ... in order."""
    units = []
    for count, hundredths in groups:
        for area in spread(hundredths, count):
            units.append(Holding(f"u{len(units)}", area, f"o{len(units)}"))
    return units


def flat(unit, area, holder=None):
    return Holding(unit, Decimal(area), holder or f"owner-{unit}")


# Example A (DOMAIN.md §3.5): 420 heads, 45,000.60 m². Owners o0..o279 vote with 30,000.40 m²;
# o0..o140 hold 15,000.20 m² and o0..o209 hold 22,500.30 m².
EXAMPLE_A = estate((141, 1500020), (69, 750010), (70, 750010), (140, 1500020))


def example_a_ballots(agreeing):
    return {f"o{k}": "yes" if k < agreeing else "no" for k in range(280)}


def example_b(agreeing=212):
    """Example B: 412 units, 38,450.00 m², the developer's 12 and an investor's 3 collapsed."""
    units = [flat(f"dev-{k}", "80.00", "developer") for k in range(12)]  # 960.00, not voting
    units += [flat("inv-1", "90.00", "investor"), flat("inv-2", "95.00", "investor")]
    units += [flat("inv-3", "100.00", "investor")]  # 285.00, agrees
    # 211 more agreeing owners with 20,315.00; 69 others voting with 6,700.00;
    # 117 not voting with 10,190.00 (with the developer: 118 heads, 11,150.00).
    shares = spread(2031500, 211) + spread(670000, 69) + spread(1019000, 117)
    units += [flat(f"f{k}", area, f"o{k}") for k, area in enumerate(shares)]
    choices = ["yes"] * 211 + ["no"] * 51 + ["abstain"] * 12 + ["spoiled"] * 6
    ballots = {"investor": "yes"} | {f"o{k}": choice for k, choice in enumerate(choices)}
    for k in range(212 - agreeing):  # turn agreeing owners into opponents
        ballots[f"o{k}"] = "no"
    return units, ballots


def test_matters_are_the_nine_items_of_article_278_in_order():
    assert list(MATTERS) == [
        "rules_of_procedure",
        "management_statute",
        "elect_committee",
        "hire_property_manager",
        "use_maintenance_fund",
        "raise_maintenance_fund",
        "rebuild",
        "change_common_use",
        "other_major",
    ]
    assert [matter.item for matter in MATTERS.values()] == list(range(1, 10))
    assert all(matter.label_zh and matter.label_en for matter in MATTERS.values())


def test_items_six_to_eight_need_three_quarters_inclusive_and_the_rest_more_than_half():
    for code, matter in MATTERS.items():
        assert matter.code == code
        assert isinstance(matter.threshold, Fraction)
        if matter.item in (6, 7, 8):
            assert (matter.threshold, matter.inclusive) == (Fraction(3, 4), True)
        else:
            assert (matter.threshold, matter.inclusive) == (Fraction(1, 2), False)


def test_example_a_meets_participation_exactly_at_two_thirds():
    outcome = decide("change_common_use", EXAMPLE_A, example_a_ballots(210))

    assert outcome.total_area == Decimal("45000.60")
    assert outcome.total_headcount == 420
    assert outcome.participating_area == Decimal("30000.40")
    assert outcome.participating_headcount == 280
    assert outcome.participation_met


def test_example_a_change_common_use_passes_at_exactly_three_quarters():
    outcome = decide("change_common_use", EXAMPLE_A, example_a_ballots(210))

    assert (outcome.yes_area, outcome.yes_headcount) == (Decimal("22500.30"), 210)
    assert (outcome.no_area, outcome.no_headcount) == (Decimal("7500.10"), 70)
    assert outcome.passed
    # The float reading this module exists to avoid:
    assert 22500.30 / 30000.40 < 0.75


def test_example_a_hire_property_manager_fails_on_exactly_half_the_area():
    outcome = decide("hire_property_manager", EXAMPLE_A, example_a_ballots(141))

    assert (outcome.yes_area, outcome.yes_headcount) == (Decimal("15000.20"), 141)
    assert outcome.participation_met
    assert not outcome.approval_met
    assert not outcome.passed
    by_code = {reason.code: reason for reason in outcome.reasons}
    assert by_code["approval_headcount"].met  # 282 > 280
    assert not by_code["approval_area"].met  # 30000.40 is not > 30000.40
    assert by_code["approval_area"].zh == (
        "同意面积 15,000.20 ㎡ ≤ 参与表决面积 30,000.40 ㎡ × 1/2 = 15,000.20 ㎡ ✗ 不符合"
    )


def test_reasons_show_the_threshold_with_exact_figures_in_both_languages():
    outcome = decide("change_common_use", EXAMPLE_A, example_a_ballots(210))
    by_code = {reason.code: reason for reason in outcome.reasons}

    area = by_code["participation_area"]
    assert area.zh == (
        "参与表决面积 30,000.40 ㎡ ≥ 总面积 45,000.60 ㎡ × 2/3 = 30,000.40 ㎡ ✓ 符合"
    )
    assert str(area) == area.en
    assert area.en == (
        "Participating area 30,000.40 m² ≥ total area 45,000.60 m² × 2/3 = 30,000.40 m² ✓ met"
    )
    assert by_code["participation_headcount"].zh == (
        "参与表决人数 280 人 ≥ 总人数 420 人 × 2/3 = 280 人 ✓ 符合"
    )
    assert by_code["approval_area"].zh == (
        "同意面积 22,500.30 ㎡ ≥ 参与表决面积 30,000.40 ㎡ × 3/4 = 22,500.30 ㎡ ✓ 符合"
    )
    assert "rounding" not in by_code  # every bound here is exact
    assert by_code["passed"].met
    assert all(isinstance(reason, Reason) and reason.zh and reason.en for reason in outcome.reasons)


def test_example_b_raise_maintenance_fund_passes_with_collapsed_heads():
    units, ballots = example_b()
    outcome = decide("raise_maintenance_fund", units, ballots)

    assert len(units) == 412
    assert (outcome.total_area, outcome.total_headcount) == (Decimal("38450.00"), 399)
    assert (outcome.participating_area, outcome.participating_headcount) == (
        Decimal("27300.00"),
        281,
    )
    assert (outcome.yes_area, outcome.yes_headcount) == (Decimal("20600.00"), 212)
    assert (outcome.no_headcount, outcome.abstain_headcount, outcome.spoiled_headcount) == (
        51,
        12,
        6,
    )
    by_code = {reason.code: reason for reason in outcome.reasons}
    # 38,450.00 × 2/3 = 25,633.33…, shown rounded up; 399 × 2/3 = 266 exactly.
    assert "27,300.00 m² ≥ total area 38,450.00 m² × 2/3 ≈ 25,633.34 m² ✓" in (
        by_code["participation_area"].en
    )
    assert "281 ≥ all owners 399 × 2/3 = 266 ✓" in by_code["participation_headcount"].en
    assert "20,600.00 m² ≥ participating area 27,300.00 m² × 3/4 = 20,475.00 m² ✓" in (
        by_code["approval_area"].en
    )
    assert "212 ≥ participating owners 281 × 3/4 = 210.75 ✓" in by_code["approval_headcount"].en
    assert by_code["rounding"].met is None
    assert outcome.passed


def test_example_b_fails_with_210_agreeing_at_74_point_7_percent():
    units, ballots = example_b(agreeing=210)
    outcome = decide("raise_maintenance_fund", units, ballots)

    assert outcome.yes_headcount == 210
    by_code = {reason.code: reason for reason in outcome.reasons}
    assert "210 < participating owners 281 × 3/4 = 210.75 ✗ not met" in (
        by_code["approval_headcount"].en
    )
    assert not outcome.passed


def test_three_units_of_50_62_with_two_participating_is_exactly_two_thirds():
    units = [flat(unit, "50.62") for unit in ("101", "102", "103")]
    outcome = decide("other_major", units, {"owner-101": "yes", "owner-102": "yes"})

    assert outcome.participating_area == Decimal("101.24")
    assert outcome.participation_met  # 303.72 >= 303.72 and 6 >= 6
    assert outcome.passed


def test_uneven_flats_at_exactly_two_thirds_meet_participation():
    # Float shares put this at 0.666... just under 2/3; hundredths give 807.48 >= 807.48.
    units = [flat("a", "145.16"), flat("b", "124.00"), flat("c", "134.58")]
    outcome = decide("other_major", units, {"owner-a": "yes", "owner-b": "yes"})

    assert outcome.participation_met
    # 403.74 × 2/3 = 269.16 exactly, so the bound is shown with "=".
    assert "269.16 m² ≥ total area 403.74 m² × 2/3 = 269.16 m² ✓" in outcome.reasons[0].en


def test_participation_needs_area_even_with_enough_heads():
    units = [flat("big", "200.00"), flat("a", "50.00"), flat("b", "50.00")]
    outcome = decide("other_major", units, {"owner-a": "yes", "owner-b": "yes"})

    assert outcome.participating_headcount == 2  # 6 >= 6
    assert not outcome.participation_met  # 300.00 < 600.00
    assert not outcome.passed
    assert outcome.reasons[-1].code == "failed_participation"


def test_participation_needs_heads_even_with_enough_area():
    units = [flat("big", "200.00"), flat("a", "50.00"), flat("b", "50.00")]
    outcome = decide("other_major", units, {"owner-big": "yes"})

    assert outcome.participating_area == Decimal("200.00")  # 600.00 >= 600.00
    assert not outcome.participation_met  # 3 < 6
    assert not outcome.passed


def test_one_hundredth_below_two_thirds_of_the_area_fails_participation():
    units = [flat("a", "50.62"), flat("b", "50.62"), flat("c", "50.63")]
    outcome = decide("other_major", units, {"owner-a": "yes", "owner-b": "yes"})

    assert not outcome.participation_met  # 303.72 < 303.74


def test_without_participation_a_unanimous_vote_does_not_pass():
    units = [flat(str(k), "90.00") for k in range(3)]
    outcome = decide("rules_of_procedure", units, {"owner-0": "yes"})

    assert outcome.approval_met
    assert not outcome.participation_met
    assert not outcome.passed


def test_exactly_half_fails_a_simple_majority():
    units = [flat(str(k), "80.00") for k in range(4)]
    ballots = {"owner-0": "yes", "owner-1": "yes", "owner-2": "no", "owner-3": "no"}
    outcome = decide("management_statute", units, ballots)

    assert outcome.participation_met
    assert not outcome.passed


def test_one_hundredth_over_half_of_the_area_passes_a_simple_majority():
    units = [flat("a", "80.01"), flat("b", "80.00"), flat("c", "70.00")]
    ballots = {"owner-a": "yes", "owner-b": "no", "owner-c": "yes"}
    outcome = decide("use_maintenance_fund", units, ballots)
    assert outcome.passed  # 2 * 150.01 > 230.01

    ballots = {"owner-a": "yes", "owner-b": "yes", "owner-c": "no"}
    outcome = decide("use_maintenance_fund", [*units[:2], flat("c", "160.01")], ballots)
    assert not outcome.passed  # 2 * 160.01 = 320.02, not > 320.02


def test_a_simple_majority_needs_heads_as_well_as_area():
    units = [flat("big", "300.00"), flat("a", "50.00"), flat("b", "50.00")]
    outcome = decide(
        "hire_property_manager", units, {"owner-big": "yes", "owner-a": "no", "owner-b": "no"}
    )

    assert outcome.yes_area * 2 > outcome.participating_area
    assert not outcome.passed  # 1 head of 3


def test_three_quarters_is_inclusive_and_one_hundredth_under_fails():
    units = [flat(str(k), "100.00") for k in range(4)]
    ballots = {"owner-0": "yes", "owner-1": "yes", "owner-2": "yes", "owner-3": "no"}
    assert decide("rebuild", units, ballots).passed  # 400 >= 400 on area and 12 >= 12

    units[3] = flat("3", "100.01")
    assert not decide("rebuild", units, ballots).passed  # 1200.00 < 1200.03


def test_collapsed_holder_counts_as_one_head_with_summed_area():
    units = [flat(f"dev-{k}", "100.00", "developer") for k in range(5)]
    units += [flat("a", "90.00"), flat("b", "90.00")]
    outcome = decide("other_major", units, {"developer": "yes", "owner-a": "no"})

    assert outcome.total_headcount == 3
    assert outcome.yes_area == Decimal("500.00")
    assert outcome.yes_headcount == 1
    assert not outcome.passed  # 1 of 2 heads is exactly half


def test_abstentions_participate_but_do_not_approve():
    units = [flat(str(k), "100.00") for k in range(6)]
    ballots = {"owner-0": "yes", "owner-1": "yes", "owner-2": "no", "owner-3": "abstain"}
    outcome = decide("other_major", units, ballots)

    assert outcome.participating_headcount == 4  # the abstention completes the quorum
    assert outcome.participation_met
    assert (outcome.abstain_area, outcome.abstain_headcount) == (Decimal("100.00"), 1)
    assert not outcome.passed  # 2 of 4 is not more than half
    assert "abstain_and_spoiled" in {reason.code for reason in outcome.reasons}


def test_spoiled_ballots_participate_in_their_own_fields_and_do_not_approve():
    units = [flat(str(k), "100.00") for k in range(3)]
    ballots = {"owner-0": "yes", "owner-1": "spoiled"}
    outcome = decide("other_major", units, ballots)

    assert (outcome.spoiled_area, outcome.spoiled_headcount) == (Decimal("100.00"), 1)
    assert (outcome.abstain_area, outcome.abstain_headcount) == (Decimal("0.00"), 0)
    assert (outcome.non_voting_area, outcome.non_voting_headcount) == (Decimal("100.00"), 1)
    assert outcome.participation_met
    assert not outcome.passed


def test_choices_may_be_given_as_the_enum():
    units = [flat(str(k), "100.00") for k in range(3)]
    ballots = {f"owner-{k}": Choice.YES for k in range(3)}
    assert decide(MATTERS["rebuild"], units, ballots).passed


def test_an_area_with_trailing_zeros_counts_at_its_value():
    units = [flat("a", "89.370"), flat("b", "89"), Holding("c", 10, "owner-c")]
    outcome = decide("other_major", units, {})
    assert outcome.total_area == Decimal("188.37")


@pytest.mark.parametrize(
    ("area", "error", "words"),
    [
        (89.37, TypeError, "float"),
        (Decimal("-0.01"), ValueError, "-0.01"),
        (Decimal("NaN"), ValueError, "NaN"),
        (Decimal("Infinity"), ValueError, "Infinity"),
        (Decimal("sNaN"), ValueError, "sNaN"),
        (Decimal("89.375"), ValueError, "89.375"),
        ("89.37", TypeError, "str"),
        (True, TypeError, "True"),
    ],
)
def test_it_refuses_an_inexact_or_impossible_area_and_names_the_unit(area, error, words):
    units = [flat("ok", "80.00"), Holding("3-2-501", area, "someone")]
    with pytest.raises(error, match="3-2-501") as caught:
        decide("other_major", units, {})
    assert words in str(caught.value)


def test_a_float_equal_to_an_area_already_seen_is_still_refused():
    units = [flat("a", "89.50"), Holding("b", 89.5, "owner-b")]
    with pytest.raises(TypeError, match="'b'"):
        decide("other_major", units, {})


def test_units_may_come_from_a_generator():
    outcome = decide("other_major", (flat(str(k), "60.00") for k in range(3)), {})
    assert outcome.total_area == Decimal("180.00")


def test_it_refuses_something_that_is_not_a_holding():
    with pytest.raises(TypeError, match="Holding"):
        decide("other_major", [("101", Decimal("80.00"), "owner")], {})


def test_it_refuses_an_empty_register():
    with pytest.raises(ValueError, match="no units"):
        decide("other_major", [], {})


def test_it_refuses_a_unit_listed_twice():
    with pytest.raises(ValueError, match="'101'"):
        decide("other_major", [flat("101", "80.00"), flat("101", "80.00", "other")], {})


def test_it_refuses_an_unknown_matter_by_name():
    with pytest.raises(KeyError, match="build_a_pool"):
        decide("build_a_pool", [flat("101", "80.00")], {})
    with pytest.raises(TypeError, match="7"):
        decide(7, [flat("101", "80.00")], {})


def test_it_refuses_an_unknown_choice_and_names_the_holder():
    with pytest.raises(ValueError, match="owner-101.*'maybe'"):
        decide("other_major", [flat("101", "80.00")], {"owner-101": "maybe"})
    with pytest.raises(ValueError, match="owner-101"):
        decide("other_major", [flat("101", "80.00")], {"owner-101": ["yes"]})


def test_it_refuses_a_ballot_from_a_key_that_holds_no_unit():
    with pytest.raises(KeyError, match="tenant-7") as caught:
        decide("other_major", [flat("101", "80.00")], {"tenant-7": "yes"})
    assert "holds no unit" in str(caught.value)
    assert isinstance(caught.value, ValueError)  # callers may catch either


def test_policy_refuses_unknown_settings():
    with pytest.raises(ValueError, match="deemed_votes"):
        Policy(deemed_votes="always")
    with pytest.raises(ValueError, match="tiebreak"):
        Policy(tiebreak="coin")
    with pytest.raises(ValueError, match="max_alternates"):
        Policy(max_alternates=-1)
    with pytest.raises(ValueError, match="min_committee_size"):
        Policy(min_committee_size=0)


def test_policy_defaults_to_the_civil_code_reading():
    assert DEFAULT_POLICY == Policy(
        deemed_votes="none", tiebreak="heads_then_area", max_alternates=None, min_committee_size=3
    )


# Deemed votes (DOMAIN.md §3.4): shown apart from the strict result, and flagged.

FOLLOW = Policy(deemed_votes="follow_majority")


def test_deemed_votes_are_not_computed_by_default():
    outcome = decide("other_major", [flat(str(k), "90.00") for k in range(3)], {"owner-0": "yes"})
    assert outcome.deemed is None
    assert not outcome.depends_on_deemed


def test_deemed_votes_that_fill_a_missing_quorum_stay_out_of_the_strict_result():
    units = [flat(str(k), "90.00") for k in range(10)]
    ballots = {"owner-0": "yes", "owner-1": "yes", "owner-2": "yes", "owner-3": "no"}
    outcome = decide("hire_property_manager", units, ballots, FOLLOW)

    assert not outcome.passed
    assert (outcome.participating_headcount, outcome.yes_headcount) == (4, 3)
    assert outcome.deemed.majority == Choice.YES
    assert (outcome.deemed.deemed_area, outcome.deemed.deemed_headcount) == (Decimal("540.00"), 6)
    assert (outcome.deemed.yes_area, outcome.deemed.yes_headcount) == (Decimal("810.00"), 9)
    assert outcome.deemed.participation_met
    assert outcome.deemed.passed
    assert outcome.depends_on_deemed
    assert outcome.deemed.reasons[0].code == "deemed_follow_majority"


def test_deemed_votes_can_carry_a_three_quarters_matter_the_voters_did_not():
    units = [flat(str(k), "100.00") for k in range(12)]
    ballots = {f"owner-{k}": "yes" if k < 7 else "no" for k in range(10)}  # 70% agree
    outcome = decide("change_common_use", units, ballots, FOLLOW)

    assert outcome.participation_met and not outcome.passed
    assert outcome.deemed.passed  # 9 of 12 with the two non-voters deemed agreeing
    assert outcome.depends_on_deemed


def test_deemed_votes_follow_an_opposing_majority():
    units = [flat(str(k), "100.00") for k in range(10)]
    ballots = {"owner-0": "yes", "owner-1": "no", "owner-2": "no"}
    outcome = decide("other_major", units, ballots, FOLLOW)

    assert outcome.deemed.majority == Choice.NO
    assert outcome.deemed.no_headcount == 9
    assert not outcome.deemed.passed
    assert not outcome.depends_on_deemed


def test_nobody_is_deemed_without_a_majority_among_the_voters():
    units = [flat(str(k), "100.00") for k in range(10)]
    ballots = {"owner-0": "yes", "owner-1": "no", "owner-2": "abstain"}
    outcome = decide("other_major", units, ballots, FOLLOW)

    assert outcome.deemed.majority is None
    assert outcome.deemed.deemed_headcount == 0
    assert not outcome.deemed.passed


# Elections (DOMAIN.md §4): approval ballots, each candidate on its own.


def owners(count, area="100.00"):
    return [flat(str(k), area) for k in range(count)]


def ballots_for(*lists):
    return {f"owner-{k}": list(names) for k, names in enumerate(lists)}


def approvals(plan, voters, per_ballot=None):
    """Ballots giving each candidate exactly ``plan[name]`` approving owners.

    Names go to the owners whose ballots are shortest so far, so a plan that fits within
    ``per_ballot`` names never spoils a ballot by accident.
    """
    ballots = {f"owner-{k}": [] for k in range(voters)}
    order = list(ballots)
    for name, count in plan.items():
        shortest = sorted(order, key=lambda key: len(ballots[key]))
        for key in shortest[:count]:
            ballots[key].append(name)
    if per_ballot is not None:
        assert all(len(names) <= per_ballot for names in ballots.values()), "plan does not fit"
    return ballots


def test_each_candidate_needs_more_than_half_of_area_and_heads_on_its_own():
    ballots = ballots_for(["Li", "Wang"], ["Li", "Wang"], ["Li"], ["Zhao"])
    result = elect(owners(4), ballots, ["Li", "Wang", "Zhao"], seats=2)

    assert result.participation_met
    assert result.counts["Li"].qualified  # 3 of 4
    assert not result.counts["Wang"].qualified  # 2 of 4 is exactly half
    assert (result.counts["Wang"].area, result.counts["Wang"].headcount) == (Decimal("200.00"), 2)
    assert result.elected == ("Li",)
    assert result.vacancies == 1  # never filled by a minority


def test_a_candidate_needs_area_as_well_as_heads():
    units = [flat("big", "500.00"), *owners(3)]
    ballots = {"owner-0": ["Li"], "owner-1": ["Li"], "owner-2": ["Li"], "owner-big": []}
    result = elect(units, ballots, ["Li"], seats=1)

    assert result.counts["Li"].headcount_met  # 3 of 4
    assert not result.counts["Li"].area_met  # 300.00 of 800.00
    assert result.elected == ()


def test_without_participation_nobody_is_elected():
    result = elect(owners(4), ballots_for(["Li"], ["Li"]), ["Li"], seats=1)

    assert not result.participation_met
    assert not result.counts["Li"].qualified
    assert (result.elected, result.alternates, result.vacancies) == ((), (), 1)
    assert "failed_participation" in {reason.code for reason in result.reasons}


def test_an_over_voted_ballot_is_spoiled_for_every_candidate_but_participates():
    ballots = ballots_for(["Li"], ["Li"], ["Li", "Wang"])
    result = elect(owners(3), ballots, ["Li", "Wang"], seats=1)

    assert result.spoiled == ("owner-2",)
    assert result.participating_headcount == 3
    assert (result.spoiled_area, result.spoiled_headcount) == (Decimal("100.00"), 1)
    assert (result.counts["Li"].headcount, result.counts["Wang"].headcount) == (2, 0)
    assert result.elected == ("Li",)


def test_a_ballot_naming_a_candidate_twice_is_spoiled():
    result = elect(owners(3), ballots_for(["Li"], ["Li", "Li"], []), ["Li", "Wang"], seats=2)

    assert result.spoiled == ("owner-1",)
    assert result.counts["Li"].headcount == 1
    assert result.elected == ()


def test_an_empty_ballot_participates_and_approves_no_one():
    result = elect(owners(3), ballots_for(["Li"], [], []), ["Li"], seats=1)

    assert result.participation_met
    assert result.spoiled == ()
    assert not result.counts["Li"].qualified
    assert result.vacancies == 1


def test_with_one_seat_the_highest_of_several_qualified_firms_is_hired():
    ballots = ballots_for(["Alpha", "Beta"], ["Alpha", "Beta"], ["Beta", "Alpha"], ["Alpha"], [])
    firms = ["Beta", "Alpha"]
    result = elect(owners(5), ballots, firms, seats=1, max_names=len(firms))

    assert result.counts["Alpha"].qualified and result.counts["Beta"].qualified  # 4 and 3 of 5
    assert result.elected == ("Alpha",)
    assert result.alternates == ("Beta",)
    assert not result.committee_valid  # one seat is no committee


def test_with_one_name_per_ballot_two_firms_cannot_both_pass():
    ballots = ballots_for(["Alpha", "Beta"], ["Alpha", "Beta"], ["Beta", "Alpha"], ["Alpha"], [])
    result = elect(owners(5), ballots, ["Alpha", "Beta"], seats=1)

    assert result.spoiled == ("owner-0", "owner-1", "owner-2")
    assert result.elected == ()


def two_firm_race(areas, policy=DEFAULT_POLICY):
    """Li and Wang each win 3 of 5 heads: owners 0, 1, 2 for Li and 0, 1, 3 for Wang."""
    units = [flat(str(k), area) for k, area in enumerate(areas)]
    ballots = ballots_for(["Li", "Wang"], ["Li", "Wang"], ["Li"], ["Wang"], [])
    return elect(units, ballots, ["Li", "Wang"], seats=1, policy=policy, max_names=2)


def test_heads_then_area_breaks_a_heads_tie_by_agreeing_area():
    result = two_firm_race(["100.00", "100.00", "100.00", "100.01", "100.00"])

    assert result.elected == ("Wang",)
    assert result.alternates == ("Li",)
    assert result.ties == ()


def test_a_tie_on_heads_and_area_across_the_last_seat_awaits_a_revote():
    result = two_firm_race(["100.00"] * 5)

    assert result.elected == ()
    assert result.ties == (("Li", "Wang"),)
    assert result.undecided_seats == 1
    assert result.vacancies == 0  # undecided, not vacant, until the revote
    assert result.alternates == ()  # the revote's loser takes the one alternate place
    assert "tie" in {reason.code for reason in result.reasons}


def test_heads_then_revote_does_not_look_at_area():
    areas = ["100.00", "100.00", "100.00", "150.00", "100.00"]
    result = two_firm_race(areas, Policy(tiebreak="heads_then_revote"))

    assert result.counts["Wang"].area > result.counts["Li"].area
    assert result.ties == (("Li", "Wang"),)
    assert result.elected == ()


def test_area_then_heads_prefers_area_over_more_heads():
    units = [*owners(6), flat("big", "400.00")]
    ballots = {f"owner-{k}": ["Li", "Wang"] if k < 3 else ["Li"] for k in range(6)}
    ballots["owner-big"] = ["Wang"]
    # Li: 6 of 7 heads, 600.00 of 1000.00 m²; Wang: 4 of 7 heads, 700.00 m².
    by_heads = elect(units, ballots, ["Li", "Wang"], seats=1, max_names=2)
    policy = Policy(tiebreak="area_then_heads")
    by_area = elect(units, ballots, ["Li", "Wang"], seats=1, policy=policy, max_names=2)

    assert by_heads.elected == ("Li",)
    assert by_area.elected == ("Wang",)


# A committee race within the over-vote rule: ten owners, five names each at most.
COMMITTEE = {"A": 10, "B": 9, "C": 8, "D": 7, "E": 6, "F": 6, "G": 4}


def test_seats_are_filled_by_rank_and_seats_nobody_qualifies_for_stay_vacant():
    ballots = approvals(COMMITTEE, voters=10, per_ballot=5)
    result = elect(owners(10), ballots, list(COMMITTEE), seats=7)

    assert result.spoiled == ()
    assert result.elected == ("A", "B", "C", "D", "E", "F")  # E and F tie inside the seats
    assert result.ties == ()
    assert not result.counts["G"].qualified
    assert result.vacancies == 1
    assert result.committee_valid  # 6 >= 3 and 12 > 7


def test_a_tie_straddling_the_last_seat_leaves_it_undecided():
    ballots = approvals(COMMITTEE, voters=10, per_ballot=5)
    result = elect(owners(10), ballots, list(COMMITTEE), seats=5)

    assert result.elected == ("A", "B", "C", "D")
    assert result.ties == (("E", "F"),)
    assert (result.undecided_seats, result.vacancies) == (1, 0)
    assert result.committee_valid  # 4 >= 3 and 8 > 5, before the revote


def test_elected_are_ordered_by_agreeing_heads():
    plan = {"C": 6, "A": 9, "B": 8}
    result = elect(owners(10), approvals(plan, 10, 3), list(plan), seats=3)
    assert result.elected == ("A", "B", "C")


# Separate yes/no per candidate (max_names above seats) lets more qualify than there are seats.
LADDER = {"A": 10, "B": 9, "C": 8, "D": 7, "E": 6, "F": 5}


def ladder(plan=LADDER, seats=2, policy=DEFAULT_POLICY):
    ballots = approvals(plan, voters=10)
    return elect(owners(10), ballots, list(plan), seats=seats, policy=policy, max_names=len(plan))


def test_alternates_follow_in_rank_capped_at_the_seats_by_default():
    result = ladder()

    assert result.elected == ("A", "B")
    assert result.alternates == ("C", "D")
    assert not result.counts["F"].qualified  # 5 of 10


def test_the_policy_can_cap_alternates_lower_or_higher():
    assert ladder(policy=Policy(max_alternates=1)).alternates == ("C",)
    assert ladder(policy=Policy(max_alternates=0)).alternates == ()
    assert ladder(policy=Policy(max_alternates=10)).alternates == ("C", "D", "E")


def test_a_tie_straddling_the_alternates_cap_is_reported_not_cut():
    result = ladder({"A": 10, "B": 9, "C": 8, "D": 7, "E": 7})

    assert result.alternates == ("C",)
    assert result.alternate_ties == (("D", "E"),)


def test_the_losers_of_a_seat_revote_take_the_first_alternate_places():
    plan = {"A": 9, "B": 9, "C": 8, "D": 7}
    result = ladder(plan, seats=1)
    assert result.ties == (("A", "B"),)
    assert result.alternates == ()  # the cap of 1 is the revote loser's

    result = ladder(plan, seats=1, policy=Policy(max_alternates=3))
    assert result.alternates == ("C", "D")


def test_a_committee_stands_only_with_the_minimum_and_more_than_half_the_seats():
    plan = {"A": 10, "B": 9, "C": 8, "D": 4, "E": 4, "F": 4, "G": 4}
    three_of_seven = elect(owners(10), approvals(plan, 10, 5), list(plan), seats=7)
    assert three_of_seven.elected == ("A", "B", "C")
    assert not three_of_seven.committee_valid  # 6 is not > 7

    three_of_five = elect(owners(10), approvals(plan, 10, 5), list(plan), seats=5)
    assert three_of_five.committee_valid  # 3 >= 3 and 6 > 5
    strict = Policy(min_committee_size=5)
    plan = {"A": 10, "B": 9, "C": 8, "D": 7}
    four_of_five = elect(owners(10), approvals(plan, 10, 5), list(plan), seats=5, policy=strict)
    assert not four_of_five.committee_valid  # 4 < 5


def test_election_reasons_give_each_candidate_both_figures():
    ballots = ballots_for(["Li", "Wang"], ["Li", "Wang"], ["Li"], ["Zhao"])
    result = elect(owners(4), ballots, ["Li", "Wang", "Zhao"], seats=2)
    by_code = {reason.code: reason for reason in result.reasons}

    assert by_code["candidate_area:Wang"].zh == (
        "候选人 Wang 得票面积 200.00 ㎡ ≤ 参与表决面积 400.00 ㎡ × 1/2 = 200.00 ㎡ ✗ 不符合"
    )
    assert by_code["candidate_headcount:Li"].en == (
        "Candidate Li: agreeing owners 3 > participating owners 4 × 1/2 = 2 ✓ met"
    )
    assert str(by_code["candidate_result:Li"]) == "Candidate Li: elected"
    assert by_code["candidate_result:Wang"].zh == "候选人 Wang：未当选——得票未过半数"
    assert str(by_code["vacancies"]).startswith("1 of 2 seat(s)")


@pytest.mark.parametrize(
    ("call", "error", "words"),
    [
        (lambda: elect(owners(3), {}, ["Li"], seats=0), ValueError, "seats"),
        (lambda: elect(owners(3), {}, ["Li"], seats=-2), ValueError, "seats"),
        (lambda: elect(owners(3), {}, ["Li"], seats="3"), TypeError, "seats"),
        (lambda: elect(owners(3), {}, [], seats=1), ValueError, "no candidates"),
        (lambda: elect(owners(3), {}, ["Li", "Li"], seats=1), ValueError, "'Li'"),
        (lambda: elect(owners(3), {}, "Li", seats=1), TypeError, "'Li'"),
        (lambda: elect(owners(3), {"owner-0": ["Ma"]}, ["Li"], seats=1), KeyError, "'Ma'"),
        (lambda: elect(owners(3), {"owner-0": "Li"}, ["Li"], seats=1), TypeError, "owner-0"),
        (lambda: elect(owners(3), {"owner-0": None}, ["Li"], seats=1), TypeError, "owner-0"),
        (lambda: elect(owners(3), {"stranger": ["Li"]}, ["Li"], seats=1), KeyError, "stranger"),
        (lambda: elect([], {}, ["Li"], seats=1), ValueError, "no units"),
    ],
)
def test_elect_refuses_bad_input_and_names_the_culprit(call, error, words):
    with pytest.raises(error) as caught:
        call()
    assert words in str(caught.value)


def test_a_custom_matter_brings_its_own_threshold():
    two_thirds = Matter("local_rule", "本地事项", "Local matter", Fraction(2, 3), True, 0)
    units = owners(3)
    assert decide(two_thirds, units, {"owner-0": "yes", "owner-1": "yes", "owner-2": "no"}).passed
