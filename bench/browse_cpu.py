"""Django CPU per page of the browsing mix, in-process (no server, no network).

    .venv/bin/python -m bench.browse_cpu                 # PostgreSQL on 127.0.0.1, locmem cache
    .venv/bin/python -m bench.browse_cpu --redis         # Redis as the cache, as bench.browse has

Builds bench/browse.py's community (1,000 topics, 20,000 comments, a busy topic with 600,
a notice board), signs in one resident with the test client and measures
wall and `time.process_time()` per request of each page of the mix three ways, interleaved
request by request:

- first view after a change: a new comment (through the service) on the topic the page shows,
  or on the busy topic for the lists and home, and for a closed topic (which takes no
  comments); the notice board is not changed by a comment, so its row, and a closed topic's,
  is a cache hit after an unrelated change;
- caches off: the cache emptied before the request (the peer);
- cache hit: the same page again.

The weighted means are the figures to compare with the 4–5 ms per page that 200 requests/s on
two cores leaves for Django. Wall time and the load average are printed beside CPU time.
"""

import argparse
import os
import statistics

from bench._compare import load_average, markdown, measure, print_rows
from bench._django import machine_line, setup_django, teardown_django

PG_URL = "postgres://postgres@127.0.0.1:5432/gongyi_bench_browse_cpu_run"
REDIS_URL = "redis://127.0.0.1:6379/4"
RUNS = 60


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
        ("other topic", 10, [f"/topics/{pk}/" for pk in other_ids[:20] if pk != busy_id]),
        ("notice board", 10, [f"/c/{community_id}/notices/"]),
        ("home", 15, ["/"]),
    ]


WAYS = ("after a new comment", "caches off (peer)", "cache hit")


def rounds(client, urls, runs, change, clear):
    """{way: [Sample]}: per request, a change then a view, an emptied cache then a view, and
    the view again."""
    for url in urls:  # warm templates
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
    samples = {way: [] for way in WAYS}
    for n in range(runs):
        url = urls[n % len(urls)]
        change(url)
        samples["after a new comment"].append(measure(lambda u=url: client.get(u), collect=False))
        clear()
        samples["caches off (peer)"].append(measure(lambda u=url: client.get(u), collect=False))
        samples["cache hit"].append(measure(lambda u=url: client.get(u), collect=False))
    return samples


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
        from django.core.exceptions import ValidationError
        from django.test import Client

        from accounts.models import User
        from bench import browse
        from deliberation.models import Topic
        from deliberation.services.topics import add_comment

        settings.ALLOWED_HOSTS = ["*"]
        cache.clear()
        community_id, busy_id, others, _sessions = browse.build(1)
        viewer = User.objects.filter(memberships__community_id=community_id).last()
        client = Client()
        client.force_login(viewer)
        counter = iter(range(10**9))

        def change(url):
            topic_id = busy_id
            if url.startswith("/topics/"):
                topic_id = int(url.strip("/").split("/")[-1])
            body = f"基准新评论{next(counter)}"
            try:
                add_comment(Topic.objects.get(pk=topic_id), by=viewer, body=body, stance="support")
            except ValidationError:  # a closed topic takes no comments: change the busy one
                add_comment(Topic.objects.get(pk=busy_id), by=viewer, body=body, stance="support")

        rows, means = [], {way: [0.0, 0.0] for way in WAYS}
        weights = 0
        for label, weight, urls in pages(community_id, busy_id, others):
            samples = rounds(client, urls, args.runs, change, cache.clear)
            for way in WAYS:
                cpu = statistics.median(s.cpu for s in samples[way]) * 1000
                wall = statistics.median(s.wall for s in samples[way]) * 1000
                loads = [s.load for s in samples[way]]
                means[way][0] += cpu * weight
                means[way][1] += wall * weight
                rows.append(
                    [
                        label if way == WAYS[0] else "",
                        f"{weight}%" if way == WAYS[0] else "",
                        way,
                        f"{cpu:.2f}",
                        f"{wall:.2f}",
                        f"{min(loads):.1f}–{max(loads):.1f}",
                    ]
                )
            weights += weight
        for way in WAYS:
            cpu, wall = (x / weights for x in means[way])
            rows.append(["weighted mean", "100%", way, f"{cpu:.2f}", f"{wall:.2f}", "—"])
        headers = ["page", "share", "way", "median CPU ms", "median wall ms", "load (1 min)"]
        intro = f"cache: {'Redis' if args.redis else 'locmem'}; {args.runs} requests per way"
        print(f"{intro}; {machine_line()}; load average {load_average()}")
        print_rows(rows, headers)
        print()
        command = "python -m bench.browse_cpu" + (" --redis" if args.redis else "")
        print(markdown("browse_cpu: Django per page, in-process", command, rows, headers))
        cache.clear()
    finally:
        teardown_django()


if __name__ == "__main__":
    main()
