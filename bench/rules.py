"""Time the exact vote count over 100,000 holdings against a naive float count.

Run from the repository root: ``python -m bench.rules``. Prints a Markdown table ready for
bench/RESULTS.md, then the boundary cases where the float count gives the wrong answer.
"""

import argparse
import platform
import random
import time
from decimal import Context, Decimal, Inexact, localcontext

from deliberation.rules import Holding, Policy, _tally_units, decide, elect

TARGET_MS = 150


def make_estate(unit_count, seed=278):
    """A large estate: the developer's unsold stock, investors with several flats, and owners.

    Areas are register figures to the hundredth, from a few dozen floor plans with small
    survey differences, as in a real register.
    """
    rng = random.Random(seed)
    plans = [rng.randint(4_500, 16_000) for _ in range(40)]
    units = []

    def add(holder, count):
        for _ in range(count):
            hundredths = rng.choice(plans) + rng.randint(-60, 60)
            area = Decimal(f"{hundredths // 100}.{hundredths % 100:02d}")
            units.append(Holding(f"{len(units) // 400 + 1}-{len(units) % 400 + 1}", area, holder))

    add("developer", unit_count // 60)  # unsold stock: one head however many units
    investor = 0
    while len(units) < unit_count // 10:
        investor += 1
        add(f"investor-{investor}", rng.randint(2, 4))
    owner = 0
    while len(units) < unit_count:
        owner += 1
        add(f"owner-{owner}", 1)
    del units[unit_count:]
    return units


def make_ballots(units, seed=279):
    rng = random.Random(seed)
    holders = sorted({unit.holder for unit in units} - {"developer"})
    ballots = {}
    for holder in holders:
        if rng.random() < 0.78:
            ballots[holder] = rng.choices(
                ["yes", "no", "abstain", "spoiled"], weights=[78, 15, 5, 2]
            )[0]
    return ballots


def make_election_ballots(units, candidates, seats, seed=280):
    rng = random.Random(seed)
    holders = sorted({unit.holder for unit in units} - {"developer"})
    weights = list(range(len(candidates), 0, -1))
    ballots = {}
    for holder in holders:
        if rng.random() < 0.78:
            picks = {rng.choices(candidates, weights=weights)[0] for _ in range(seats)}
            ballots[holder] = sorted(picks)
    return ballots


def float_count(units, ballots, threshold, inclusive):
    """The count as it is often first written: float areas and float shares. Wrong at bounds."""
    holder_area = {}
    total = 0.0
    for unit in units:
        area = float(unit.area)
        total += area
        holder_area[unit.holder] = holder_area.get(unit.holder, 0.0) + area
    part = yes = 0.0
    part_heads = yes_heads = 0
    for holder, choice in ballots.items():
        area = holder_area[holder]
        part += area
        part_heads += 1
        if choice == "yes":
            yes += area
            yes_heads += 1
    heads = len(holder_area)
    participation = part / total >= 2 / 3 and part_heads / heads >= 2 / 3
    if inclusive:
        approval = yes / part >= threshold and yes_heads / part_heads >= threshold
    else:
        approval = yes / part > threshold and yes_heads / part_heads > threshold
    return participation and approval


CENT = Decimal("0.01")


def decimal_tally(units):
    """The road not taken: sum Decimal areas per holder, checking each with quantize.

    Decimal additions alone are quick, but every area still needs a check for a third decimal;
    the module's as_integer_ratio gives the hundredths and the check in one call.
    """
    holder_area = {}
    area_of = holder_area.get
    unit_ids = set()
    total = Decimal(0)
    with localcontext(Context(prec=60, traps=[Inexact])):
        for unit in units:
            area = unit.area
            unit_ids.add(unit.unit)
            if not area.is_finite() or area < 0 or area.quantize(CENT) != area:
                raise ValueError(unit.unit)
            total += area
            holder_area[unit.holder] = area_of(unit.holder, 0) + area
    return holder_area, total


def best_ms(functions, runs):
    """Best time of each function in ms, taking turns so that load from elsewhere hits all."""
    best = [float("inf")] * len(functions)
    for _ in range(runs):
        for index, function in enumerate(functions):
            start = time.perf_counter()
            function()
            best[index] = min(best[index], time.perf_counter() - start)
    return [seconds * 1000 for seconds in best]


def example_a():
    """DOMAIN.md §3.5 example A: 420 heads, 45,000.60 m²; 210 of 280 voters agree."""
    groups = [(210, 2250030), (70, 750010), (140, 1500020)]
    units = []
    for count, hundredths in groups:
        share, extra = divmod(hundredths, count)
        for index in range(count):
            cents = share + (index < extra)
            area = Decimal(f"{cents // 100}.{cents % 100:02d}")
            units.append(Holding(f"u{len(units)}", area, f"o{len(units)}"))
    ballots = {f"o{k}": "yes" if k < 210 else "no" for k in range(280)}
    return units, ballots


def three_flats(*areas):
    units = [Holding(f"{k}", Decimal(area), f"owner-{k}") for k, area in enumerate(areas)]
    return units, {"owner-0": "yes", "owner-1": "yes"}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()

    units = make_estate(args.units)
    ballots = make_ballots(units)
    holders = len({unit.holder for unit in units})
    candidates = [f"candidate-{k}" for k in range(1, 13)]
    election_ballots = make_election_ballots(units, candidates, seats=9)
    matter = "raise_maintenance_fund"
    deemed = Policy(deemed_votes="follow_majority")

    figures = [
        (
            "float sum, no checks (baseline; wrong at bounds)",
            None,
            lambda: float_count(units, ballots, 0.75, True),
        ),
        (f"decide({matter})", TARGET_MS, lambda: decide(matter, units, ballots)),
        (
            f"decide({matter}, follow_majority)",
            None,
            lambda: decide(matter, units, ballots, deemed),
        ),
        ("of which: the tally of areas per holder", None, lambda: _tally_units(units)),
        ("the same tally with Decimal additions (not used)", None, lambda: decimal_tally(units)),
        (
            "elect(9 seats, 12 candidates)",
            None,
            lambda: elect(units, election_ballots, candidates, 9),
        ),
    ]
    times = best_ms([function for _, _, function in figures], args.runs)
    baseline = times[0]
    rows = [(label, ms, target) for (label, target, _), ms in zip(figures, times, strict=True)]

    outcome = decide(matter, units, ballots)
    print(
        f"{len(units):,} holdings, {holders:,} heads, {len(ballots):,} ballots; "
        f"best of {args.runs} runs; Python {platform.python_version()}"
    )
    print(
        f"decide: passed={outcome.passed}; the float count agrees here: "
        f"{float_count(units, ballots, 0.75, True) == outcome.passed}"
    )
    print()
    print("| figure | time ms | ratio vs baseline | target | pass/fail |")
    print("|---|---:|---:|---|---|")
    for label, ms, target in rows:
        verdict = "—" if target is None else ("pass" if ms < target else "FAIL")
        target_text = "—" if target is None else f"< {target} ms"
        print(f"| {label} | {ms:.1f} | {ms / baseline:.2f}× | {target_text} | {verdict} |")

    print()
    print("| boundary case | exact (decide) | float count |")
    print("|---|---|---|")
    units_a, ballots_a = example_a()
    exact = decide("change_common_use", units_a, ballots_a).passed
    naive = float_count(units_a, ballots_a, 0.75, True)
    share = float(Decimal("22500.30")) / float(Decimal("30000.40"))
    print(
        f"| example A, change_common_use at exactly 3/4 (float share {share!r}) "
        f"| {'pass' if exact else 'fail'} | {'pass' if naive else 'fail'} |"
    )
    for areas in (("50.62", "50.62", "50.62"), ("145.16", "124.00", "134.58")):
        units_b, ballots_b = three_flats(*areas)
        exact = decide("other_major", units_b, ballots_b).passed
        naive = float_count(units_b, ballots_b, 0.5, False)
        floats = [float(area) for area in areas]
        share = (floats[0] + floats[1]) / (floats[0] + floats[1] + floats[2])
        print(
            f"| {' + '.join(areas)} m², first two vote yes: quorum at exactly 2/3 "
            f"(float share {share!r}) | {'pass' if exact else 'fail'} "
            f"| {'pass' if naive else 'fail'} |"
        )


if __name__ == "__main__":
    main()
