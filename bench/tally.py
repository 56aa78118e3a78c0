"""Time the tally of an owners' assembly vote: 10,000 units, 9,000 ballots, SQLite and PostgreSQL.

Run from the repository root: ``.venv/bin/python -m bench.tally`` (add ``--no-postgres`` to
skip PostgreSQL). It prints tables for bench/RESULTS.md; it does not write the file.

The figure is ``deliberation.services.votes.count_matter``: one query over the per-head totals
frozen at the notice, with each head's choice joined in, then the rules engine. The peer, the
floor for the same sums, measured in the same run on the same data and interleaved with it, is
a single aggregate SQL query: the area and head totals per choice (and of the heads who did not
vote), summed by the database, GROUP BY choice, nothing looped over in Python. The gap between
the two is what reading each head's row and the rules engine cost.
"""

import argparse
import json
import os
import subprocess
import sys
from decimal import Decimal

from bench._compare import interleave, markdown, print_rows, rows_for
from bench._django import ROOT, setup_django, teardown_django

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
    from deliberation.services.votes import receipt_hash
    from deliberation.services.votes.electorate import _freeze_electorate

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


def aggregate_count(matter):
    """The peer: one aggregate query, {choice or None: (area, heads)} summed by the database."""
    from django.db import connection

    from deliberation.models import Ballot, ElectorateHead

    sql = (
        f"SELECT b.choice, SUM(h.area_hundredths), COUNT(*) FROM {ElectorateHead._meta.db_table} h "  # noqa: S608
        f"LEFT JOIN {Ballot._meta.db_table} b ON b.matter_id = %s AND b.head = h.head "
        "WHERE h.vote_id = %s GROUP BY b.choice"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [matter.pk, matter.vote_id])
        return {
            choice: (Decimal(int(hundredths)).scaleb(-2), heads)
            for choice, hundredths, heads in cursor.fetchall()
        }


def measure(database_url, repeat):
    connection = setup_django(database_url=database_url, name="tally")
    try:
        from deliberation.services.votes import count_matter

        matter = build()
        count_matter(matter)  # warm caches and the query plan
        aggregate_count(matter)
        samples = interleave(
            {
                "peer: one aggregate SQL query (GROUP BY choice)": lambda: aggregate_count(matter),
                "count_matter (query + rules engine)": lambda: count_matter(matter),
            },
            repeat,
            collect=False,
        )
        outcome = samples["count_matter (query + rules engine)"][-1].result
        sums = samples["peer: one aggregate SQL query (GROUP BY choice)"][-1].result
        assert outcome.total_area == sum(area for area, _h in sums.values())
        assert outcome.total_headcount == sum(heads for _a, heads in sums.values())
        voted = [v for choice, v in sums.items() if choice is not None]
        assert outcome.participating_headcount == sum(heads for _a, heads in voted)
        rows = rows_for(
            samples,
            baseline="peer: one aggregate SQL query (GROUP BY choice)",
            targets={"count_matter (query + rules engine)": TARGET_MS},
            unit=1000,
            unit_name="ms",
            digits=1,
        )
        return {"database": connection.vendor, "rows": rows}
    finally:
        teardown_django()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--no-postgres", action="store_true")
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

    print(f"Tally of {UNITS:,} units and {BALLOTS:,} ballots, {args.repeat} rounds (ms)")
    for run in runs:
        print(f"\n{run['database']}")
        print_rows(run["rows"])
    command = "python -m bench.tally" + (" --no-postgres" if args.no_postgres else "")
    for run in runs:
        print()
        print(
            markdown(
                f"tally: {UNITS:,} units, {BALLOTS:,} ballots, {run['database']} (ms)",
                command,
                run["rows"],
                notes=[f"{args.repeat} rounds, interleaved A B"],
            )
        )


if __name__ == "__main__":
    main()
