"""Django's ASGI handler, serving each request the way a threaded WSGI server would.

Every view and most middleware here are synchronous. Django's own ASGIHandler pays for that
on every request:

- it builds the middleware chain in async mode, so each async-capable middleware runs its hooks
  through sync_to_async and our synchronous PreferencesMiddleware switches back with
  async_to_sync: about eight hops between the event loop and a thread;
- it wraps the request in a ThreadSensitiveContext, which starts a new thread for that request
  and stops it afterwards, and sends request_started/request_finished from the event loop, two
  more hops to yet another thread.

Here the chain is synchronous and a request's whole synchronous life (request_started, the
middleware and view, rendering, request_finished for a non-streaming response) runs in one call
on a fixed pool of ASGI_THREADS threads per process. The threads live as long as the process,
so each keeps its own database connection handling and nothing is started per request;
requests beyond the pool wait on the event loop, not as threads contending for the GIL.
Websockets are untouched: Channels' consumers keep their own threads.

A request body over REQUEST_MAX_BYTES is refused with 413 before it is read: at once when its
Content-Length says so, else as soon as the bytes received pass the limit, so a worker never
reads (or spools to disk) a 60 MB body to refuse it afterwards.
"""

import asyncio
import contextvars
import io
import os
import tempfile
from concurrent.futures import ThreadPoolExecutor

from asgiref.sync import SyncToAsync
from django.conf import settings
from django.core import signals
from django.core.exceptions import RequestAborted
from django.core.handlers.asgi import ASGIHandler, get_script_prefix
from django.http import FileResponse, HttpResponse
from django.urls import set_script_prefix

from plumbing import batching


class SyncChainASGIHandler(ASGIHandler):
    def __init__(self):
        super().__init__()
        self.threads = max(1, getattr(settings, "ASGI_THREADS", 8))
        self._executor = ThreadPoolExecutor(self.threads, thread_name_prefix="gongyi-http")

    def load_middleware(self, is_async=False):
        super().load_middleware(is_async=False)

    def _in_thread(self, function, *args):
        """Run `function(*args)` on the pool, in a copy of the caller's context; async_to_sync
        inside it runs its coroutine on this event loop, as under asgiref's sync_to_async,
        whose other work per call (restoring context variables both ways, a shielded future,
        a new wrapper object) cost 18-25 % of a light request's CPU (bench/asgi_hop.py)."""
        loop = asyncio.get_running_loop()
        context = contextvars.copy_context()
        context.run(batching.serve_from, loop)
        return loop.run_in_executor(
            self._executor, context.run, _on_pool_thread, loop, function, args
        )

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            raise ValueError(f"Django can only handle ASGI/HTTP connections, not {scope['type']}.")
        await self.handle(scope, receive, send)

    async def handle(self, scope, receive, send):
        """ASGIHandler.handle (Django 5.2) with the synchronous work in one call on the pool.

        A synchronous view cannot be stopped when its client goes away, so only a streaming
        response, sent piece by piece after the view returns, is watched for a disconnect; a
        complete response is sent as it is, without the two tasks that watch costs."""
        limit = settings.REQUEST_MAX_BYTES
        if _declared_length(scope) > limit:
            # Refused on the headers: not one byte of the body is read.
            return await self._refuse_too_large(scope, send)
        try:
            body_file = await self.read_body(receive, limit)
        except RequestAborted:
            return
        except BodyTooLarge:
            return await self._refuse_too_large(scope, send)
        set_script_prefix(get_script_prefix(scope))
        request, error_response = self.create_request(scope, body_file)
        if request is None:
            body_file.close()
            await self.send_response(error_response, send)
            await self._in_thread(error_response.close)
            return
        try:
            response = await self._in_thread(self._respond, request, scope)
            if response.streaming:
                await self._stream(response, receive, send)
            else:
                await self.send_response(response, send)
        finally:
            body_file.close()

    async def _stream(self, response, receive, send):
        """Send a streaming response, stopping if the client goes away; then close it."""
        tasks = [
            asyncio.create_task(self.listen_for_disconnect(receive)),
            asyncio.create_task(self.send_response(response, send)),
        ]
        try:
            await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
            for task in tasks:
                if not task.done():
                    task.cancel()
                try:
                    await task
                except (asyncio.CancelledError, RequestAborted):
                    pass
        finally:
            await self._in_thread(response.close)

    async def read_body(self, receive, max_bytes=None):
        """The request body, in memory while it is small, as nearly all are (Django's own
        starts a SpooledTemporaryFile for each request), and spooled like Django's past
        FILE_UPLOAD_MAX_MEMORY_SIZE; BodyTooLarge as soon as it passes `max_bytes` (a body
        sent without a length, or longer than it said)."""
        limit = settings.FILE_UPLOAD_MAX_MEMORY_SIZE
        body = io.BytesIO()
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                body.close()
                raise RequestAborted()
            chunk = message.get("body")
            if chunk:
                if max_bytes is not None and body.tell() + len(chunk) > max_bytes:
                    body.close()
                    raise BodyTooLarge()
                if type(body) is io.BytesIO and body.tell() + len(chunk) > limit:
                    spooled = tempfile.SpooledTemporaryFile(max_size=limit, mode="w+b")
                    spooled.write(body.getbuffer())
                    body.close()
                    body = spooled
                body.write(chunk)
            if not message.get("more_body", False):
                break
        body.seek(0)
        return body

    async def _refuse_too_large(self, scope, send):
        """413 with a short page in the visitor's language (cookie or Accept-Language); the
        server closes the connection rather than read the rest of the body."""
        set_script_prefix(get_script_prefix(scope))
        request, error_response = self.create_request(scope, io.BytesIO())
        if request is None:
            response = error_response
        else:
            response = await self._in_thread(_too_large_page, request)
        response["Connection"] = "close"
        await self.send_response(response, send)

    def _respond(self, request, scope):
        signals.request_started.send(sender=self.__class__, scope=scope)
        response = self.get_response(request)
        response._handler_class = self.__class__
        if isinstance(response, FileResponse):
            response.block_size = self.chunk_size
        if not response.streaming:
            # The body is complete: close now, in the thread that used the database, so
            # request_finished hands this thread's connection back before the next request.
            response.close()
        return response


class BodyTooLarge(Exception):
    """The request body passed REQUEST_MAX_BYTES."""


def _declared_length(scope):
    for name, value in scope.get("headers") or ():
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return 0  # Django refuses it later; nothing large is read meanwhile
    return 0


def _too_large_page(request):
    from django.template.loader import render_to_string
    from django.utils import translation

    limit = settings.REQUEST_MAX_BYTES
    with translation.override(translation.get_language_from_request(request)):
        html = render_to_string("413.html", {"limit_mb": limit // (1024 * 1024)})
    return HttpResponse(html, status=413)


def _on_pool_thread(loop, function, args):
    # What asgiref's SyncToAsync.thread_handler tells AsyncToSync: the loop to run on.
    local = SyncToAsync.threadlocal
    local.main_event_loop = loop
    local.main_event_loop_pid = os.getpid()
    local.task_context = None
    return function(*args)


def get_asgi_application():
    """Like django.core.asgi.get_asgi_application, with the handler above."""
    import django

    django.setup(set_prefix=False)
    return SyncChainASGIHandler()
