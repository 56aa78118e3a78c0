"""A paced open-loop HTTP client for the load benchmarks, run in its own process.

Requests leave at a fixed rate (request i at start + i / rate) whatever the servers answer, so a
slow server shows up as latency instead of slowing the client down. Latency is measured from
the moment a request was due, not from when a connection was free (no coordinated omission).
The number of requests in flight is capped: a due request that finds the cap reached is not
sent and is counted as "not sent" (the servers could not keep up). Every wait is bounded and
the run stops by itself after `seconds`; connections go to 127.0.0.1 only.

    from bench._openloop import run_paced
    rows = run_paced(spec)     # spec: see `_paced`; blocks, the client runs in a child process

Each job is `(label, raw request bytes, meta)`; each result row is
`(label, status, latency ms, service ms, meta, extract(body))`, status 0 for a transport error
or a timeout, -1 for a request not sent. The rows also go to `spec["log"]` as JSON lines
(the client log) when given.
"""

import asyncio
import importlib
import json
import multiprocessing
import resource
import sys
import time

import uvloop

from bench._django import ROOT
from bench.cast import read_response

HOST = "127.0.0.1"
IDLE_S = 30  # keep-alive on the client's side, well under the servers' 75 s


async def _paced(spec):
    rate, seconds = spec["rate"], spec["seconds"]
    ports = spec["ports"]
    timeout = spec.get("timeout", 30)
    max_inflight = spec.get("max_inflight", 256)
    module, name = spec["jobs"]
    jobs = getattr(importlib.import_module(module), name)(*spec.get("jobs_args", ()))
    extract = None
    if spec.get("extract"):
        module, name = spec["extract"]
        extract = getattr(importlib.import_module(module), name)
    idle = {port: [] for port in ports}
    rows, inflight = [], set()
    counter = {"next_port": 0}

    async def connection(port):
        # A connection idle for longer than IDLE_S is closed, not reused: the servers close
        # theirs after 75 s of keep-alive, and a request written into a connection they
        # have just closed fails in transport without reaching them.
        while idle[port]:
            conn, since = idle[port].pop()
            if time.perf_counter() - since < IDLE_S:
                return conn
            conn[1].close()
        return await asyncio.open_connection(HOST, port)

    async def one(label, port, raw, meta, due):
        conn = None
        started = due
        try:
            conn = await asyncio.wait_for(connection(port), timeout)
            reader, writer = conn
            started = time.perf_counter()
            writer.write(raw)
            await writer.drain()
            status, body = await asyncio.wait_for(read_response(reader), timeout)
            done = time.perf_counter()
            idle[port].append((conn, done))
            conn = None
            value = extract(label, status, body) if extract else None
            rows.append((label, status, (done - due) * 1000, (done - started) * 1000, meta, value))
        except (TimeoutError, OSError, asyncio.IncompleteReadError, ValueError):
            done = time.perf_counter()
            rows.append((label, 0, (done - due) * 1000, (done - started) * 1000, meta, None))
        finally:
            if conn is not None:
                conn[1].close()

    start = time.perf_counter() + 0.2
    total = int(rate * seconds)
    for index in range(total):
        try:
            label, raw_for, meta = next(jobs)
        except StopIteration:
            break
        due = start + index / rate
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        if len(inflight) >= max_inflight:
            rows.append((label, -1, 0.0, 0.0, meta, None))
            continue
        port = ports[counter["next_port"] % len(ports)]
        counter["next_port"] += 1
        task = asyncio.create_task(one(label, port, raw_for(port), meta, due))
        inflight.add(task)
        task.add_done_callback(inflight.discard)
    if inflight:
        await asyncio.wait(inflight, timeout=timeout + 5)
    wall = time.perf_counter() - start
    for conns in idle.values():
        for (_reader, writer), _since in conns:
            writer.close()
    return rows, wall


def _child(spec, queue):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    sys.path.insert(0, str(ROOT))
    # uvloop, as the servers use: the client shares the machine's cores with them, and the
    # less CPU it takes per request the less it distorts what it measures.
    rows, wall = uvloop.run(_paced(spec))
    if spec.get("log"):
        with open(spec["log"], "w", encoding="utf-8") as out:
            for row in rows:
                out.write(json.dumps(row, ensure_ascii=False) + "\n")
    queue.put({"rows": rows, "wall": wall})


def run_paced(spec):
    """Run the paced client in a child process; return {"rows": [...], "wall": seconds}.

    `spec`: ports, rate (per second), seconds, jobs = (module, function) returning an
    iterator of jobs (called in the child with `jobs_args`), optional extract =
    (module, function)(label, status, body) -> value kept in the row, timeout (s),
    max_inflight, log (path of the JSON-lines client log).
    """
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    process = ctx.Process(target=_child, args=(spec, queue))
    process.start()
    try:
        result = queue.get(timeout=spec["seconds"] + spec.get("timeout", 30) + 120)
        process.join(timeout=30)
        return result
    finally:
        if process.is_alive():
            process.terminate()
            process.join(timeout=10)


def summary(rows, wall, label=None):
    """Counts and latency percentiles (from due time) of the rows with this label (or all)."""
    from bench.cast import percentile

    chosen = [r for r in rows if label is None or r[0] == label]
    sent = [r for r in chosen if r[1] != -1]
    ok = [r for r in sent if 200 <= r[1] < 400]
    latencies = [r[2] for r in ok] or [0.0]
    service = [r[3] for r in ok] or [0.0]
    return {
        "due": len(chosen),
        "sent": len(sent),
        "ok": len(ok),
        "errors": len(sent) - len(ok),
        "not_sent": len(chosen) - len(sent),
        "rate": len(ok) / wall if wall else 0.0,
        "p50": percentile(latencies, 0.50),
        "p99": percentile(latencies, 0.99),
        "service_p99": percentile(service, 0.99),
    }


def held(summary_, rate, p99_ms):
    """Whether a paced run held `rate` with a p99 under `p99_ms`: every request that came due
    was sent and answered OK, the answers' p99 from their due time stayed under the bound,
    and answers over wall time reached 98 % of the offered rate. Even a run that answers every
    request at once falls a little short of the full rate over wall time, whose clock also
    counts the flight of the last answers."""
    return (
        summary_["due"] > 0
        and summary_["ok"] == summary_["due"]
        and summary_["p99"] < p99_ms
        and summary_["rate"] >= rate * 0.98
    )
