"""CPU per request of the HTTP handler's hop to its thread, in-process (no server, no network).

    .venv/bin/python -m bench.asgi_hop

Drives plumbing.asgi_http.SyncChainASGIHandler on uvloop with in-memory receive/send, GET
/robots.txt (a 404 through the whole middleware chain, no database: a database connection per
request on SQLite would drown the difference), and measures `time.process_time()` per request.
The baseline, in the same run, is the same handler hopping with asgiref's `sync_to_async` (as
it did before `run_in_executor`); the two alternate five times, 2,000 requests each. Nothing
is recorded.
"""

import os
import time

from bench._django import machine_line, print_table, setup_django, teardown_django

RUNS, ROUNDS = 2000, 5


def main():
    from bench.cast import SERVER_ENV

    os.environ.update(SERVER_ENV)  # the load benchmarks' server settings: DEBUG off
    os.environ.setdefault("ASGI_THREADS", "2")
    setup_django(name="asgi_hop")
    try:
        import uvloop
        from asgiref.sync import sync_to_async

        from plumbing.asgi_http import SyncChainASGIHandler

        class AsgirefHop(SyncChainASGIHandler):
            def _in_thread(self, function, *args):
                call = sync_to_async(function, thread_sensitive=False, executor=self._executor)
                return call(*args)

        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": "GET",
            "scheme": "http",
            "path": "/robots.txt",
            "raw_path": b"/robots.txt",
            "query_string": b"",
            "root_path": "",
            "headers": [(b"host", b"127.0.0.1")],
            "client": ("127.0.0.1", 5000),
            "server": ("127.0.0.1", 80),
        }

        async def one(handler):
            messages = [{"type": "http.request", "body": b""}]
            sent = []

            async def receive():
                return messages.pop() if messages else {"type": "http.disconnect"}

            async def send(message):
                sent.append(message)

            await handler(scope, receive, send)
            assert sent[0]["status"] < 500, sent[0]

        async def measure(handler, runs):
            start = time.process_time()
            for _ in range(runs):
                await one(handler)
            return (time.process_time() - start) * 1e6 / runs

        async def run():
            old, new = AsgirefHop(), SyncChainASGIHandler()
            await measure(old, 300)  # warm both
            await measure(new, 300)
            pairs = [(await measure(old, RUNS), await measure(new, RUNS)) for _ in range(ROUNDS)]
            return pairs

        pairs = uvloop.run(run())
        old = sorted(p[0] for p in pairs)[ROUNDS // 2]
        new = sorted(p[1] for p in pairs)[ROUNDS // 2]
        print(machine_line())
        print(f"GET /robots.txt in-process, {ROUNDS} alternating rounds of {RUNS}; medians")
        print_table(
            [
                ("asgiref sync_to_async hop (baseline)", f"{old:.0f}", "1.00"),
                ("run_in_executor hop", f"{new:.0f}", f"{new / old:.2f}"),
            ],
            ["handler", "CPU µs / request", "ratio to baseline"],
        )
    finally:
        teardown_django()


if __name__ == "__main__":
    main()
