"""Benchmark: serve one notice to 10,000 households by SMS through a fake Alibaba Cloud gateway.

    .venv/bin/python -m bench.notice_delivery [--households 10000]

The notice is published and its sending queued as the page does (`queue_delivery`, timed: what
the person waits for); then a real task worker (`manage.py db_worker --batch`, a child
process, its start-up included) runs the job until the queue is empty. The fake gateway runs in
another process on the same machine, checks each request's HMAC-SHA1 signature and answers a
BizId. Target: 10,000 households in at most 60 s on 2 cores. Baseline in the same run: the same
number of signed SendSms requests with no database work (the floor any sender over one HTTP
request per message can reach). Queuing the same notice again must send nothing
(idempotence), and is timed too.
"""

import argparse
import base64
import hashlib
import hmac
import json
import multiprocessing
import os
import subprocess
import sys
import time
import urllib.parse
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from bench._django import ROOT, machine_line, print_table, setup_django, teardown_django

TARGET_S = 60.0
SECRET = "bench-secret"


def _enc(value):
    return urllib.parse.quote(value, safe="~")


class Gateway(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"
    counter = 0

    def log_message(self, *args):
        pass

    def do_POST(self):
        params = dict(
            urllib.parse.parse_qsl(self.rfile.read(int(self.headers["Content-Length"])).decode())
        )
        signature = params.pop("Signature", "")
        query = "&".join(f"{_enc(k)}={_enc(v)}" for k, v in sorted(params.items()))
        digest = hmac.new(f"{SECRET}&".encode(), ("POST&%2F&" + _enc(query)).encode(), hashlib.sha1)
        if not hmac.compare_digest(signature, base64.b64encode(digest.digest()).decode()):
            answer = {"Code": "SignatureDoesNotMatch"}
        else:
            Gateway.counter += 1
            answer = {"Code": "OK", "BizId": f"{Gateway.counter}^0", "RequestId": "r"}
        data = json.dumps(answer).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


class Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # the default 5 drops concurrent connects (a 1 s SYN retry each)


def serve(port_queue):
    server = Server(("127.0.0.1", 0), Gateway)
    port_queue.put(server.server_port)
    server.serve_forever()


def build(households):
    from deliberation.models import Building, Community, Estate, Holder, Ownership, Unit

    community = Community.objects.create(name="基准社区")
    estate = Estate.objects.create(community=community, name="基准小区")
    buildings = [Building.objects.create(estate=estate, name=f"{b}号楼") for b in range(1, 41)]
    units = Unit.objects.bulk_create(
        [
            Unit(building=buildings[n % 40], number=f"{n:05d}", area=Decimal("88.00"))
            for n in range(households)
        ]
    )
    holders = Holder.objects.bulk_create(
        [
            Holder(community=community, name=f"业主{n}", phone=f"+86139{n:08d}")
            for n in range(households)
        ]
    )
    Ownership.objects.bulk_create(
        [Ownership(unit=u, holder=h) for u, h in zip(units, holders, strict=True)]
    )
    return community


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--households", type=int, default=10_000)
    args = parser.parse_args()
    queue = multiprocessing.Queue()
    gateway = multiprocessing.Process(target=serve, args=(queue,), daemon=True)
    gateway.start()
    port = queue.get(timeout=10)
    setup_django(name="notice_delivery")
    try:
        from django.conf import settings

        settings.SMS_SENDER = "accounts.aliyun_sms.AliyunSender"
        settings.ALIYUN_SMS_ENDPOINT = f"http://127.0.0.1:{port}/"
        settings.ALIYUN_SMS_ACCESS_KEY_ID = "bench"
        settings.ALIYUN_SMS_ACCESS_KEY_SECRET = SECRET
        settings.ALIYUN_SMS_TEMPLATES = {"notice": "SMS_1", "urgent": "SMS_1"}
        settings.NOTICE_SMS_PER_NUMBER_PER_DAY = 3

        from django.contrib.auth import get_user_model
        from django.db import connection, transaction

        from accounts.aliyun_sms import AliyunSender
        from deliberation.delivery import queue_delivery
        from deliberation.models import Delivery, NoticeKind
        from deliberation.notices import publish_notice

        community = build(args.households)
        by = get_user_model().objects.create_user(phone="+8613700000000", password="x")
        sender = AliyunSender()
        started = time.perf_counter()
        for n in range(args.households):
            sender.send_template(
                f"+86138{n:08d}", template="notice", params={"title": "x"}, text="x"
            )
        baseline = time.perf_counter() - started

        worker_env = {
            **os.environ,
            "DATABASE_URL": "sqlite:///" + str(connection.settings_dict["NAME"]),
            "SMS_SENDER": settings.SMS_SENDER,
            "ALIYUN_SMS_ENDPOINT": settings.ALIYUN_SMS_ENDPOINT,
            "ALIYUN_SMS_ACCESS_KEY_ID": "bench",
            "ALIYUN_SMS_ACCESS_KEY_SECRET": SECRET,
            "ALIYUN_SMS_TEMPLATES": json.dumps(settings.ALIYUN_SMS_TEMPLATES),
            "LOG_LEVEL": "WARNING",
        }
        command = [sys.executable, "manage.py", "db_worker", "--batch", "--no-startup-delay"]
        command += ["--no-reload", "--verbosity", "0"]

        def publish_and_work():
            started = time.perf_counter()
            with transaction.atomic():  # no quiet hours, whatever the bench's hour: urgent
                notice = publish_notice(
                    community=community, kind=NoticeKind.OTHER, title="停水通知", body="明日停水"
                )
                queue_delivery(notice, by=by, urgent=True)
            answered = time.perf_counter() - started
            connection.close()  # SQLite: leave the file to the worker
            subprocess.run(command, cwd=ROOT, env=worker_env, check=True)  # noqa: S603
            return notice, answered, time.perf_counter() - started

        notice, answer, first = publish_and_work()
        sent = Delivery.objects.filter(notice=notice, channel="sms", status="sent").count()
        started = time.perf_counter()
        with transaction.atomic():
            queue_delivery(notice, by=by, urgent=True)
        connection.close()
        subprocess.run(command, cwd=ROOT, env=worker_env, check=True)  # noqa: S603
        second = time.perf_counter() - started
        again = Delivery.objects.filter(notice=notice, channel="sms", status="sent").count() - sent
        sms = sent
        ids = Delivery.objects.filter(notice=notice, channel="sms").values("provider_message_id")
        distinct = ids.distinct().count()
    finally:
        teardown_django()
        gateway.terminate()

    print(f"{args.households:,} households; {machine_line()}")
    print(
        f"sent {sent:,} SMS ({sms:,} records sent, {distinct:,} distinct message ids); "
        f"second call sent {again}"
    )
    ok = first <= TARGET_S and sent == args.households
    rows = [
        ("signed SendSms requests only (baseline)", f"{baseline:.1f}", "1.00×", "—", "—"),
        ("publishing answers (notice + queued job)", f"{answer:.2f}",
         f"{answer / baseline:.3f}×", "—", "—"),
        ("queued → worker done (all sent)", f"{first:.1f}", f"{first / baseline:.2f}×",
         f"≤ {TARGET_S:.0f} s", "pass" if ok else "fail"),
        ("queued again → worker done (sends nothing)", f"{second:.1f}",
         f"{second / baseline:.2f}×", "0 sent", "pass" if again == 0 else "fail"),
    ]  # fmt: skip
    print_table(rows, ["figure", "time s", "ratio vs baseline", "target", "pass/fail"])


if __name__ == "__main__":
    main()
