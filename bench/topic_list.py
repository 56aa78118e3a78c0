"""Topic list and a busy topic page over 1,000 topics, 20,000 comments and 50,000 co-signs.

    .venv/bin/python -m bench.topic_list                 # SQLite under var/bench/
    .venv/bin/python -m bench.topic_list --postgres      # PostgreSQL on 127.0.0.1

Prints the query count and the p50 / p95 render time of each page through the full Django
stack (test client, middleware, templates), against the home page measured in the same run
as the baseline. Targets: p50 <= 100 ms and <= 12 queries.
"""

import argparse
import hashlib
import random
import statistics
import time

from bench._django import machine_line, print_table, setup_django, teardown_django

POSTGRES_URL = "postgres://postgres@127.0.0.1:5432/gongyi_bench"
TOPICS = 1_000
COMMENTS = 20_000
COSIGNS = 50_000
USERS = 2_000
BUSY_COMMENTS = 600  # of the 20,000, on the busy topic (top level and replies)
BUSY_COSIGNS = 1_500  # of the 50,000, on the busy topic
RUNS = 30
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


def measure(client, url, verbose=False):
    from django.db import connection

    client.get(url)  # warm the template cache
    log = QueryLog()
    with connection.execute_wrapper(log):
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    queries = log.queries
    if verbose:
        for ms, sql in sorted(queries, reverse=True)[:5]:
            print(f"  {ms:7.1f} ms  {sql[:160]}")
    times = []
    for _ in range(RUNS):
        start = time.perf_counter()
        client.get(url)
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    return len(queries), statistics.median(times), times[int(len(times) * 0.95) - 1]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--postgres", action="store_true")
    parser.add_argument("--verbose", action="store_true", help="show the slowest queries")
    args = parser.parse_args()
    setup_django(database_url=POSTGRES_URL if args.postgres else None, name="topic_list")
    try:
        from django.conf import settings
        from django.db import connection
        from django.test import Client
        from django.urls import reverse

        settings.ALLOWED_HOSTS = ["*"]
        started = time.perf_counter()
        community, busy, viewer = build()
        built = time.perf_counter() - started
        client = Client()
        client.force_login(viewer)
        pages = [
            ("home page (baseline)", reverse("home")),
            ("topic list, page 1", reverse("topic_list", args=[community.pk])),
            (
                "topic list, search + filter",
                reverse("topic_list", args=[community.pk])
                + "?q=%E7%94%B5%E6%A2%AF&phase=discussing",
            ),
            ("topic list, page 20", reverse("topic_list", args=[community.pk]) + "?page=20"),
            ("busy topic page", reverse("topic_detail", args=[busy.pk])),
        ]
        rows = []
        baseline = None
        for label, url in pages:
            count, p50, p95 = measure(client, url, args.verbose)
            baseline = baseline or p50
            is_target = label != "home page (baseline)"
            ok = p50 <= TARGET_MS and count <= TARGET_QUERIES
            rows.append(
                (
                    label,
                    count,
                    f"{p50:.1f}",
                    f"{p95:.1f}",
                    f"{p50 / baseline:.2f}×",
                    f"≤ {TARGET_MS} ms, ≤ {TARGET_QUERIES} q" if is_target else "—",
                    ("pass" if ok else "FAIL") if is_target else "—",
                )
            )
        vendor = connection.vendor
        print(
            f"{vendor}: {TOPICS} topics, {COMMENTS} comments, {COSIGNS} co-signs, {USERS} "
            f"users; busy topic: {BUSY_COMMENTS} comments, {BUSY_COSIGNS} co-signs; "
            f"data built in {built:.1f} s; {RUNS} runs each"
        )
        print(machine_line())
        print_table(rows, ["page", "queries", "p50 ms", "p95 ms", "vs baseline", "target", ""])
    finally:
        teardown_django()


if __name__ == "__main__":
    main()
