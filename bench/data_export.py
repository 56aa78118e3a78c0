"""Download my data (/me/data/download/) for a very active resident.

    .venv/bin/python -m bench.data_export                # SQLite under var/bench/
    .venv/bin/python -m bench.data_export --postgres     # PostgreSQL on 127.0.0.1

The person proposed 500 topics, wrote 5,000 comments, co-signed 1,000 topics and has 10,000
notifications (16,500 rows). Baseline, measured in the same run: fetching the same rows with
`.values()` and `json.dumps` them, the least any export must do. Targets: JSON in 3 s or less;
the spreadsheet in 15 s or less, well inside the proxy's 60 s read timeout (openpyxl writes
XML in pure Python unless lxml is installed).
"""

import argparse
import json
import statistics
import time

from bench._django import machine_line, print_table, setup_django, teardown_django

POSTGRES_URL = "postgres://postgres@127.0.0.1:5432/gongyi_bench_export"  # its own test database
TOPICS = 500
COMMENTS = 5_000
COSIGNS = 1_000
NOTIFICATIONS = 10_000
RUNS = 3
TARGET_S = 3.0
TARGET_XLSX_S = 15.0


def build():
    from accounts.models import User
    from deliberation.models import (
        Category,
        Comment,
        Community,
        CoSign,
        Membership,
        Notification,
        Role,
        Topic,
    )

    community = Community.objects.create(name="基准社区")
    person, other = User.objects.bulk_create(
        [
            User(email="me@bench.local", real_name="王芳", password="!"),
            User(email="other@bench.local", real_name="李明", password="!"),
        ]
    )
    Membership.objects.create(user=person, community=community, role=Role.RESIDENT)

    def topics_by(user, count, prefix):
        return Topic.objects.bulk_create(
            [
                Topic(
                    community=community,
                    title=f"{prefix}{i}",
                    description="楼道灯不亮，晚上看不清台阶。" * 3,
                    category=Category.FACILITIES,
                    proposer=user,
                )
                for i in range(count)
            ],
            batch_size=500,
        )

    mine = topics_by(person, TOPICS, "我的议题")
    theirs = topics_by(other, COSIGNS, "别人的议题")
    CoSign.objects.bulk_create([CoSign(topic=t, user=person) for t in theirs], batch_size=500)
    Comment.objects.bulk_create(
        [
            Comment(topic=mine[i % TOPICS], author=person, body=f"第{i}条意见：同意先修电梯。")
            for i in range(COMMENTS)
        ],
        batch_size=500,
    )
    Notification.objects.bulk_create(
        [Notification(user=person, text=f"您关注的议题有新进展 {i}") for i in range(NOTIFICATIONS)],
        batch_size=1000,
    )
    return person


def baseline(person):
    from deliberation.models import Comment, CoSign, Notification, Topic

    rows = {
        "topics": list(Topic.objects.filter(proposer=person).values()),
        "comments": list(Comment.objects.filter(author=person).values()),
        "cosigns": list(CoSign.objects.filter(user=person).values()),
        "notifications": list(Notification.objects.filter(user=person).values()),
    }
    return json.dumps(rows, default=str, ensure_ascii=False)


def timed(func, *args):
    times = []
    result = None
    for _ in range(RUNS):
        start = time.perf_counter()
        result = func(*args)
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--postgres", action="store_true")
    args = parser.parse_args()
    connection = setup_django(POSTGRES_URL if args.postgres else None, name="data_export")
    try:
        from accounts import data_export

        person = build()
        base_s, base_out = timed(baseline, person)
        json_s, json_out = timed(lambda p: data_export.as_json(data_export.collect(p)), person)
        xlsx_s, xlsx_out = timed(lambda p: data_export.as_xlsx(data_export.collect(p)), person)
        rows = TOPICS + COMMENTS + COSIGNS + NOTIFICATIONS
        table = [
            ["values() + json.dumps (baseline)", f"{base_s:.2f}", "1.00×", "—", "—", len(base_out)],
            [
                "data_export JSON",
                f"{json_s:.2f}",
                f"{json_s / base_s:.2f}×",
                f"≤ {TARGET_S:.0f} s",
                "pass" if json_s <= TARGET_S else "FAIL",
                len(json_out.encode()),
            ],
            [
                "data_export xlsx",
                f"{xlsx_s:.2f}",
                f"{xlsx_s / base_s:.2f}×",
                f"≤ {TARGET_XLSX_S:.0f} s",
                "pass" if xlsx_s <= TARGET_XLSX_S else "FAIL",
                len(xlsx_out),
            ],
        ]
        print(f"{rows:,} rows for one person, {connection.vendor}, {machine_line()}")
        print(f"median of {RUNS} runs")
        print_table(table, ["figure", "s", "ratio", "target", "pass/fail", "bytes"])
    finally:
        teardown_django()


if __name__ == "__main__":
    main()
