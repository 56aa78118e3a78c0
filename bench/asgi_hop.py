"""CPU per request of the HTTP handler's hop to its thread, in-process (no server, no network).

    .venv/bin/python -m bench.asgi_hop

Drives plumbing.asgi_http.SyncChainASGIHandler on uvloop with in-memory receive/send, GET
/robots.txt (a 404 through the whole middleware chain, no database: a database connection per
request on SQLite would drown the difference), and measures `time.process_time()` per request.
The baseline, in the same run, is Django's own ASGIHandler; beside it the same synchronous
chain hopping with asgiref's `sync_to_async` (as it did before `run_in_executor`). The three
alternate five times, 2,000 requests each. Nothing is recorded.
"""

import asyncio
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
        from django.core.handlers.asgi import ASGIHandler

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
                if messages:
                    return messages.pop()
                # The client stays: Django's own handler listens for a disconnect meanwhile.
                await asyncio.Event().wait()

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
            handlers = [ASGIHandler(), AsgirefHop(), SyncChainASGIHandler()]
            for handler in handlers:  # warm each
                await measure(handler, 300)
            return [[await measure(h, RUNS) for h in handlers] for _ in range(ROUNDS)]

        rounds = uvloop.run(run())
        medians = [sorted(r[i] for r in rounds)[ROUNDS // 2] for i in range(3)]
        names = [
            "Django's own ASGIHandler (baseline)",
            "synchronous chain, asgiref sync_to_async hop",
            "synchronous chain, run_in_executor hop (plumbing/asgi_http.py)",
        ]
        print(machine_line())
        print(f"GET /robots.txt in-process, {ROUNDS} alternating rounds of {RUNS}; medians")
        print_table(
            [
                (name, f"{value:.0f}", f"{value / medians[0]:.2f}")
                for name, value in zip(names, medians, strict=True)
            ],
            ["handler", "CPU µs / request", "ratio to baseline"],
        )
    finally:
        teardown_django()


if __name__ == "__main__":
    main()
