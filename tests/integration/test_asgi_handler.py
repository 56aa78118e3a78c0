"""The project's ASGI handler serves HTTP through the sync middleware chain, with or without a
limit on requests running at once."""

import asyncio
import threading

import pytest
from asgiref.testing import ApplicationCommunicator

from config.asgi_http import SyncChainASGIHandler

pytestmark = pytest.mark.django_db(transaction=True)


def get(handler, path, query=b""):
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query,
        "root_path": "",
        "headers": [(b"host", b"127.0.0.1")],
        "client": ("127.0.0.1", 5000),
        "server": ("127.0.0.1", 80),
    }

    async def run():
        app = ApplicationCommunicator(handler, scope)
        await app.send_input({"type": "http.request", "body": b""})
        start = await app.receive_output(timeout=10)
        body = await app.receive_output(timeout=10)
        return start["status"], body["body"]

    return asyncio.run(run())


def test_the_handler_runs_the_middleware_chain_synchronously():
    from django.core.handlers.asgi import ASGIHandler

    assert asyncio.iscoroutinefunction(ASGIHandler()._middleware_chain)  # Django's: async
    handler = SyncChainASGIHandler()
    assert not asyncio.iscoroutinefunction(handler._middleware_chain)
    assert get(handler, "/healthz") == (200, b'{"status": "ok"}')


def test_a_request_lives_on_one_pool_thread_from_start_to_finish(settings):
    """request_started, the view and request_finished run in the same long-lived thread, so the
    database connection the view used goes back before the thread serves another request."""
    from django.core import signals

    settings.ASGI_THREADS = 2
    handler = SyncChainASGIHandler()
    seen = []

    def started(**kwargs):
        seen.append(("started", threading.current_thread().name))

    def finished(**kwargs):
        seen.append(("finished", threading.current_thread().name))

    signals.request_started.connect(started)
    signals.request_finished.connect(finished)
    try:
        for _ in range(6):
            assert get(handler, "/healthz")[0] == 200
    finally:
        signals.request_started.disconnect(started)
        signals.request_finished.disconnect(finished)
    assert len(seen) == 12
    for (event, thread), (other, same) in zip(seen[::2], seen[1::2], strict=True):
        assert (event, other) == ("started", "finished")
        assert thread == same and thread.startswith("gongyi-http")
    assert len({thread for _event, thread in seen}) <= 2  # the pool's threads, none started anew


def test_a_request_django_cannot_decode_gets_a_400():
    handler = SyncChainASGIHandler()
    assert get(handler, "/healthz", query=b"\xff=\xff")[0] == 400
