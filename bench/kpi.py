"""Time the KPI dashboard over 10,000 topics with tasks and ratings spread over two years.

Run from the repository root: ``.venv/bin/python -m bench.kpi`` (SQLite), or with
``--postgres`` against postgres://postgres@127.0.0.1:5432/gongyi_bench. Prints the render time
of the whole dashboard page (figures, charts, tables) and its query count at 1,000 and at
10,000 topics, against a baseline measured in the same run: the same summary figures computed
in Python from every row fetched.
"""

import argparse
import random
import statistics
import time
from datetime import datetime, timedelta
from datetime import time as clock

from bench._django import machine_line, print_table, setup_django, teardown_django

TARGET_MS = 200
POSTGRES = "postgres://postgres@127.0.0.1:5432/gongyi_bench"


def build(community, users, count, today, rng, start_index=0):
    """`count` topics accepted over the two years before `today`, with tasks and ratings."""
    from django.utils import timezone

    from deliberation.models import Category, Phase, Rating, RatingLevel, Task, TaskState, Topic

    tz = timezone.get_current_timezone()
    grids = list(community.grids.all())
    proposer, worker = users[0], users[1]
    topics = []
    plans = []
    for n in range(count):
        accepted = today - timedelta(days=rng.randint(0, 729))
        submitted = accepted - timedelta(days=rng.randint(0, 5))
        decided = accepted + timedelta(days=rng.randint(1, 15))
        roll = rng.random()
        phase = Phase.CLOSED if roll < 0.7 else Phase.EXECUTING if roll < 0.9 else Phase.DISCUSSING
        completed = decided + timedelta(days=rng.randint(2, 30)) if phase == Phase.CLOSED else None

        def at(day):
            return datetime.combine(day, clock(10), tzinfo=tz) if day else None

        topics.append(
            Topic(
                community=community,
                proposer=proposer,
                title=f"议题 {start_index + n}",
                description="bench",
                category=rng.choice(Category.values),
                grid=rng.choice(grids),
                phase=phase,
                submitted_at=at(submitted),
                accepted_at=at(accepted),
                decided_at=at(decided) if phase != Phase.DISCUSSING else None,
                completed_at=at(completed),
                closed_at=at(completed),
            )
        )
        plans.append((phase, accepted, completed))
    Topic.objects.bulk_create(topics, batch_size=1000)
    tasks, ratings = [], []
    for topic, (phase, accepted, completed) in zip(topics, plans, strict=True):
        if phase == Phase.DISCUSSING:
            continue
        for _ in range(rng.choice([1, 1, 2])):
            done = phase == Phase.CLOSED
            tasks.append(
                Task(
                    topic=topic,
                    title="处理",
                    responsible="community_worker",
                    route="immediate",
                    due_date=accepted + timedelta(days=15),
                    created_by=worker,
                    state=TaskState.DONE if done else TaskState.OPEN,
                    completed_on=completed if done else None,
                    progress=100 if done else 40,
                )
            )
        if phase == Phase.CLOSED:
            for user in rng.sample(users, rng.randint(1, 3)):
                level = rng.choices(RatingLevel.values, weights=[6, 3, 1])[0]
                ratings.append(Rating(topic=topic, round=1, user=user, level=level))
    Task.objects.bulk_create(tasks, batch_size=1000)
    Rating.objects.bulk_create(ratings, batch_size=1000)
    return len(tasks), len(ratings)


def python_baseline(community_id, start, end, today):
    """The summary computed in Python from every row: what the aggregates replace."""
    from deliberation.models import Phase, Rating, Task, Topic
    from deliberation.services.kpi import _bounds

    begin, finish = _bounds(start, end)
    rows = list(
        Topic.objects.filter(community_id=community_id).values_list("pk", "accepted_at", "phase")
    )
    cohort = {pk for pk, accepted, _ in rows if accepted and begin <= accepted < finish}
    resolved = sum(1 for pk, _, phase in rows if pk in cohort and phase == Phase.CLOSED)
    due = done_due = on_time = done = 0
    for topic_id, due_date, state, completed_on in Task.objects.values_list(
        "topic_id", "due_date", "state", "completed_on"
    ):
        if topic_id not in cohort:
            continue
        if due_date < today:
            due += 1
            done_due += state == "done"
        if state == "done":
            done += 1
            on_time += completed_on <= due_date
    satisfied = total = 0
    for topic_id, level in Rating.objects.values_list("topic_id", "level"):
        if topic_id in cohort:
            total += 1
            satisfied += level in ("satisfied", "basically")
    return len(cohort), resolved, due, done_due, done, on_time, total, satisfied


def best_ms(fn, runs):
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return min(times), statistics.median(times)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--postgres", action="store_true", help=f"use {POSTGRES}")
    parser.add_argument("--topics", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    setup_django(POSTGRES if args.postgres else None, name="kpi")
    try:
        run(args)
    finally:
        teardown_django()


def run(args):
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse
    from django.utils import timezone

    from deliberation.models import Grid, Role
    from deliberation.services.kpi import compute_kpis, default_period
    from tests.factories import add_member, make_community

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    rng = random.Random(2026)
    today = timezone.localdate()
    community = make_community(name="基准社区")
    for n in range(2, 5):
        Grid.objects.create(community=community, name=f"{n}网格")
    worker = add_member(community, Role.COMMUNITY_WORKER, name="刘洋")
    users = [add_member(community, Role.RESIDENT, name=f"居民{n}") for n in range(3)]
    users.insert(1, worker)
    client = Client()
    client.force_login(worker)
    start, end = default_period(today)
    two_years = f"?start={end.year - 2}-{end.month:02d}&end={end:%Y-%m}"
    url = reverse("dashboard", args=[community.pk])

    def page(query=""):
        response = client.get(url + query)
        assert response.status_code == 200, response.status_code

    def queries(query=""):
        with CaptureQueriesContext(connection) as ctx:
            page(query)
        return len(ctx)

    small = args.topics // 10
    build(community, users, small, today, rng)
    page()  # warm templates and translations
    small_queries = queries()
    small_ms, _ = best_ms(page, args.runs)
    tasks, ratings = build(community, users, args.topics - small, today, rng, start_index=small)
    page()
    big_queries = queries()
    big_queries_2y = queries(two_years)
    page_ms, page_median = best_ms(page, args.runs)
    page2_ms, _ = best_ms(lambda: page(two_years), args.runs)
    figures_ms, _ = best_ms(lambda: compute_kpis([community.pk], start, end, today), args.runs)
    xlsx_ms, _ = best_ms(lambda: page("?format=xlsx"), args.runs)
    base_ms, _ = best_ms(lambda: python_baseline(community.pk, start, end, today), args.runs)
    kpis = compute_kpis([community.pk], start, end, today)
    check = python_baseline(community.pk, start, end, today)
    agree = check == (
        kpis["accepted"],
        kpis["resolved"],
        kpis["tasks"]["due"],
        kpis["tasks"]["done_due"],
        kpis["tasks"]["done"],
        kpis["tasks"]["on_time"],
        kpis["ratings"],
        kpis["satisfaction"].numerator,
    )
    engine = connection.vendor
    print(
        f"\n    {args.topics:,} topics, {tasks + small:,}+ tasks, {ratings:,}+ ratings over two "
        f"years; {engine}; best of {args.runs} runs; the aggregates agree with the Python "
        f"count: {agree}\n"
    )
    target = f"≤ {TARGET_MS} ms"

    def row(label, ms, queries="—", goal="—", note=""):
        verdict = ("pass" if ms <= TARGET_MS else "fail") if goal != "—" else "—"
        return (label, f"{ms:.1f}{note}", f"{ms / base_ms:.2f}×", str(queries), goal, verdict)

    rows = [
        row("Python count of the summary from every row (baseline)", base_ms),
        row("summary figures only (compute_kpis, 12 months)", figures_ms),
        row(f"dashboard page, {small:,} topics, 12 months", small_ms, small_queries, target),
        row(
            f"dashboard page, {args.topics:,} topics, 12 months",
            page_ms,
            big_queries,
            target,
            f" (median {page_median:.1f})",
        ),
        row(f"dashboard page, {args.topics:,} topics, 24 months", page2_ms, big_queries_2y, target),
        row(f"xlsx export, {args.topics:,} topics, 12 months", xlsx_ms),
    ]
    print_table(rows, ["figure", "time ms", "ratio vs baseline", "queries", "target", "pass/fail"])
    print(
        f"\nQuery count constant as topics grow ({small:,} → {args.topics:,}): "
        f"{small_queries} → {big_queries}: {'yes' if small_queries == big_queries else 'NO'}"
    )
    print(f"Machine: {machine_line()}")


if __name__ == "__main__":
    main()
