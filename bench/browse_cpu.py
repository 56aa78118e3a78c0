"""Django CPU per page of the browsing mix, in-process (no server, no network).

    .venv/bin/python -m bench.browse_cpu                 # PostgreSQL on 127.0.0.1, locmem cache
    .venv/bin/python -m bench.browse_cpu --redis         # Redis as the cache, as bench.browse has

Builds bench/browse.py's community (1,000 topics, 20,000 comments, a busy topic with 600,
a notice board), signs in one resident with the test client and measures
`time.process_time()` over many requests of each page of the mix after a warm-up (so a cache
holds what it would hold under steady load). The weighted mean is the figure to compare with
the 4–5 ms per page that 200 requests/s on two cores leaves for Django. Nothing is recorded.
"""

import argparse
import os
import time

from bench._django import machine_line, print_table, setup_django, teardown_django

PG_URL = "postgres://postgres@127.0.0.1:5432/gongyi_bench_browse_cpu_run"
REDIS_URL = "redis://127.0.0.1:6379/4"
RUNS = 200


def pages(community_id, busy_id, other_ids):
    base = f"/c/{community_id}/topics/"
    return [
        ("topic list", 20, [base]),
        ("topic list, search + stage", 10, [base + "?q=%E7%94%B5%E6%A2%AF&phase=discussing"]),
        (
            "topic list, category + page",
            10,
            [base + f"?category={c}&page={p}" for c in ("property", "safety") for p in (1, 3)],
        ),
        ("busy topic", 25, [f"/topics/{busy_id}/"]),
        ("other topic", 10, [f"/topics/{pk}/" for pk in other_ids[:20]]),
        ("notice board", 10, [f"/c/{community_id}/notices/"]),
        ("home", 15, ["/"]),
    ]


def measure(client, urls, runs):
    for url in urls:  # warm templates and caches
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
    start = time.process_time()
    for n in range(runs):
        client.get(urls[n % len(urls)])
    return (time.process_time() - start) * 1000 / runs


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--redis", action="store_true", help="Redis as the cache")
    parser.add_argument("--runs", type=int, default=RUNS)
    args = parser.parse_args(argv)
    if args.redis:
        os.environ["REDIS_URL"] = REDIS_URL
        os.environ["CHANNEL_PREFIX"] = f"gongyi-bench-cpu-{os.getpid()}"
    setup_django(database_url=PG_URL, name="browse_cpu")
    try:
        from django.conf import settings
        from django.core.cache import cache
        from django.test import Client

        from accounts.models import User
        from bench import browse

        settings.ALLOWED_HOSTS = ["*"]
        cache.clear()
        community_id, busy_id, others, _sessions = browse.build(1)
        client = Client()
        client.force_login(User.objects.filter(memberships__community_id=community_id).last())
        rows, total, weights = [], 0.0, 0
        for label, weight, urls in pages(community_id, busy_id, others):
            ms = measure(client, urls, args.runs)
            rows.append((label, f"{weight}%", f"{ms:.2f}"))
            total += ms * weight
            weights += weight
        rows.append(("weighted mean", "100%", f"{total / weights:.2f}"))
        print(f"cache: {'Redis' if args.redis else 'locmem'}; {args.runs} requests per page")
        print(machine_line())
        print_table(rows, ["page", "share", "CPU ms / page"])
        cache.clear()
    finally:
        teardown_django()


if __name__ == "__main__":
    main()
