"""Sustained ballot casting: a paced open-loop client at 300 ballots/s for 5 minutes, reconciled.

Run from the repository root (PostgreSQL on 127.0.0.1:5432):

    .venv/bin/python -m bench.cast_soak                       # 300/s for 300 s, recorded
    .venv/bin/python -m bench.cast_soak --seconds 10 --rate 50 --no-record

The estate, the signed-in owners and the workers come from bench/cast.py (the real HTTP
path: sessions, CSRF, the ballot form, `cast_ballots`, the unique constraint, the audit chain).
To fit rate × seconds ballots with each owner casting at most once per vote, the run opens as
many votes on the same estate as it needs, and one more on which a few seconds of ballots warm
every worker before the clock starts (a server is warm when an evening's vote opens). The
client (bench/_openloop.py, its own process) sends the ballots at the target rate whatever the
servers answer and writes every answer to var/bench/cast_soak-client.jsonl. Afterwards the
database is reconciled against that log: every 200 answer's receipt code must match exactly
one Ballot row (none: lost; more: doubled) and the number of Ballot rows must equal the number
of 200 answers (a request that timed out may still have been stored: it is reported, not
hidden). The baseline is `GET /healthz` at the same rate against the same servers. Both
report the CPU the workers and their PostgreSQL backends spent per answered request.
"""

import argparse
import math
import os
import re
import secrets
import subprocess
import sys
from collections import Counter

from bench import cast
from bench._compare import load_run_limits, refuse_out_of_range
from bench._django import ROOT, machine_line, print_table, setup_django, teardown_django
from bench._openloop import held, run_paced, summary

PG_URL = "postgres://postgres@127.0.0.1:5432/gongyi_bench_cast_soak"
TARGET_RATE = cast.TARGET_RATE
TARGET_P99_MS = cast.TARGET_P99_MS
LOG = ROOT / "var" / "bench" / "cast_soak-client.jsonl"
RECEIPT = re.compile(rb"data-receipt>\s*([A-Z0-9]{5}-[A-Z0-9]{5})\s*<")
WARM_SECONDS = 3


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=300, help="length of the casting run")
    parser.add_argument("--rate", type=int, default=TARGET_RATE, help="ballots per second")
    parser.add_argument("--owners", type=int, default=3000, help="signed-in owners (per vote)")
    parser.add_argument("--workers", type=int, default=2, help="worker processes (max 4)")
    parser.add_argument(
        "--server", choices=["daphne", "uvicorn"], default="uvicorn", help="as in production"
    )
    parser.add_argument(
        "--baseline-seconds", type=int, default=60, help="length of the /healthz baseline"
    )
    parser.add_argument("--max-inflight", type=int, default=256)
    parser.add_argument("--no-record", action="store_true", help="leave bench/RESULTS.md alone")
    args = parser.parse_args(argv)
    refuse_out_of_range(parser, load_run_limits(args))
    args.votes = votes_needed(args.rate, args.seconds, args.owners)
    return args


def votes_needed(rate, seconds, owners):
    """Votes on the estate so that rate × seconds ballots fit with one per owner and vote."""
    return max(1, math.ceil(rate * seconds / owners))


def build(owners, votes):
    """cast.build's estate and owners, with `votes` open votes of one matter each."""
    from django.utils import timezone

    from deliberation.models import AssemblyVote, VoteMatter, VoteStatus
    from deliberation.services.votes.electorate import _freeze_electorate

    first, matter, sessions = cast.build(owners)
    pairs = [(first.pk, matter.pk)]
    now = timezone.now()
    for n in range(1, votes):
        vote = AssemblyVote.objects.create(
            community=first.community,
            estate=first.estate,
            title=f"压测表决{n + 1}",
            status=VoteStatus.NOTICED,
            opens_at=first.opens_at,
            closes_at=first.closes_at,
            created_by=first.created_by,
            notice_published_at=now,
        )
        other = VoteMatter.objects.create(
            vote=vote, code="use_maintenance_fund", title="维修资金", position=1
        )
        _freeze_electorate(vote, now)
        pairs.append((vote.pk, other.pk))
    return pairs, sessions


def split_warm_up(all_pairs):
    """The first vote for the warm-up only, the others for the run: every worker compiles the
    ballot's templates and prepares its statements before the clock starts, and the warm-up's
    ballots are never reconciled against the run's log."""
    return all_pairs[:1], all_pairs[1:]


# ---------------------------------------------------------------- jobs (built in the client)


def cast_jobs(pairs, sessions, csrf):
    """Each owner once per vote, vote after vote: (label, raw(port), [vote index, owner])."""
    for v, (vote_id, matter_id) in enumerate(pairs):
        body = f"m{matter_id}=yes".encode()
        for o, session in enumerate(sessions):
            headers = [
                f"Cookie: sessionid={session}; csrftoken={csrf}",
                f"X-CSRFToken: {csrf}",
                "HX-Request: true",
                "Content-Type: application/x-www-form-urlencoded",
            ]

            def raw(port, headers=headers, vote_id=vote_id, body=body):
                return cast.request_bytes("POST", f"/votes/{vote_id}/", port, headers, body)

            yield "cast", raw, [v, o]


def health_jobs():
    while True:
        yield "healthz", lambda port: cast.request_bytes("GET", "/healthz", port), None


def extract_receipt(label, status, body):
    if label != "cast" or status != 200:
        return None
    found = RECEIPT.search(body)
    return found.group(1).decode() if found else None


# ---------------------------------------------------------------- reconciling


def reconcile(rows, pairs):
    """Compare the client log with the Ballot rows: lost, doubled, stored without an answer."""
    from deliberation.models import Ballot
    from deliberation.services.votes import receipt_hash

    answered = [r for r in rows if r[0] == "cast" and r[1] == 200 and r[5]]
    stored = Counter(
        Ballot.objects.filter(vote_id__in=[v for v, _m in pairs]).values_list(
            "receipt_hash", flat=True
        )
    )
    lost = doubled = 0
    for row in answered:
        n = stored.get(receipt_hash(row[5]), 0)
        if n == 0:
            lost += 1
        elif n > 1:
            doubled += 1
    total = sum(stored.values())
    # Per owner and vote at most one ballot: the client never sends a pair twice.
    sent_twice = sum(1 for n in Counter(tuple(r[4]) for r in answered).values() if n > 1)
    return {
        "answered": len(answered),
        "rows": total,
        "lost": lost,
        "doubled": doubled + sent_twice,
        "unanswered_stored": max(0, total - (len(answered) - lost)),
    }


# ---------------------------------------------------------------- the run


def main(argv=None):
    args = parse_args(argv)
    args.load_at_start = os.getloadavg()
    os.environ.update(cast.SERVER_ENV)  # the same SECRET_KEY: receipt hashes must match
    connection = setup_django(database_url=PG_URL, name="cast_soak")
    servers = []
    try:
        all_pairs, sessions = build(args.owners, args.votes + 1)
        warm, pairs = split_warm_up(all_pairs)
        database = connection.settings_dict["NAME"]
        db_url = f"postgres://postgres@127.0.0.1:5432/{database}"
        connection.close()
        servers = cast.start_servers(args.workers, db_url, args.server)
        ports = [port for _process, port in servers]
        import asyncio

        asyncio.run(cast.wait_ready(ports))
        common = {"ports": ports, "rate": args.rate, "max_inflight": args.max_inflight}
        # Warm every worker's paths: a few seconds of /healthz, then of ballots on the spare vote.
        csrf = secrets.token_hex(16)
        run_paced({**common, "seconds": 3, "jobs": ("bench.cast_soak", "health_jobs")})
        run_paced(
            {
                **common,
                "seconds": WARM_SECONDS,
                "jobs": ("bench.cast_soak", "cast_jobs"),
                "jobs_args": (warm, sessions, csrf),
            }
        )
        with cast.CpuMeter(servers, database) as base_cpu:
            base = run_paced(
                {
                    **common,
                    "seconds": args.baseline_seconds,
                    "jobs": ("bench.cast_soak", "health_jobs"),
                }
            )
        with cast.CpuMeter(servers, database) as load_cpu:
            load = run_paced(
                {
                    **common,
                    "seconds": args.seconds,
                    "jobs": ("bench.cast_soak", "cast_jobs"),
                    "jobs_args": (pairs, sessions, csrf),
                    "extract": ("bench.cast_soak", "extract_receipt"),
                    "log": str(LOG),
                }
            )
        check = reconcile(load["rows"], pairs)
    finally:
        cast.stop_servers(servers)
        teardown_django()

    b = summary(base["rows"], base["wall"])
    c = summary(load["rows"], load["wall"])
    no_receipt = sum(1 for r in load["rows"] if r[1] == 200 and not r[5])
    # CPU per answered request: what each one cost, whatever the rate the machine allowed.
    b_cpu = base_cpu.per_request_ms(max(1, b["ok"] + b["errors"]))
    c_cpu = load_cpu.per_request_ms(max(1, c["ok"] + c["errors"]))
    met = held(c, TARGET_RATE, TARGET_P99_MS) and check["lost"] == 0 and check["doubled"] == 0
    headers = [
        "request",
        "due",
        "ok",
        "errors",
        "not sent",
        "achieved /s",
        "p50 ms",
        "p99 ms",
        "lost",
        "doubled",
        "p99 vs baseline",
        "server CPU ms/req",
        "PostgreSQL CPU ms/req",
        "target",
    ]
    rows = [
        [
            "GET /healthz (baseline)",
            b["due"],
            b["ok"],
            b["errors"],
            b["not_sent"],
            f"{b['rate']:.0f}",
            f"{b['p50']:.1f}",
            f"{b['p99']:.1f}",
            "—",
            "—",
            "1.00×",
            f"{b_cpu[0]:.2f}",
            f"{b_cpu[1]:.2f}",
            "—",
        ],
        [
            "POST ballot (cast)",
            c["due"],
            c["ok"],
            c["errors"] + no_receipt,
            c["not_sent"],
            f"{c['rate']:.0f}",
            f"{c['p50']:.1f}",
            f"{c['p99']:.1f}",
            check["lost"],
            check["doubled"],
            f"{c['p99'] / (b['p99'] or 1):.2f}×",
            f"{c_cpu[0]:.2f}",
            f"{c_cpu[1]:.2f}",
            f"≥ {TARGET_RATE}/s, p99 < {TARGET_P99_MS} ms, 0 lost/doubled: "
            + ("met" if met else "NOT met"),
        ],
    ]
    intro = (
        f"{args.rate}/s for {args.seconds} s (baseline {args.baseline_seconds} s); "
        f"{args.owners} owners × {args.votes} votes; {args.workers} {args.server} workers "
        f"({cast.threads()} threads each), PostgreSQL; "
        f"in-flight cap {args.max_inflight}"
    )
    reconcile_line = (
        f"reconciled: {check['answered']} answers with a receipt, {check['rows']} Ballot rows, "
        f"{check['lost']} lost, {check['doubled']} doubled, "
        f"{check['unanswered_stored']} stored without an answer (timed out)"
    )
    print(intro)
    print(machine_line())
    print_table(rows, headers)
    print(reconcile_line)
    print(f"client log: {LOG.relative_to(ROOT)}")
    if not args.no_record:
        record(args, rows, headers, intro, reconcile_line)
    return 0 if met else 1


def record(args, rows, headers, intro, reconcile_line):
    date = subprocess.run(["date", "-u"], capture_output=True, text=True).stdout.strip()
    load = args.load_at_start
    lines = [
        "",
        f"## cast_soak — sustained casting, {args.rate}/s for {args.seconds} s ({date})",
        "",
        f"- Machine: {machine_line()}; load average at start "
        f"{load[0]:.2f} {load[1]:.2f} {load[2]:.2f}",
        f"- Command: `ASGI_THREADS={cast.threads()} .venv/bin/python -m bench.cast_soak "
        f"--seconds {args.seconds} --rate {args.rate} --owners {args.owners} "
        f"--workers {args.workers} --server {args.server}`",
        f"- {intro}",
        "",
        "| " + " | ".join(headers) + " |",
        "|" + "---|" * len(headers),
        *("| " + " | ".join(str(c) for c in row) + " |" for row in rows),
        "",
        reconcile_line + ".",
        "",
    ]
    with open(ROOT / "bench" / "RESULTS.md", "a", encoding="utf-8") as out:
        out.write("\n".join(lines))


if __name__ == "__main__":
    sys.exit(main())
