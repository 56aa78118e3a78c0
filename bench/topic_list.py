"""Topic list and a busy topic page over 1,000 topics, 20,000 comments and 50,000 co-signs.

    .venv/bin/python -m bench.topic_list                 # SQLite under var/bench/
    .venv/bin/python -m bench.topic_list --postgres      # PostgreSQL on 127.0.0.1

Each page is timed through the full Django stack (test client, middleware, templates) three
ways, interleaved round by round:

- first view after a change: a new comment on the busy topic (through the service, which bumps
  the cached fragments it touches), then the page;
- caches off: the page right after the process's cache is emptied (the local-memory cache of a
  benchmark run; a shared Redis cache is never cleared, that row is then left out) - the peer;
- cache hit: the same page again, nothing changed.

Query counts are taken for each way once. Targets, for the first two ways as well as the hit:
median wall <= 100 ms and <= 12 queries; verdicts are on the wall clock.
"""

import argparse
import hashlib
import random
import time

from bench._compare import load_average, markdown, measure, print_rows, rows_for
from bench._django import machine_line, setup_django, teardown_django

POSTGRES_URL = "postgres://postgres@127.0.0.1:5432/gongyi_bench"
TOPICS = 1_000
COMMENTS = 20_000
COSIGNS = 50_000
USERS = 2_000
BUSY_COMMENTS = 600  # of the 20,000, on the busy topic (top level and replies)
BUSY_COSIGNS = 1_500  # of the 50,000, on the busy topic
RUNS = 15
TARGET_MS = 100
TARGET_QUERIES = 12


def build():
    from django.utils import timezone

    from accounts.models import User
    from deliberation.models import (
        AuditEntry,
        Category,
        Comment,
        Community,
        CoSign,
        Membership,
        Phase,
        Role,
        Topic,
    )

    rng = random.Random(7)
    community = Community.objects.create(name="基准社区")
    users = User.objects.bulk_create(
        [User(email=f"b{i}@bench.local", real_name=f"居民{i}", password="!") for i in range(USERS)]
    )
    Membership.objects.bulk_create(
        [Membership(user=u, community=community, role=Role.RESIDENT) for u in users]
    )
    phases = [Phase.COLLECTING, Phase.TRIAGE, Phase.DISCUSSING, Phase.DECIDED, Phase.CLOSED]
    now = timezone.now()
    topics = Topic.objects.bulk_create(
        [
            Topic(
                community=community,
                title=f"议题{i}：{rng.choice(['电梯', '停车', '绿化', '噪音'])}问题",
                description="说明" * 50,
                category=rng.choice(Category.values),
                phase=Phase.DISCUSSING if i == 0 else rng.choice(phases),
                proposer=users[i % USERS],
                submitted_at=now,
                cosign_target=10,
            )
            for i in range(TOPICS)
        ],
        batch_size=500,
    )
    busy = topics[0]
    # Co-signs: the busy topic gets BUSY_COSIGNS, the rest spread over the other topics.
    pairs = {(busy.pk, users[i].pk) for i in range(BUSY_COSIGNS)}
    while len(pairs) < COSIGNS:
        pairs.add((rng.choice(topics[1:]).pk, rng.choice(users).pk))
    CoSign.objects.bulk_create([CoSign(topic_id=t, user_id=u) for t, u in pairs], batch_size=2000)
    # Comments: the busy topic gets BUSY_COMMENTS (half of them replies).
    top = Comment.objects.bulk_create(
        [
            Comment(topic=busy, author=users[i % USERS], body=f"意见{i}", stance="support")
            for i in range(BUSY_COMMENTS // 2)
        ]
    )
    Comment.objects.bulk_create(
        [
            Comment(topic=busy, parent=top[i % len(top)], author=users[i], body=f"回复{i}")
            for i in range(BUSY_COMMENTS // 2)
        ]
    )
    Comment.objects.bulk_create(
        [
            Comment(topic=rng.choice(topics[1:]), author=rng.choice(users), body=f"评论{i}")
            for i in range(COMMENTS - BUSY_COMMENTS)
        ],
        batch_size=2000,
    )
    # Denormalised counters, as the services keep them.
    from django.db.models import Count

    for row in Topic.objects.annotate(c=Count("cosigns", distinct=True)).values("pk", "c"):
        Topic.objects.filter(pk=row["pk"]).update(cosign_count=row["c"])
    AuditEntry.objects.bulk_create(
        [
            AuditEntry(
                created_at=now,
                actor=users[i],
                community=community,
                verb="topic.cosign",
                target_type="deliberation.topic",
                target_id=str(busy.pk),
                data={"count": i},
                prev_hash="0" * 64,
                hash=hashlib.sha256(str(i).encode()).hexdigest(),
            )
            for i in range(300)
        ]
    )
    # Fresh statistics, as autovacuum (PostgreSQL) or a periodic ANALYZE would give a live
    # database; without them the planner guesses on tables it believes empty.
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    viewer = users[-1]
    return community, busy, viewer


class QueryLog:
    """Counts and times each query (CaptureQueriesContext loses them at request start)."""

    def __init__(self):
        self.queries = []

    def __call__(self, execute, sql, params, many, context):
        start = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.queries.append(((time.perf_counter() - start) * 1000, sql))


def queries_of(client, url, verbose=False):
    from django.db import connection

    log = QueryLog()
    with connection.execute_wrapper(log):
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    if verbose:
        for ms, sql in sorted(log.queries, reverse=True)[:5]:
            print(f"  {ms:7.1f} ms  {sql[:160]}")
    return len(log.queries)


def page_rounds(client, url, rounds, change, clear, verbose=False):
    """{way: [Sample]} and {way: queries}, the three ways interleaved round by round."""
    client.get(url)  # warm the template cache
    ways = {"after a new comment": [], "caches off (peer)": [], "cache hit": []}
    queries = {}
    change()
    queries["after a new comment"] = queries_of(client, url, verbose)
    queries["cache hit"] = queries_of(client, url)
    if clear is not None:
        clear()
        queries["caches off (peer)"] = queries_of(client, url)
    for _ in range(rounds):
        change()
        ways["after a new comment"].append(measure(lambda: client.get(url), collect=False))
        if clear is not None:
            clear()
            ways["caches off (peer)"].append(measure(lambda: client.get(url), collect=False))
        ways["cache hit"].append(measure(lambda: client.get(url), collect=False))
    return {way: samples for way, samples in ways.items() if samples}, queries


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--postgres", action="store_true")
    parser.add_argument("--rounds", type=int, default=RUNS)
    parser.add_argument("--verbose", action="store_true", help="show the slowest queries")
    args = parser.parse_args()
    setup_django(database_url=POSTGRES_URL if args.postgres else None, name="topic_list")
    try:
        from django.conf import settings
        from django.core.cache import caches
        from django.core.cache.backends.locmem import LocMemCache
        from django.db import connection
        from django.test import Client
        from django.urls import reverse

        from deliberation.services.topics import add_comment

        settings.ALLOWED_HOSTS = ["*"]
        started = time.perf_counter()
        community, busy, viewer = build()
        built = time.perf_counter() - started
        client = Client()
        client.force_login(viewer)
        counter = iter(range(10**9))

        def change():
            add_comment(busy, by=viewer, body=f"基准新评论{next(counter)}", stance="support")

        cache = caches["default"]
        clear = cache.clear if isinstance(cache, LocMemCache) else None
        pages = [
            ("home page", reverse("home")),
            ("topic list, page 1", reverse("topic_list", args=[community.pk])),
            (
                "topic list, search + filter",
                reverse("topic_list", args=[community.pk])
                + "?q=%E7%94%B5%E6%A2%AF&phase=discussing",
            ),
            ("topic list, page 20", reverse("topic_list", args=[community.pk]) + "?page=20"),
            ("busy topic page", reverse("topic_detail", args=[busy.pk])),
        ]
        vendor = connection.vendor
        print(
            f"{vendor}: {TOPICS} topics, {COMMENTS} comments, {COSIGNS} co-signs, {USERS} "
            f"users; busy topic: {BUSY_COMMENTS} comments, {BUSY_COSIGNS} co-signs; "
            f"data built in {built:.1f} s; {args.rounds} rounds each; {machine_line()}; "
            f"load average {load_average()}"
        )
        command = "python -m bench.topic_list" + (" --postgres" if args.postgres else "")
        for label, url in pages:
            samples, queries = page_rounds(
                client, url, args.rounds, change, clear, verbose=args.verbose
            )
            named = {f"{way} ({queries[way]} queries)": s for way, s in samples.items()}
            peer = next((name for name in named if name.startswith("caches off")), None)
            rows = rows_for(
                named,
                baseline=peer,
                targets={name: TARGET_MS for name in named},
                unit=1000,
                unit_name="ms",
                digits=1,
            )
            for row, way in zip(rows, samples, strict=True):
                row[-2] = f"≤ {TARGET_MS} ms, ≤ {TARGET_QUERIES} queries"
                if queries[way] > TARGET_QUERIES:
                    row[-1] = "missed"
            title = f"topic_list: {label}, {vendor} (ms)"
            print(f"\n{title}  (load {load_average()})")
            print_rows(rows)
            note = f"{args.rounds} rounds: new comment, view; cache emptied, view; view again"
            print()
            print(markdown(title, command, rows, notes=[note]))
    finally:
        teardown_django()


if __name__ == "__main__":
    main()
