"""Cast ballots through the real HTTP path: ASGI worker processes, PostgreSQL, concurrent clients.

Run from the repository root: ``.venv/bin/python -m bench.cast --owners 3000 --concurrency 16
--workers 3`` (``--no-record`` leaves bench/RESULTS.md alone). PostgreSQL must listen on
127.0.0.1:5432. The workers are uvicorn, as make serve-prod runs them (``--server daphne`` for
the other), with ASGI_THREADS=2 unless the environment says otherwise.

Each simulated owner has a signed-in session and POSTs the ballot form of an open vote
(``/votes/<id>/``, htmx fragment) once; a 200 with the receipt code counts as a ballot. The
baseline, measured in the same run against the same servers and clients, is ``GET /healthz``
(one query): the floor of the stack. The servers run with DEBUG off, bounded in number
(``--workers``) and in time (each is stopped when the run ends or fails). Besides rates and
latencies it prints the CPU time the workers and their PostgreSQL backends spent per request,
read from /proc: a figure other work on the machine distorts far less than the rate.
"""

import argparse
import asyncio
import os
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import time
from decimal import Decimal

from bench._compare import refuse_out_of_range
from bench._django import ROOT, machine_line, print_table, setup_django, teardown_django

PG_URL = "postgres://postgres@127.0.0.1:5432/gongyi_bench_cast"
TARGET_RATE = 300
TARGET_P99_MS = 200
SERVER_ENV = {
    "DEBUG": "0",
    "SECRET_KEY": "bench-only-" + "k" * 50,
    "ALLOWED_HOSTS": "127.0.0.1",
    "SECURE_SSL_REDIRECT": "0",
    "SECURE_COOKIES": "0",
    "SECURE_HSTS_SECONDS": "0",
    "LOG_LEVEL": "WARNING",
}


def build(owners):
    """An open vote on an estate of `owners` flats, each owner signed in with a session."""
    from django.db import connection
    from django.utils import timezone

    from accounts.models import User
    from deliberation.models import (
        AssemblyVote,
        Building,
        Community,
        Estate,
        Holder,
        Ownership,
        Unit,
        VoteMatter,
        VoteStatus,
    )
    from deliberation.services.votes.electorate import _freeze_electorate

    community = Community.objects.create(name="压测社区")
    estate = Estate.objects.create(community=community, name="压测小区")
    building = Building.objects.create(estate=estate, name="1号楼")
    users = User.objects.bulk_create(
        [
            User(email=f"owner{n}@bench.local", password="!", real_name=f"业主{n}")
            for n in range(owners)
        ],
        batch_size=1000,
    )
    units = Unit.objects.bulk_create(
        [Unit(building=building, number=str(n), area=Decimal("88.50")) for n in range(owners)],
        batch_size=1000,
    )
    holders = Holder.objects.bulk_create(
        [Holder(community=community, name=u.real_name, user=u) for u in users], batch_size=1000
    )
    Ownership.objects.bulk_create(
        [Ownership(unit=u, holder=h) for u, h in zip(units, holders, strict=True)],
        batch_size=1000,
    )
    now = timezone.now()
    vote = AssemblyVote.objects.create(
        community=community,
        estate=estate,
        title="压测表决",
        status=VoteStatus.NOTICED,
        opens_at=now - timezone.timedelta(hours=1),
        closes_at=now + timezone.timedelta(days=6),
        created_by=users[0],
        notice_published_at=now,
    )
    matter = VoteMatter.objects.create(
        vote=vote, code="use_maintenance_fund", title="维修资金", position=1
    )
    _freeze_electorate(vote, now)
    sessions = signed_in(users)
    # A real estate's tables have statistics by the time its vote opens (the notice runs for
    # 15 days); these were filled a moment ago.
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    return vote, matter, sessions


def signed_in(users):
    """A day-long session for each user, as signing in leaves it; returns the session keys."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.utils import timezone

    from accounts.models import Session
    from accounts.sessions import SessionStore

    store = SessionStore()
    expire = timezone.now() + timezone.timedelta(days=1)
    rows = []
    for user in users:
        data = {
            SESSION_KEY: str(user.pk),
            BACKEND_SESSION_KEY: "accounts.backends.ModelBackend",
            HASH_SESSION_KEY: user.get_session_auth_hash(),
        }
        rows.append(
            Session(
                session_key=store._get_new_session_key(),
                session_data=store.encode(data),
                expire_date=expire,
                user=user,
            )
        )
    Session.objects.bulk_create(rows, batch_size=1000)
    return [row.session_key for row in rows]


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# uvicorn's options as make serve-prod and docs/operations.md run it (tests/asgi_process.py too).
UVICORN_OPTIONS = [
    "--loop",
    "uvloop",
    "--http",
    "httptools",
    "--ws",
    "websockets",
    "--timeout-keep-alive",
    "75",
    "--no-access-log",
    # No per-message compression: a compressor per socket and one compression per socket and
    # frame (docs/operations.md, "Per-message compression").
    "--ws-per-message-deflate",
    "false",
    # The app decides whom to believe about forwarded addresses (config/proxy.py); uvicorn's
    # own rewriting would trust any connection from 127.0.0.1.
    "--no-proxy-headers",
    "--log-level",
    "warning",
]


def server_command(server, port):
    """The command line of one ASGI worker: uvicorn with uvloop and httptools, as make serve-prod
    runs it, or daphne, as make run does."""
    if server == "uvicorn":
        return [
            str(ROOT / ".venv" / "bin" / "uvicorn"),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            *UVICORN_OPTIONS,
            "config.asgi:application",
        ]
    return [
        str(ROOT / ".venv" / "bin" / "daphne"),
        "-b",
        "127.0.0.1",
        "-p",
        str(port),
        "config.asgi:application",
    ]


def start_servers(count, database_url, server="uvicorn"):
    env = {
        **os.environ,
        **SERVER_ENV,
        "DATABASE_URL": database_url,
        "DJANGO_SETTINGS_MODULE": "bench.cast_settings",
        "ASGI_THREADS": str(threads()),
    }
    servers = []
    for _ in range(count):
        port = free_port()
        process = subprocess.Popen(
            server_command(server, port),
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=open(ROOT / "var" / "bench" / f"cast-daphne-{len(servers)}.log", "w"),  # noqa: SIM115
            start_new_session=True,
        )
        servers.append((process, port))
    return servers


def stop_servers(servers):
    for process, _port in servers:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
    for process, _port in servers:
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


async def wait_ready(ports, deadline_s=60):
    deadline = time.monotonic() + deadline_s
    for port in ports:
        while True:
            try:
                status, _ = await one_shot(port, "GET", "/healthz")
                if status == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit(f"daphne on port {port} did not answer within {deadline_s} s")
            await asyncio.sleep(0.2)  # polling for start-up, not a timing assertion


async def read_response(reader):
    status_line = await reader.readline()
    if not status_line:
        raise ConnectionError("closed")
    status = int(status_line.split()[1])
    length, chunked = None, False
    while True:
        line = await reader.readline()
        if line in (b"\r\n", b"\n", b""):
            break
        name, _, value = line.decode("latin-1").partition(":")
        name = name.strip().lower()
        if name == "content-length":
            length = int(value)
        elif name == "transfer-encoding" and "chunked" in value.lower():
            chunked = True
    if chunked:
        body = b""
        while True:
            size = int((await reader.readline()).strip(), 16)
            if size == 0:
                await reader.readline()
                break
            body += await reader.readexactly(size)
            await reader.readline()
        return status, body
    if length is not None:
        return status, await reader.readexactly(length)
    return status, await reader.read()


def request_bytes(method, path, port, headers=(), body=b""):
    lines = [f"{method} {path} HTTP/1.1", f"Host: 127.0.0.1:{port}", *headers]
    if body:
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


async def one_shot(port, method, path):
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(request_bytes(method, path, port, ["Connection: close"]))
        await writer.drain()
        return await read_response(reader)
    finally:
        writer.close()


def cpu_seconds(pids):
    """User + system CPU time of these processes so far (those gone count 0)."""
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def backends_of(database):
    """PostgreSQL backend processes serving `database` (by their process title)."""
    pids = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/cmdline", "rb") as cmdline:
                    title = cmdline.read()
            except OSError:
                continue
            if title.startswith(b"postgres: ") and f" {database} ".encode() in title:
                pids.append(int(entry))
    return pids


class CpuMeter:
    """CPU time spent per request by the servers and by their PostgreSQL backends: a figure
    that other work on the machine does not distort the way it distorts rates."""

    def __init__(self, servers, database):
        self.servers = [process.pid for process, _port in servers]
        self.database = database

    def __enter__(self):
        self.backends = backends_of(self.database)
        self.start = (cpu_seconds(self.servers), cpu_seconds(self.backends))
        return self

    def __exit__(self, *exc):
        self.backends = sorted(set(self.backends) | set(backends_of(self.database)))
        self.spent = (
            cpu_seconds(self.servers) - self.start[0],
            cpu_seconds(self.backends) - self.start[1],
        )

    def per_request_ms(self, count):
        return tuple(1000 * spent / count for spent in self.spent)


async def run_load(ports, jobs, concurrency):
    """Each client keeps one connection to one server and takes jobs from a shared queue."""
    queue = asyncio.Queue()
    for job in jobs:
        queue.put_nowait(job)
    latencies, failures = [], []

    async def client(index):
        port = ports[index % len(ports)]
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            while True:
                try:
                    method, path, headers, body, check = queue.get_nowait()
                except asyncio.QueueEmpty:
                    return
                start = time.perf_counter()
                writer.write(request_bytes(method, path, port, headers, body))
                await writer.drain()
                status, payload = await read_response(reader)
                latencies.append((time.perf_counter() - start) * 1000)
                if not check(status, payload):
                    failures.append((status, payload[:200]))
        finally:
            writer.close()

    start = time.perf_counter()
    await asyncio.gather(*(client(i) for i in range(concurrency)))
    wall = time.perf_counter() - start
    return latencies, failures, wall


def percentile(samples, share):
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def summarise(name, latencies, wall):
    return {
        "name": name,
        "count": len(latencies),
        "rate": len(latencies) / wall,
        "p50": statistics.median(latencies),
        "p99": percentile(latencies, 0.99),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--owners", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--workers", type=int, default=2, help="worker processes (max 4)")
    parser.add_argument(
        "--server", choices=["daphne", "uvicorn"], default="uvicorn", help="as in production"
    )
    parser.add_argument("--no-record", action="store_true")
    args = parser.parse_args()
    refuse_out_of_range(parser, (("--workers", args.workers, 1, 4),))
    workers = args.workers

    os.environ.update(SERVER_ENV)
    connection = setup_django(database_url=PG_URL, name="cast")
    servers = []
    try:
        vote, matter, sessions = build(args.owners)
        db_url = f"postgres://postgres@127.0.0.1:5432/{connection.settings_dict['NAME']}"
        connection.close()
        servers = start_servers(workers, db_url, args.server)
        ports = [port for _process, port in servers]
        asyncio.run(wait_ready(ports))

        def health_job():
            return ("GET", "/healthz", [], b"", lambda status, body: status == 200)

        csrf = secrets.token_hex(16)
        field = f"m{matter.pk}=yes".encode()

        def cast_job(session):
            headers = [
                f"Cookie: sessionid={session}; csrftoken={csrf}",
                f"X-CSRFToken: {csrf}",
                "HX-Request: true",
                "Content-Type: application/x-www-form-urlencoded",
            ]
            return (
                "POST",
                f"/votes/{vote.pk}/",
                headers,
                field,
                lambda status, body: status == 200 and b"data-receipt" in body,
            )

        # Warm every server and client path once before measuring.
        asyncio.run(run_load(ports, [health_job() for _ in range(100)], args.concurrency))
        database = connection.settings_dict["NAME"]
        with CpuMeter(servers, database) as base_cpu:
            base = asyncio.run(
                run_load(ports, [health_job() for _ in range(args.owners)], args.concurrency)
            )
        with CpuMeter(servers, database) as cast_cpu:
            cast = asyncio.run(run_load(ports, [cast_job(s) for s in sessions], args.concurrency))
    finally:
        stop_servers(servers)
        teardown_django()

    if cast[1]:
        print(f"{len(cast[1])} casts failed; first: {cast[1][0]}", file=sys.stderr)
    from_base = summarise("GET /healthz (baseline)", base[0], base[2])
    from_cast = summarise("POST ballot (cast)", cast[0], cast[2])
    headers = [
        "request",
        "count",
        "per second",
        "p50 (ms)",
        "p99 (ms)",
        "ratio to baseline",
        "server CPU ms/req",
        "PostgreSQL CPU ms/req",
        "target",
    ]
    base_ms = base_cpu.per_request_ms(len(base[0]))
    cast_ms = cast_cpu.per_request_ms(len(cast[0]))
    met = from_cast["rate"] >= TARGET_RATE and from_cast["p99"] < TARGET_P99_MS and not cast[1]
    rows = [
        [
            from_base["name"],
            from_base["count"],
            f"{from_base['rate']:.0f}",
            f"{from_base['p50']:.1f}",
            f"{from_base['p99']:.1f}",
            "1.00",
            f"{base_ms[0]:.2f}",
            f"{base_ms[1]:.2f}",
            "",
        ],
        [
            from_cast["name"],
            f"{from_cast['count'] - len(cast[1])} ok / {from_cast['count']}",
            f"{from_cast['rate']:.0f}",
            f"{from_cast['p50']:.1f}",
            f"{from_cast['p99']:.1f}",
            f"{from_cast['rate'] / from_base['rate']:.2f}",
            f"{cast_ms[0]:.2f}",
            f"{cast_ms[1]:.2f}",
            f"≥ {TARGET_RATE}/s, p99 < {TARGET_P99_MS} ms: {'met' if met else 'NOT met'}",
        ],
    ]
    print(
        f"{args.owners} owners, {args.concurrency} concurrent clients, {workers} {args.server} "
        f"processes with {threads()} threads each, PostgreSQL"
    )
    print_table(rows, headers)
    if not args.no_record:
        record(rows, headers, args, workers)


def threads():
    """Request threads per worker (plumbing/asgi_http.py): ASGI_THREADS from the environment,
    else 2, which suits two cores (docs/operations.md)."""
    return int(os.environ.get("ASGI_THREADS") or 2)


def record(rows, headers, args, workers):
    date = subprocess.run(["date", "-u"], capture_output=True, text=True).stdout.strip()
    lines = [
        "",
        f"## Casting ballots over HTTP: {args.owners} owners ({date})",
        "",
        f"Machine: {machine_line()}",
        "",
        f"Command: `ASGI_THREADS={threads()} .venv/bin/python -m bench.cast "
        f"--owners {args.owners} --concurrency {args.concurrency} --workers {workers} "
        f"--server {args.server}`",
        "",
        "| " + " | ".join(headers) + " |",
        "|" + "---|" * len(headers),
        *("| " + " | ".join(str(c) for c in row) + " |" for row in rows),
        "",
        f"{workers} {args.server} processes and the load client share the machine's cores; "
        "PostgreSQL "
        "runs on the same machine. Each POST is a signed-in owner's ballot form (htmx fragment) "
        "through sessions, CSRF, permission checks, the unique constraint and the audit chain.",
        "",
    ]
    with open(ROOT / "bench" / "RESULTS.md", "a", encoding="utf-8") as out:
        out.write("\n".join(lines))


if __name__ == "__main__":
    main()
