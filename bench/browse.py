"""Mixed browsing load: signed-in residents reading topic pages at 200 requests/s.

Run from the repository root (PostgreSQL and Redis on 127.0.0.1):

    .venv/bin/python -m bench.browse                         # 200/s for 60 s
    .venv/bin/python -m bench.browse --seconds 20 --rate 50 --phases 1

The community comes from bench/topic_list.py (1,000 topics, 20,000 comments, 50,000
co-signs; one busy topic with 600 comments and 1,500 co-signs) plus a notice board of current
and past notices. `--sessions` of its residents are signed in. Two uvicorn workers
(bench/cast.py's, as make serve-prod runs them; `--server daphne` for the other) run on
PostgreSQL with Redis as cache and channel layer. A paced open-loop client
(bench/_openloop.py, its own process) sends this mix at the target rate whatever the servers
answer:

    topic list, page 1 .................. 20%     busy topic page ............ 25%
    topic list, search + stage filter ... 10%     other topic pages .......... 10%
    topic list, category filter, page n . 10%     notice board ............... 10%
    home ................................ 15%

It prints p50/p99 per page and overall (from each request's due time), errors and requests
not sent, against `GET /healthz` at the same rate on the same servers as the peer; and the CPU
each answered request cost the servers and their PostgreSQL backends (`cast.CpuMeter`), the
figure to compare two versions by on a shared machine, where rates and latencies swing with
the neighbours.

The `--seconds` of load are cut into `--phases` pairs, interleaved: a quiet phase (nothing
changes, so after the warm-up the pages come from the cached fragments: comment lists, topic
account, list rows, notice cards, docs/topics.md) and a changing phase (a new comment on the
busy topic every `--change-every` s, through the service, which bumps the fragments it
touches, so the busy topic and the lists are first views after a change). Both are reported
and both are judged. `bench/browse_cpu.py` gives the CPU per page of the
same mix in-process.
"""

import argparse
import asyncio
import contextlib
import os
import random
import sys
import threading
from urllib.parse import quote

from bench import cast, topic_list
from bench._compare import load_average, load_run_limits, markdown, refuse_out_of_range
from bench._django import machine_line, print_table, setup_django, teardown_django
from bench._openloop import held, run_paced, summary

PG_URL = "postgres://postgres@127.0.0.1:5432/gongyi_bench_browse"
REDIS_URL = "redis://127.0.0.1:6379/3"
TARGET_RATE = 200
TARGET_P99_MS = 300
NOTICES = 80
# (label, weight): the mix of pages a resident reads.
MIX = [
    ("topic list", 20),
    ("topic list, search + stage", 10),
    ("topic list, category + page", 10),
    ("busy topic", 25),
    ("other topic", 10),
    ("notice board", 10),
    ("home", 15),
]


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--rate", type=int, default=TARGET_RATE, help="requests per second")
    parser.add_argument("--sessions", type=int, default=500, help="signed-in residents")
    parser.add_argument("--workers", type=int, default=2, help="worker processes (max 4)")
    parser.add_argument(
        "--server", choices=["daphne", "uvicorn"], default="uvicorn", help="as in production"
    )
    parser.add_argument("--baseline-seconds", type=int, default=30)
    parser.add_argument("--max-inflight", type=int, default=256)
    parser.add_argument(
        "--change-every",
        type=float,
        default=1.0,
        help="seconds between new comments on the busy topic in the changing phases",
    )
    parser.add_argument("--phases", type=int, default=2, help="quiet/changing pairs")
    args = parser.parse_args(argv)
    refuse_out_of_range(
        parser,
        (
            *load_run_limits(args),
            ("--sessions", args.sessions, 1, topic_list.USERS),
            ("--phases", args.phases, 1, 50),
        ),
    )
    if args.seconds < 2 * args.phases:
        parser.error(f"--seconds {args.seconds} is too short for {args.phases} phase pairs")
    if args.change_every <= 0:
        parser.error("--change-every must be positive")
    return args


def build(sessions):
    """topic_list's community, a notice board, and signed-in sessions for some residents."""
    from django.utils import timezone

    from accounts.models import User
    from deliberation.models import Notice, NoticeKind, Topic

    community, busy, _viewer = topic_list.build()
    now = timezone.now()
    kinds = NoticeKind.values
    Notice.objects.bulk_create(
        [
            Notice(
                community=community,
                kind=kinds[n % len(kinds)],
                title=f"公示{n}：关于电梯维修的决定",
                body="公示内容" * 40,
                published_at=now - timezone.timedelta(days=n),
                ends_at=now + timezone.timedelta(days=10 - n),
            )
            for n in range(NOTICES)
        ]
    )
    others = list(
        Topic.objects.filter(community=community).exclude(pk=busy.pk).values_list("pk", flat=True)
    )
    users = User.objects.filter(memberships__community=community).order_by("pk")[:sessions]
    keys = cast.signed_in(users)
    return community.pk, busy.pk, others, keys


# ---------------------------------------------------------------- jobs (built in the client)


def paths(community_id, busy_id, others, rng):
    """A path for each label of MIX."""
    base = f"/c/{community_id}/topics/"
    categories = ["environment", "property", "safety", "facilities", "parking", "other"]
    return {
        "topic list": lambda: base,
        "topic list, search + stage": lambda: (
            base + "?q=" + quote(rng.choice(["电梯", "停车", "绿化", "噪音"])) + "&phase=discussing"
        ),
        "topic list, category + page": lambda: (
            base + f"?category={rng.choice(categories)}&page={rng.randint(1, 5)}"
        ),
        "busy topic": lambda: f"/topics/{busy_id}/",
        "other topic": lambda: f"/topics/{rng.choice(others)}/",
        "notice board": lambda: f"/c/{community_id}/notices/",
        "home": lambda: "/",
    }


def browse_jobs(community_id, busy_id, others, sessions, seed=7):
    rng = random.Random(seed)  # noqa: S311 - a load mix, not a secret
    makers = paths(community_id, busy_id, others, rng)
    labels = [label for label, _w in MIX]
    weights = [w for _label, w in MIX]
    n = 0
    while True:
        label = rng.choices(labels, weights)[0]
        path = makers[label]()
        headers = [f"Cookie: sessionid={sessions[n % len(sessions)]}"]
        n += 1
        yield (
            label,
            lambda port, path=path, headers=headers: cast.request_bytes("GET", path, port, headers),
            None,
        )


def health_jobs():
    while True:
        yield "healthz", lambda port: cast.request_bytes("GET", "/healthz", port), None


# ---------------------------------------------------------------- the run


def main(argv=None):
    args = parse_args(argv)
    load_at_start = os.getloadavg()
    os.environ.update(cast.SERVER_ENV)
    os.environ["REDIS_URL"] = REDIS_URL
    os.environ["CHANNEL_PREFIX"] = f"gongyi-bench-browse-{os.getpid()}"
    connection = setup_django(database_url=PG_URL, name="browse")
    servers = []
    try:
        community_id, busy_id, others, sessions = build(args.sessions)
        database = connection.settings_dict["NAME"]
        db_url = f"postgres://postgres@127.0.0.1:5432/{database}"
        connection.close()
        servers = cast.start_servers(args.workers, db_url, args.server)
        ports = [port for _process, port in servers]
        asyncio.run(cast.wait_ready(ports))
        common = {"ports": ports, "rate": args.rate, "max_inflight": args.max_inflight}
        jobs = {
            "jobs": ("bench.browse", "browse_jobs"),
            "jobs_args": (community_id, busy_id, others, sessions),
        }
        # Warm every worker: templates, the pool, the cache.
        run_paced({**common, "rate": min(args.rate, 50), "seconds": 3, **jobs})
        with cast.CpuMeter(servers, database) as base_cpu:
            base = run_paced(
                {
                    **common,
                    "seconds": args.baseline_seconds,
                    "jobs": ("bench.browse", "health_jobs"),
                }
            )
        base["cpu"] = base_cpu.spent
        each = args.seconds / (2 * args.phases)
        quiet = {"rows": [], "wall": 0.0, "cpu": (0.0, 0.0)}
        changing = {"rows": [], "wall": 0.0, "cpu": (0.0, 0.0)}
        for _phase in range(args.phases):
            for into, writer in ((quiet, None), (changing, args.change_every)):
                with comments_every(writer, busy_id), cast.CpuMeter(servers, database) as meter:
                    got = run_paced({**common, "seconds": max(1, round(each)), **jobs})
                into["rows"] += got["rows"]
                into["wall"] += got["wall"]
                into["cpu"] = tuple(a + b for a, b in zip(into["cpu"], meter.spent, strict=True))
    finally:
        cast.stop_servers(servers)
        teardown_django()
    print(f"load average at the end: {load_average()}")
    met_quiet = report(args, base, quiet, load_at_start, "quiet (cache hits)")
    met_changing = report(args, base, changing, load_at_start, "changing (first views)")
    return 0 if met_quiet == met_changing == 0 else 1


@contextlib.contextmanager
def comments_every(seconds, topic_id):
    """A thread adding a comment to the topic every `seconds` (nothing when None)."""
    if seconds is None:
        yield
        return
    stop = threading.Event()

    def write():
        from django.db import connection

        from deliberation.models import Topic
        from deliberation.services.topics import add_comment

        topic = Topic.objects.get(pk=topic_id)
        by = topic.proposer
        number = 0
        try:
            while not stop.wait(seconds):
                number += 1
                add_comment(topic, by=by, body=f"浏览基准新评论{number}", stance="support")
        finally:
            connection.close()

    thread = threading.Thread(target=write, daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=30)


def report(args, base, load, load_at_start, phase):
    rows_in = load["rows"]
    # Only a 200 is a page read: a redirect (to the log-in page) is an error here.
    rows_in = [(r[0], 599 if r[1] > 200 else r[1], *r[2:]) for r in rows_in]
    b = summary(base["rows"], base["wall"])
    overall = summary(rows_in, load["wall"])
    met = held(overall, TARGET_RATE, TARGET_P99_MS)
    headers = [
        "request",
        "sent",
        "ok",
        "errors",
        "not sent",
        "/s",
        "p50 ms",
        "p99 ms",
        "p99 vs peer",
        "target",
    ]

    def line(name, s, target="—"):
        return [
            name,
            s["sent"],
            s["ok"],
            s["errors"],
            s["not_sent"],
            f"{s['rate']:.0f}",
            f"{s['p50']:.1f}",
            f"{s['p99']:.1f}",
            f"{s['p99'] / (b['p99'] or 1):.2f}×",
            target,
        ]

    rows = [line("GET /healthz (peer)", b)]
    for label, _w in MIX:
        rows.append(line(label, summary(rows_in, load["wall"], label)))
    rows.append(
        line(
            "all pages",
            overall,
            f"{TARGET_RATE}/s, p99 < {TARGET_P99_MS} ms, no errors: "
            + ("met" if met else "missed"),
        )
    )
    intro = (
        f"{phase}: {args.rate}/s for {load['wall']:.0f} s in {args.phases} phases interleaved "
        f"with the other kind (peer {args.baseline_seconds} s); "
        f"{args.sessions} signed-in residents; {args.workers} {args.server} workers "
        f"({cast.threads()} threads each), PostgreSQL, "
        f"Redis cache; in-flight cap {args.max_inflight}; a comment every "
        f"{args.change_every:g} s in the changing phases; load average at start "
        f"{load_at_start[0]:.1f}, at the end {load_average()}"
    )
    # CPU per answered request: what a page costs whatever rate the machine allowed, the figure
    # other work on a shared machine distorts least (the changing phases' comments included).
    pages_ms = cpu_per_request(load, overall)
    peer_ms = cpu_per_request(base, b)
    cpu = (
        f"CPU per answered request, servers + PostgreSQL: pages {pages_ms[0]:.2f} + "
        f"{pages_ms[1]:.2f} ms, healthz peer {peer_ms[0]:.2f} + {peer_ms[1]:.2f} ms"
    )
    print(intro)
    print(cpu)
    print(machine_line())
    print_table(rows, headers)
    print()
    print(
        markdown(
            f"browse: {phase}",
            f"ASGI_THREADS={cast.threads()} python -m bench.browse --seconds {args.seconds} "
            f"--rate {args.rate} --sessions {args.sessions} --workers {args.workers} "
            f"--server {args.server} --phases {args.phases} --change-every {args.change_every:g}",
            rows,
            headers,
            notes=[intro, cpu],
        )
    )
    return 0 if met else 1


def cpu_per_request(run, summarised):
    answered = max(1, summarised["ok"] + summarised["errors"])
    return tuple(1000 * spent / answered for spent in run["cpu"])


if __name__ == "__main__":
    sys.exit(main())
