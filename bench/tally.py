"""Time the tally of an owners' assembly vote: 10,000 units, 9,000 ballots, SQLite and PostgreSQL.

Run from the repository root: ``.venv/bin/python -m bench.tally`` (add ``--no-postgres`` to
skip PostgreSQL, ``--no-record`` to leave bench/RESULTS.md alone).

The figure is ``deliberation.services.votes.count_matter``: one query over the per-head totals
frozen at the notice, with each head's choice joined in, then the rules engine. The baseline,
measured in the same run on the same data, is the naive way: a Python loop over ORM rows (every
electorate entry and every ballot as a model instance), summing areas and counting choices in
Python.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from decimal import Decimal

from bench._django import ROOT, machine_line, print_table, setup_django, teardown_django

UNITS = 10_000
BALLOTS = 9_000
TARGET_MS = 50
PG_URL = "postgres://postgres@127.0.0.1:5432/gongyi_bench"


def build(units=UNITS, ballots=BALLOTS, seed=278):
    """A large estate, frozen into an open vote, with `ballots` heads voting."""
    import random

    from django.utils import timezone

    from accounts.models import User
    from deliberation.models import (
        AssemblyVote,
        Ballot,
        Building,
        Community,
        Estate,
        Holder,
        Ownership,
        Unit,
        VoteMatter,
        VoteStatus,
    )
    from deliberation.services.votes import _freeze_electorate, receipt_hash

    rng = random.Random(seed)
    community = Community.objects.create(name="基准社区")
    estate = Estate.objects.create(community=community, name="基准小区")
    buildings = Building.objects.bulk_create(
        [Building(estate=estate, name=f"{b}号楼") for b in range(1, units // 400 + 2)]
    )
    plans = [rng.randint(4_500, 16_000) for _ in range(40)]
    unit_rows = []
    for n in range(units):
        hundredths = rng.choice(plans) + rng.randint(-60, 60)
        unit_rows.append(
            Unit(
                building=buildings[n // 400],
                number=f"{n % 400 + 1}",
                area=Decimal(hundredths) / 100,
            )
        )
    unit_rows = Unit.objects.bulk_create(unit_rows, batch_size=2000)
    holders = Holder.objects.bulk_create(
        [Holder(community=community, name=f"业主{n}") for n in range(units)], batch_size=2000
    )
    Ownership.objects.bulk_create(
        [Ownership(unit=u, holder=h) for u, h in zip(unit_rows, holders, strict=True)],
        batch_size=2000,
    )
    user = User.objects.create_user(email="bench@example.com", password="x")  # noqa: S106
    now = timezone.now()
    vote = AssemblyVote.objects.create(
        community=community,
        estate=estate,
        title="基准表决",
        status=VoteStatus.NOTICED,
        opens_at=now - timezone.timedelta(days=1),
        closes_at=now + timezone.timedelta(days=6),
        created_by=user,
        notice_published_at=now,
    )
    matter = VoteMatter.objects.create(
        vote=vote, code="use_maintenance_fund", title="维修资金", position=1
    )
    _freeze_electorate(vote, now)
    voters = rng.sample(holders, ballots)
    digest = receipt_hash("BENCH-00000")
    Ballot.objects.bulk_create(
        [
            Ballot(
                vote=vote,
                matter=matter,
                head=f"h{h.pk}",
                holder=h,
                choice=rng.choices(["yes", "no", "abstain", "spoiled"], [60, 30, 8, 2])[0],
                channel="online",
                receipt_hash=digest,
                cast_by=user,
            )
            for h in voters
        ],
        batch_size=2000,
    )
    return matter


def naive_count(matter):
    """The baseline: model instances looped over in Python, no aggregate query, no rules."""
    from deliberation.models import Ballot, ElectorateEntry

    area_of = {}
    for entry in ElectorateEntry.objects.filter(vote_id=matter.vote_id):
        area_of[entry.head] = area_of.get(entry.head, Decimal(0)) + entry.area
    totals = {}
    for ballot in Ballot.objects.filter(matter=matter):
        area, heads = totals.get(ballot.choice, (Decimal(0), 0))
        totals[ballot.choice] = (area + area_of[ballot.head], heads + 1)
    return sum(area_of.values()), len(area_of), totals


def timed(fn, repeat):
    samples = []
    result = None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples), result


def measure(database_url, repeat):
    connection = setup_django(database_url=database_url, name="tally")
    try:
        from deliberation.services.votes import count_matter

        matter = build()
        count_matter(matter)  # warm caches and the query plan
        naive_count(matter)
        tally_ms, outcome = timed(lambda: count_matter(matter), repeat)
        naive_ms, (area, heads, _totals) = timed(lambda: naive_count(matter), repeat)
        assert outcome.total_area == area and outcome.total_headcount == heads
        return {
            "database": connection.vendor,
            "tally_ms": round(tally_ms, 1),
            "naive_ms": round(naive_ms, 1),
            "participating": outcome.participating_headcount,
            "passed": outcome.passed,
        }
    finally:
        teardown_django()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--no-record", action="store_true")
    parser.add_argument("--only", choices=["sqlite", "postgres"], help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.only:  # a child run: one database per process, since Django is set up once
        url = PG_URL if args.only == "postgres" else None
        print(json.dumps(measure(url, args.repeat)))
        return

    runs = []
    for db in ["sqlite"] + ([] if args.no_postgres else ["postgres"]):
        child = subprocess.run(
            [sys.executable, "-m", "bench.tally", "--only", db, "--repeat", str(args.repeat)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=900,
            env={**os.environ, "GONGYI_TEST_DB": str(ROOT / "var" / "bench" / "tally.sqlite3")},
        )
        if child.returncode:
            print(child.stderr, file=sys.stderr)
            raise SystemExit(f"the {db} run failed")
        runs.append(json.loads(child.stdout.strip().splitlines()[-1]))

    headers = [
        "database",
        "tally (ms, median)",
        "baseline: Python loop over ORM rows (ms)",
        "ratio",
        "target",
    ]
    rows = [
        [
            r["database"],
            r["tally_ms"],
            r["naive_ms"],
            f"{r['naive_ms'] / r['tally_ms']:.1f}× faster",
            f"≤ {TARGET_MS} ms: {'met' if r['tally_ms'] <= TARGET_MS else 'NOT met'}",
        ]
        for r in runs
    ]
    print(f"Tally of {UNITS:,} units and {BALLOTS:,} ballots, median of {args.repeat} runs")
    print_table(rows, headers)
    if not args.no_record:
        record(rows, headers, args)


def record(rows, headers, args):
    date = subprocess.run(["date", "-u"], capture_output=True, text=True).stdout.strip()
    command = ".venv/bin/python -m bench.tally" + (" --no-postgres" if args.no_postgres else "")
    lines = [
        "",
        f"## Vote tally: {UNITS:,} units, {BALLOTS:,} ballots ({date})",
        "",
        f"Machine: {machine_line()}",
        "",
        f"Command: `{command}`",
        "",
        "| " + " | ".join(headers) + " |",
        "|" + "---|" * len(headers),
        *("| " + " | ".join(str(c) for c in row) + " |" for row in rows),
        "",
        "The tally is `count_matter`: one query over the per-head totals frozen at the notice "
        "(`ElectorateHead`) with each head's choice joined in, then `rules.decide`. The "
        "baseline loops over model instances.",
        "",
    ]
    with open(ROOT / "bench" / "RESULTS.md", "a", encoding="utf-8") as out:
        out.write("\n".join(lines))


if __name__ == "__main__":
    main()
