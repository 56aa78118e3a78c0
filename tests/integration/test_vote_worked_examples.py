"""Whole votes against the hand-computed worked examples of DOMAIN.md §3.5.

Each register is built unit by unit so its totals are those of the example; ballots go through
the real services (paper ballots entered by a teller), the count through tally_vote.
"""

from decimal import Decimal

import pytest

from deliberation.models import (
    Building,
    Community,
    Estate,
    Holder,
    HolderKind,
    Ownership,
    Role,
    Unit,
)
from deliberation.services import votes
from tests.factories import add_member
from tests.vote_factories import convene, move_to, publish

pytestmark = pytest.mark.django_db


def register(community, areas, holder_of=None):
    """Units with these areas; holder_of(index) names a shared holder key, else one each."""
    estate = Estate.objects.create(community=community, name="示例小区")
    building = Building.objects.create(estate=estate, name="1号楼")
    shared = {}
    holders = []
    for n, area in enumerate(areas):
        key = holder_of(n) if holder_of else None
        if key is None:
            holder = Holder.objects.create(community=community, name=f"业主{n}")
        elif key in shared:
            holder = shared[key]
        else:
            kind = HolderKind.DEVELOPER if key == "developer" else HolderKind.PERSON
            holder = shared[key] = Holder.objects.create(community=community, name=key, kind=kind)
        unit = Unit.objects.create(building=building, number=str(1000 + n), area=Decimal(area))
        Ownership.objects.create(unit=unit, holder=holder)
        holders.append(holder)
    return holders


@pytest.fixture
def runner(db):
    community = Community.objects.create(name="示例社区")
    committee = add_member(community, Role.COMMUNITY_WORKER, name="刘洋")
    return community, committee


def run(community, by, matters, ballots_by_matter):
    """Convene, freeze, open, let the teller enter each ballot, close and count."""
    vote = convene(community, by, matters=[(code, "ordinary", 1, []) for code in matters])
    votes.appoint_teller(vote, by, by=by)
    publish(vote, by)
    move_to(vote, "open")
    by_code = {m.code: m for m in vote.matters.all()}
    for code, ballots in ballots_by_matter.items():
        for holder, choice in ballots:
            votes.cast_ballot(by_code[code], holder, choice, by=by, channel="paper")
    move_to(vote, "closed")
    votes.tally_vote(vote, by=by)
    return {m.code: m.result for m in vote.matters.select_related("result")}


def test_example_a_quorum_and_three_quarters_are_met_exactly_and_half_is_not_enough(runner):
    community, by = runner
    # 420 single owners, 45,000.60 m². 280 vote with 30,000.40 m².
    s1_and_s2 = ["107.00"] * 140 + ["20.20"]  # agree on both matters
    s1_only = ["107.00"] * 68 + ["224.10"]  # agree on change_common_use only
    other_voters = ["107.00"] * 69 + ["117.10"]
    non_voters = ["107.00"] * 139 + ["127.20"]
    holders = register(community, s1_and_s2 + s1_only + other_voters + non_voters)
    both, s1, rest = holders[:141], holders[141:210], holders[210:280]
    results = run(
        community,
        by,
        ["change_common_use", "hire_property_manager"],
        {
            "change_common_use": [(h, "yes") for h in both + s1] + [(h, "no") for h in rest],
            "hire_property_manager": [(h, "yes") for h in both] + [(h, "no") for h in s1 + rest],
        },
    )
    common, hire = results["change_common_use"], results["hire_property_manager"]
    assert common.figures["total_area"] == "45000.60"
    assert common.figures["total_headcount"] == 420
    assert common.figures["participating_area"] == "30000.40"
    assert common.figures["participation_met"] is True  # 90,001.20 ≥ 90,001.20 and 840 ≥ 840
    assert common.figures["yes_area"] == "22500.30"
    assert common.passed is True  # exactly 3/4 passes: 以上 includes the bound
    assert hire.figures["yes_headcount"] == 141
    assert hire.figures["yes_area"] == "15000.20"
    assert hire.passed is False  # 2×15,000.20 is not > 30,000.40: 过半数 is strict
    assert "≤" in next(r["zh"] for r in hire.reasons if r["code"] == "approval_area")


def example_b(community):
    # 412 units, 38,450.00 m²: the developer's 12 unsold units, an investor's 3, 397 others.
    agree = ["97.00"] * 200 + ["100.00"] * 12  # 212 owners, 20,600.00 m²
    against = ["97.00"] * 67 + ["100.50"] * 2  # 69 owners, 6,700.00 m²
    quiet = ["85.00"] * 130 + ["100.00"]  # 131 units, 11,150.00 m², 118 heads

    def holder_of(n):
        if 281 <= n < 293:
            return "developer"
        if 293 <= n < 296:
            return "investor"
        return None

    holders = register(community, agree + against + quiet, holder_of)
    return holders[:212], holders[212:281]


def test_example_b_raise_maintenance_fund_passes_with_212_agreeing(runner):
    community, by = runner
    agree, other = example_b(community)
    choices = ["no"] * 51 + ["abstain"] * 12 + ["spoiled"] * 6
    result = run(
        community,
        by,
        ["raise_maintenance_fund"],
        {
            "raise_maintenance_fund": [(h, "yes") for h in agree]
            + list(zip(other, choices, strict=True))
        },
    )["raise_maintenance_fund"]
    figures = result.figures
    assert (figures["total_area"], figures["total_headcount"]) == ("38450.00", 399)
    assert (figures["participating_area"], figures["participating_headcount"]) == ("27300.00", 281)
    assert figures["spoiled_headcount"] == 6 and figures["abstain_headcount"] == 12
    assert result.passed is True  # 82,400 ≥ 81,900 and 848 ≥ 843


def test_example_b_fails_with_210_agreeing(runner):
    community, by = runner
    agree, other = example_b(community)
    choices = ["no"] * 51 + ["abstain"] * 12 + ["spoiled"] * 6
    ballots = [(h, "yes") for h in agree[:210]] + [(h, "no") for h in agree[210:]]
    result = run(
        community,
        by,
        ["raise_maintenance_fund"],
        {"raise_maintenance_fund": ballots + list(zip(other, choices, strict=True))},
    )["raise_maintenance_fund"]
    assert result.figures["yes_headcount"] == 210
    assert result.passed is False  # 840 < 843
