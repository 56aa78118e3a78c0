"""The live room at scale: 1,000 sockets in one room, two daphne workers, Redis, PostgreSQL.

`--server uvicorn` runs the workers as production does (docs/operations.md) instead.

Run from the repository root (Redis and PostgreSQL on 127.0.0.1):

    .venv/bin/python -m bench.room                 # 1,000 clients, 50 agenda moves
    .venv/bin/python -m bench.room --clients 200 --rounds 10
    .venv/bin/python -m bench.room --clients 5000 --target-ms 500   # a large estate's room

On a machine shared with others: `--ports 8110 8111` puts the two workers on those ports,
`--redis-url redis://127.0.0.1:6379/3` on another Redis database, `--database-name NAME` names
the throwaway PostgreSQL database (default: test_ and the URL's name).

The chair advances the agenda `--rounds` times. For each move we time from the chair's command
leaving its socket to the moment the last of the clients has the new item on screen (p50/p99
over the rounds), and every single delivery as well. The peer, measured in the same run on the
same sockets and interleaved with it (move, peer, move, peer ...), is plain Channels: the very
frame the move put on the screens, group-sent again through the Redis layer to the room's
control group, which every socket's consumer joins with a channel of its own: Channels' own
fan-out, one message and one consumer wake-up per socket (no command, no database, no
rendering). Besides the latencies, each kind of
round records the workers' CPU time (both daphne processes, from /proc), the client process's
own CPU time (it shares the machine's cores with the workers) and the load average.
Memory per connection is the growth of both workers' resident memory divided by the clients.

The clients run in a separate process on loopback; their number and every wait are bounded.
They share the machine's cores with the workers, so they are lean: one asyncio.Protocol per
socket that parses frames as the bytes arrive and hands each message to a function
(bench.wsclient.LeanWebSocket), no stream reader and no task per socket, on uvloop; each
message is still decoded and searched for the round's marker. The peer's rounds and the
moves' use the same sockets, so both are measured alike. (Before 2026-12-06: a task per
socket reading through asyncio streams on asyncio's own loop, about twice the clients' CPU
per message.)
More clients than this process may open files for is refused with a message, never clamped.
"""

import argparse
import asyncio
import functools
import json
import multiprocessing
import os
import resource
import signal
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path
from queue import Empty

from bench._compare import load_average
from bench._compare import markdown as markdown_block
from bench._django import ROOT, machine_line, print_table, setup_django, teardown_django

DATABASE_URL = "postgres://postgres@127.0.0.1:5432/gongyi_bench_room"
REDIS_URL = "redis://127.0.0.1:6379/0"
TARGET_P99_MS = 300
CONNECT_CONCURRENCY = 20
CONNECT_TIMEOUT_S = 300  # per 1,000 clients: a busy machine connects about 15-30 a second


def connect_budget(clients):
    """Seconds the clients may take to connect (and get their snapshots), all of them."""
    return CONNECT_TIMEOUT_S * max(1.0, clients / 1000)


ROUND_TIMEOUT_S = 30
FILES_PER_CLIENT = 1  # one socket each; plus a margin for the rest of the process
FILE_MARGIN = 200
# The room's per-socket limit is a burst of 5, then 2 commands a second: pace the chair.
COMMAND_INTERVAL_S = 0.55
SECRET = "bench-only-secret-key-0123456789abcdefghijklmnopqrstuvwxyz-0123456789"  # noqa: S105


def _env(prefix, redis_url=REDIS_URL):
    return {
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DEBUG": "false",
        "SECRET_KEY": SECRET,
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SECURE_SSL_REDIRECT": "false",
        "REDIS_URL": redis_url,
        "CHANNEL_PREFIX": prefix,
        "LOG_LEVEL": "ERROR",
    }


# ---------------------------------------------------------------- the servers


def server_command(server, fd):
    """daphne as `make run` serves, or uvicorn with the options production uses."""
    if server == "uvicorn":
        from bench.cast import UVICORN_OPTIONS  # only this server's runs need them

        uvicorn = str(Path(sys.executable).with_name("uvicorn"))
        return [uvicorn, "--fd", str(fd), *UVICORN_OPTIONS, "config.asgi:application"]
    daphne = str(Path(sys.executable).with_name("daphne"))
    return [
        daphne,
        "--fd",
        str(fd),
        # A thousand phones arriving at once queue for the database; give them time.
        "--websocket_connect_timeout",
        "60",
        # With 5,000 seats the chair's snapshot (the attendance list) is about 1.9 MB:
        # daphne would refuse to send it (1 MiB); uvicorn's limit, 16 MiB, as deployed.
        "--websocket-max-message-size",
        str(16 * 2**20),
        "config.asgi:application",
    ]


class Worker:
    """One daphne (or uvicorn) process on a socket bound here (no readiness polling needed)."""

    def __init__(self, database_url, prefix, *, port=0, redis_url=REDIS_URL, server="daphne"):
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", port))
        self.listener.listen(4096)
        self.port = self.listener.getsockname()[1]
        env = {**os.environ, **_env(prefix, redis_url), "DATABASE_URL": database_url}
        self.process = subprocess.Popen(
            server_command(server, self.listener.fileno()),
            cwd=ROOT,
            env=env,
            pass_fds=[self.listener.fileno()],
            stdout=subprocess.DEVNULL,
        )

    @property
    def url(self):
        return f"ws://127.0.0.1:{self.port}"

    def rss_kib(self):
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        return 0

    def stop(self):
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.listener.close()


# ---------------------------------------------------------------- the room


def make_room(clients, rounds):
    """A live meeting with `rounds` + 1 items, a chair and `clients` seated people."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.auth.hashers import make_password
    from django.utils import timezone

    from accounts.models import User
    from accounts.sessions import SessionStore
    from deliberation.models import Community, Membership, Role
    from meetings.models import AgendaItem, Meeting, Participant, SeatRole, Status

    community = Community.objects.create(name="基准社区")
    password = make_password(None)  # nobody logs in: the sessions are made here
    users = User.objects.bulk_create(
        [
            User(
                email=f"bench{n}@example.com",
                phone=f"+86139{n:08d}",
                real_name=f"居民{n}",
                password=password,
            )
            for n in range(clients + 1)
        ]
    )
    chair = users[0]
    Membership.objects.bulk_create(
        [Membership(user=u, community=community, role=Role.RESIDENT) for u in users[1:]]
        + [Membership(user=chair, community=community, role=Role.PARTY_SECRETARY)]
    )
    meeting = Meeting.objects.create(
        community=community,
        kind="consultation",
        title="基准协商会",
        chair=chair,
        place="议事厅",
        starts_at=timezone.now(),
        status=Status.LIVE,
        created_by=chair,
    )
    AgendaItem.objects.bulk_create(
        [
            AgendaItem(meeting=meeting, position=n, title=f"第{n}项议程")
            for n in range(1, rounds + 2)
        ]
    )
    Participant.objects.bulk_create(
        [
            Participant(meeting=meeting, user=u, name=u.real_name, role=SeatRole.REPRESENTATIVE)
            for u in users[1:]
        ]
    )
    cookies = []
    for user in users:
        session = SessionStore()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = "accounts.backends.ModelBackend"
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.create()
        cookies.append(f"sessionid={session.session_key}")
    item_ids = list(meeting.items.order_by("position").values_list("pk", flat=True))
    return meeting.pk, cookies[0], cookies[1:], item_ids


# ---------------------------------------------------------------- the load client


def _percentile(values, share):
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(share * len(ordered) + 0.5) - 1))
    return ordered[index]


def _cpu_seconds(pids):
    """User + system CPU seconds of the processes `pids` so far (Linux /proc)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / ticks


class Round:
    def __init__(self, marker, total):
        self.marker, self.total = marker, total
        self.arrivals = []
        self.done = asyncio.Event()
        self.t0 = 0.0
        self.frame = ""


async def _client_main(spec):
    from bench.wsclient import LeanWebSocket

    workers, cookies = spec["workers"], spec["cookies"]
    path = f"/ws/meetings/{spec['meeting_id']}/"
    gate = asyncio.Semaphore(CONNECT_CONCURRENCY)
    sockets, sizes, tasks = [], [], []
    current = {"round": None}
    seen = {}

    def reader(index, text):
        # Called as each message completes (from the start, so the socket answers the
        # server's pings while others connect); None once the socket is closed.
        if text is None:
            return
        now = time.monotonic()
        rnd = current["round"]
        if rnd is not None and seen.get(index) is not rnd and rnd.marker in text:
            seen[index] = rnd
            rnd.arrivals.append((now, len(text)))
            rnd.frame = rnd.frame or text
            if len(rnd.arrivals) == rnd.total:
                rnd.done.set()

    async def open_one(n, cookie):
        async with gate:
            ws = await LeanWebSocket.connect(
                workers[n % len(workers)] + path, cookie=cookie, origin="http://127.0.0.1"
            )
            first = await asyncio.wait_for(ws.recv(), ROUND_TIMEOUT_S)
            sizes.append(len(first))
            ws.on_message = functools.partial(reader, len(sockets))
            while ws.messages:
                ws.on_message(ws.messages.popleft())
            sockets.append(ws)

    started = time.monotonic()
    await asyncio.wait_for(
        asyncio.gather(*(open_one(n, c) for n, c in enumerate(cookies))),
        connect_budget(len(cookies)),
    )
    connect_s = time.monotonic() - started
    chair = await LeanWebSocket.connect(
        workers[0] + path, cookie=spec["chair_cookie"], origin="http://127.0.0.1"
    )
    await chair.recv()

    async def drain_chair():
        while await chair.recv() is not None:
            pass

    tasks.append(asyncio.create_task(drain_chair()))
    spec["queue"].put({"connected": len(sockets), "connect_s": connect_s})
    # The parent measures the workers' memory meanwhile.
    await asyncio.get_running_loop().run_in_executor(None, spec["go"].wait)

    async def run_round(marker, send):
        rnd = Round(marker, len(sockets))
        current["round"] = rnd
        rnd.t0 = time.monotonic()
        await send()
        try:
            await asyncio.wait_for(rnd.done.wait(), ROUND_TIMEOUT_S)
        except TimeoutError:
            pass  # what did not arrive counts as missing, at the round's time limit
        missing = rnd.total - len(rnd.arrivals)
        latencies = [(t - rnd.t0) * 1000 for t, _size in rnd.arrivals]
        latencies += [ROUND_TIMEOUT_S * 1000.0] * missing
        size = rnd.arrivals[-1][1] if rnd.arrivals else 0
        return latencies, size, rnd.frame, missing

    from channels_redis.pubsub import RedisPubSubChannelLayer

    layer = RedisPubSubChannelLayer(hosts=[spec["redis_url"]], prefix=spec["prefix"])
    pids = spec["worker_pids"]
    commands, baseline, frame_size = [], [], 0
    cpu = {"commands": 0.0, "baseline": 0.0}
    client_cpu = {"commands": 0.0, "baseline": 0.0}  # this process: the clients' own share
    loads = {"commands": [], "baseline": []}
    missing = {"commands": 0, "baseline": 0}
    previous = 0
    for n, item_id in enumerate(spec["item_ids"][: spec["rounds"]]):
        began = time.monotonic()
        marker = f'data-current-item="{item_id}"'
        payload = json.dumps({"command": "next_item", "current": previous})
        before, mine = _cpu_seconds(pids), time.process_time()
        result, size, frame, lost = await run_round(marker, lambda p=payload: chair.send(p))
        frame_size = size or frame_size
        missing["commands"] += lost
        cpu["commands"] += _cpu_seconds(pids) - before
        client_cpu["commands"] += time.process_time() - mine
        loads["commands"].append(os.getloadavg()[0])
        commands.append(result)
        previous = item_id

        async def send(frame=frame):  # the same frame, to every socket's own consumer
            await layer.group_send(
                f"meeting-{spec['meeting_id']}-all", {"type": "room.html", "html": frame}
            )

        before, mine = _cpu_seconds(pids), time.process_time()
        result, _size, _frame, lost = await run_round(marker, send)
        missing["baseline"] += lost
        cpu["baseline"] += _cpu_seconds(pids) - before
        client_cpu["baseline"] += time.process_time() - mine
        loads["baseline"].append(os.getloadavg()[0])
        baseline.append(result)
        rest = COMMAND_INTERVAL_S - (time.monotonic() - began)
        if rest > 0 and n + 1 < spec["rounds"]:
            await asyncio.sleep(rest)

    await layer.flush()
    for task in tasks:
        task.cancel()
    for ws in [*sockets, chair]:
        await ws.close()
    spec["queue"].put(
        {
            "commands": commands,
            "baseline": baseline,
            "cpu": cpu,
            "client_cpu": client_cpu,
            "loads": loads,
            "missing": missing,
            "frame_size": frame_size,
            "snapshot_size": statistics.median(sizes),
        }
    )


def _wait_for(queue, client, timeout):
    """The client's next report; stop at once if the client process died without one."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return queue.get(timeout=5)
        except Empty:
            if not client.is_alive():
                raise SystemExit(
                    "the client process ended without its figures (see above)"
                ) from None
            if time.monotonic() > deadline:
                raise


def _client_process(spec):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    sys.path.insert(0, str(ROOT))
    import uvloop  # the clients' loop only: the workers run what their server runs

    uvloop.run(_client_main(spec))


# ---------------------------------------------------------------- the run


async def _warm_up(workers, meeting_id, cookie):
    """One room connection per worker, so Django, templates and the layer are loaded."""
    from bench.wsclient import WebSocket

    for worker in workers:
        ws = await WebSocket.connect(
            f"{worker.url}/ws/meetings/{meeting_id}/", cookie=cookie, origin="http://127.0.0.1"
        )
        await asyncio.wait_for(ws.recv(), ROUND_TIMEOUT_S)
        await ws.close()


def _summary(label, rounds, cpu, client_cpu, loads, target=None):
    last = [max(r) for r in rounds]
    every = [x for r in rounds for x in r]
    p99 = _percentile(last, 0.99)
    verdict = "—"
    if target is not None:
        verdict = "met" if p99 <= target else "missed"
    return [
        label,
        f"{statistics.median(last):.0f}",
        f"{p99:.0f}",
        f"{statistics.median(every):.0f}",
        f"{_percentile(every, 0.99):.0f}",
        f"{cpu * 1000 / len(rounds):.0f}",
        f"{client_cpu * 1000 / len(rounds):.0f}",
        f"{min(loads):.1f}–{max(loads):.1f}",
        f"p99 ≤ {target} ms" if target else "—",
        verdict,
    ]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=50)
    parser.add_argument("--target-ms", type=int, default=TARGET_P99_MS, help="p99 target")
    parser.add_argument("--database-url", default=DATABASE_URL)
    parser.add_argument("--database-name", default=None, help="the throwaway database's name")
    parser.add_argument("--redis-url", default=REDIS_URL)
    parser.add_argument("--server", choices=("daphne", "uvicorn"), default="daphne")
    parser.add_argument(
        "--ports", type=int, nargs=2, default=(0, 0), help="the two workers' ports (0: any)"
    )
    args = parser.parse_args()
    clients = args.clients
    if clients < 1:
        parser.error("--clients must be at least 1")
    if args.ports[0] and args.ports[0] == args.ports[1]:
        parser.error("--ports: two different ports, one per worker")
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and clients * FILES_PER_CLIENT + FILE_MARGIN > hard:
        parser.error(
            f"--clients {clients} needs about {clients + FILE_MARGIN} open files in the client "
            f"process, and this system allows {hard} (ulimit -Hn): raise the limit or use "
            f"at most {hard - FILE_MARGIN} clients"
        )
    prefix = f"gongyi-bench-{os.getpid()}"
    os.environ.update(_env(prefix, args.redis_url))
    setup_django(database_url=args.database_url, name="room", test_name=args.database_name)
    from django.db import connection

    from tests.asgi_process import database_url

    workers = []
    client = None
    try:
        meeting_id, chair_cookie, cookies, item_ids = make_room(clients, args.rounds)
        url = database_url(connection.settings_dict)
        connection.close()
        workers = [
            Worker(url, prefix, port=port, redis_url=args.redis_url, server=args.server)
            for port in args.ports
        ]
        asyncio.run(_warm_up(workers, meeting_id, chair_cookie))
        before = [w.rss_kib() for w in workers]
        ctx = multiprocessing.get_context("spawn")
        queue, go = ctx.Queue(), ctx.Event()
        spec = {
            "workers": [w.url for w in workers],
            "cookies": cookies,
            "chair_cookie": chair_cookie,
            "meeting_id": meeting_id,
            "item_ids": item_ids,
            "rounds": args.rounds,
            "prefix": prefix,
            "redis_url": args.redis_url,
            "worker_pids": [w.process.pid for w in workers],
            "queue": queue,
            "go": go,
        }
        client = ctx.Process(target=_client_process, args=(spec,))
        client.start()
        ready = _wait_for(queue, client, connect_budget(clients) + 60)
        after = [w.rss_kib() for w in workers]
        go.set()
        result = _wait_for(queue, client, args.rounds * 2 * (ROUND_TIMEOUT_S + 1) + 60)
        client.join(timeout=30)
    finally:
        if client is not None and client.is_alive():
            client.terminate()
        for worker in workers:
            worker.stop()
        teardown_django()

    per_connection = (sum(after) - sum(before)) / ready["connected"]
    rows = [
        _summary(
            "peer: plain Channels group_send of the same frame",
            result["baseline"],
            result["cpu"]["baseline"],
            result["client_cpu"]["baseline"],
            result["loads"]["baseline"],
        ),
        _summary(
            "chair's next_item → new item on every screen",
            result["commands"],
            result["cpu"]["commands"],
            result["client_cpu"]["commands"],
            result["loads"]["commands"],
            args.target_ms,
        ),
    ]
    ratio_p50 = float(rows[1][1]) / (float(rows[0][1]) or 1)
    ratio_p99 = float(rows[1][2]) / (float(rows[0][2]) or 1)
    headers = [
        "figure",
        "p50 last ms",
        "p99 last ms",
        "p50 each ms",
        "p99 each ms",
        "workers' CPU ms per round",
        "clients' CPU ms per round",
        "load (1 min)",
        "target",
        "verdict",
    ]
    summary = (
        f"{ready['connected']} clients over 2 {args.server} workers, Redis pub/sub layer, "
        "PostgreSQL;"
        f" {args.rounds} agenda moves interleaved with {args.rounds} peer rounds; clients "
        f"connected in {ready['connect_s']:.1f} s; frame per move {result['frame_size']} B; "
        f"snapshot on connect {result['snapshot_size']:.0f} B"
    )
    print(summary)
    print(f"{machine_line()}; load average {load_average()}")
    print_table(rows, headers)
    ratios = f"this ÷ peer: p50 {ratio_p50:.2f}×, p99 {ratio_p99:.2f}× (wall clock)"
    memory = (
        f"memory per connection: {per_connection:.0f} KiB "
        f"(workers {sum(before) // 1024} → {sum(after) // 1024} MiB)"
    )
    lost = (
        f"deliveries missing after {ROUND_TIMEOUT_S} s (counted at {ROUND_TIMEOUT_S} s above): "
        f"{result['missing']['commands']} of the moves', {result['missing']['baseline']} of "
        "the peer's"
    )
    print(ratios)
    print(memory)
    print(lost)
    print()
    print(
        markdown_block(
            f"room: {ready['connected']} sockets, {args.rounds} moves",
            ".venv/bin/python -m bench.room " + " ".join(sys.argv[1:]),
            rows,
            headers,
            notes=[summary, ratios, memory, lost],
        )
    )


if __name__ == "__main__":
    main()
