"""The project's ASGI handler serves HTTP through the sync middleware chain, with or without a
limit on requests running at once."""

import asyncio

import pytest
from asgiref.testing import ApplicationCommunicator

from config.asgi_http import SyncChainASGIHandler

pytestmark = pytest.mark.django_db(transaction=True)


def get(handler, path):
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
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


def test_the_handler_serves_with_a_limit_on_requests_at_once(settings):
    settings.ASGI_SYNC_REQUESTS = 1
    handler = SyncChainASGIHandler()
    assert handler._limit == 1
    assert get(handler, "/healthz") == (200, b'{"status": "ok"}')
    assert get(handler, "/healthz")[0] == 200
