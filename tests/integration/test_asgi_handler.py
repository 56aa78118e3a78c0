"""The project's ASGI handler serves HTTP through the sync middleware chain, with or without a
limit on requests running at once."""

import asyncio
import io
import tempfile
import threading

import pytest
from asgiref.testing import ApplicationCommunicator

from plumbing.asgi_http import SyncChainASGIHandler

pytestmark = pytest.mark.django_db(transaction=True)


def http_scope(method, path, query=b"", headers=()):
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query,
        "root_path": "",
        "headers": [(b"host", b"127.0.0.1"), *headers],
        "client": ("127.0.0.1", 5000),
        "server": ("127.0.0.1", 80),
    }


def get(handler, path, query=b""):
    async def run():
        app = ApplicationCommunicator(handler, http_scope("GET", path, query))
        await app.send_input({"type": "http.request", "body": b""})
        start = await app.receive_output(timeout=10)
        body = await app.receive_output(timeout=10)
        return start["status"], body["body"]

    return asyncio.run(run())


def post(handler, path, body):
    """POST a form body in two chunks; returns the status."""
    headers = [
        (b"content-type", b"application/x-www-form-urlencoded"),
        (b"content-length", str(len(body)).encode()),
    ]

    async def run():
        app = ApplicationCommunicator(handler, http_scope("POST", path, headers=headers))
        half = len(body) // 2
        await app.send_input({"type": "http.request", "body": body[:half], "more_body": True})
        await app.send_input({"type": "http.request", "body": body[half:]})
        start = await app.receive_output(timeout=10)
        await app.receive_output(timeout=10)
        return start["status"]

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


def read(handler, chunks):
    messages = [
        {"type": "http.request", "body": chunk, "more_body": n < len(chunks) - 1}
        for n, chunk in enumerate(chunks)
    ]

    async def receive():
        return messages.pop(0)

    return asyncio.run(handler.read_body(receive))


def test_a_small_body_is_read_into_memory_and_a_large_one_spooled(settings):
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 100
    handler = SyncChainASGIHandler()
    small = read(handler, [b"a=1", b"&b=2"])
    assert isinstance(small, io.BytesIO) and small.read() == b"a=1&b=2"
    large = read(handler, [b"x" * 60, b"y" * 60, b"z" * 10])
    assert isinstance(large, tempfile.SpooledTemporaryFile)
    assert large.read() == b"x" * 60 + b"y" * 60 + b"z" * 10


def test_a_large_form_reaches_the_view_whole(client, settings):
    """Past FILE_UPLOAD_MAX_MEMORY_SIZE the body is spooled; Django still parses it (the sign-in
    form answers, with its errors, rather than failing on the body)."""
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 1000
    handler = SyncChainASGIHandler()
    body = b"login=" + b"x" * 5000 + b"&password=y"
    status = post(handler, "/accounts/login/", body)
    assert status in (200, 403)  # the form, or CSRF's refusal: a response either way


def test_a_streaming_response_stops_when_the_client_goes_away():
    """An endless stream to a client that has gone: sending stops and the response is closed
    (request_finished), instead of streaming into the void."""
    from django.core import signals
    from django.http import StreamingHttpResponse

    async def endless():
        while True:
            yield b"x" * 1000
            await asyncio.sleep(0)

    handler = SyncChainASGIHandler()
    response = StreamingHttpResponse(endless())
    finished, sent = [], []

    def on_finished(**kwargs):
        finished.append(True)

    async def receive():
        return {"type": "http.disconnect"}

    async def send(message):
        sent.append(message["type"])

    signals.request_finished.connect(on_finished)
    try:
        asyncio.run(asyncio.wait_for(handler._stream(response, receive, send), timeout=30))
    finally:
        signals.request_finished.disconnect(on_finished)
    assert finished == [True]
    assert sent[0] == "http.response.start"


def test_async_code_called_from_a_view_runs_on_the_servers_event_loop():
    """async_to_sync in a request (a live room's group_send, for one) runs its coroutine on
    the server's loop, where the in-memory channel layer's queues live."""
    from asgiref.sync import async_to_sync

    handler = SyncChainASGIHandler()

    async def running_loop():
        return asyncio.get_running_loop()

    def view_code():
        return async_to_sync(running_loop)(), threading.current_thread().name

    async def serve():
        loop_seen, thread = await handler._in_thread(view_code)
        return loop_seen is asyncio.get_running_loop(), thread

    same_loop, thread = asyncio.run(serve())
    assert same_loop and thread.startswith("gongyi-http")


# --- Bodies over REQUEST_MAX_BYTES are refused before they are read --------------------------

MB = 1024 * 1024


def send_big_body(handler, *, declared, chunks, cookie=b""):
    """POST `chunks` chunks of 1 MB to the handler; returns (status, page, chunks read)."""
    headers = [(b"content-type", b"application/octet-stream")]
    if declared is not None:
        headers.append((b"content-length", str(declared).encode()))
    if cookie:
        headers.append((b"cookie", cookie))
    read = []
    sent = []

    async def receive():
        read.append(1)
        more = len(read) < chunks
        return {"type": "http.request", "body": b"x" * MB, "more_body": more}

    async def send(message):
        sent.append(message)

    asyncio.run(handler(http_scope("POST", "/topics/new/", headers=headers), receive, send))
    page = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return sent[0]["status"], page.decode(), len(read)


def test_a_body_declared_too_large_is_refused_without_reading_it(settings):
    settings.REQUEST_MAX_BYTES = 10 * MB
    status, page, read = send_big_body(SyncChainASGIHandler(), declared=60 * MB, chunks=60)
    assert (status, read) == (413, 0)
    assert "上传的内容太大" in page and "10 MB" in page


def test_a_body_sent_without_a_length_is_refused_once_it_passes_the_limit(settings):
    settings.REQUEST_MAX_BYTES = 10 * MB
    status, page, read = send_big_body(SyncChainASGIHandler(), declared=None, chunks=60)
    assert status == 413
    assert read == 11  # the chunk that crossed the limit is the last one read


def test_a_body_longer_than_it_said_is_refused_too(settings):
    settings.REQUEST_MAX_BYTES = 10 * MB
    status, _, read = send_big_body(SyncChainASGIHandler(), declared=MB, chunks=60)
    assert (status, read) == (413, 11)


def test_the_refusal_is_in_english_on_request(settings):
    settings.REQUEST_MAX_BYTES = 10 * MB
    _, page, _ = send_big_body(
        SyncChainASGIHandler(), declared=60 * MB, chunks=60, cookie=b"django_language=en"
    )
    assert "The upload is too large" in page


def test_a_body_within_the_limit_reaches_the_view(settings):
    settings.REQUEST_MAX_BYTES = 10 * MB
    status, _, read = send_big_body(SyncChainASGIHandler(), declared=3 * MB, chunks=3)
    assert status != 413 and read == 3
