"""Work that waits a moment on the serving event loop and then goes once for all who asked.

A live vote's casts each change one line of the room ("n votes so far"). Sent per cast, a room
of a thousand screens voting twenty a second would get twenty thousand frames a second. A
`Batch` lets each worker process send such a change at most once per wait and key: `add(key,
items)` from any thread gathers the items, and when the wait ends `send(key, items)` runs once,
in a thread of its own, with everything gathered by then.

Which loop a thread serves is told by a context variable, not by asgiref's internals: the
HTTP handler (plumbing/asgi_http.py) sets it for each request's call, and `ServingLoop` wraps
the websocket application so a consumer's database threads (which run in a copy of the
consumer's context) see it. Code that serves no loop (a management command, the test
client) gets None from `serving_loop()`: it has nothing to wait on and sends at once.
"""

import asyncio
import contextvars
import logging
import threading
from functools import partial

from channels.db import database_sync_to_async

log = logging.getLogger(__name__)

_loop = contextvars.ContextVar("plumbing_serving_loop", default=None)


def serving_loop():
    """The running event loop the calling code works for, or None."""
    loop = _loop.get()
    return loop if loop is not None and loop.is_running() else None


def serve_from(loop):
    """Mark the current context as working for `loop` (the caller copies it into a thread)."""
    _loop.set(loop)


class ServingLoop:
    """ASGI middleware: the connection's code, and the threads it hands work to, serve the
    loop that runs it."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        _loop.set(asyncio.get_running_loop())
        return await self.app(scope, receive, send)


class Batch:
    """Items gathered per key that go out together after `wait()` seconds (see the module)."""

    def __init__(self, send, wait):
        self.send = send
        self.wait = wait
        self.waiting = {}  # key -> (event loop, items to send when the wait ends), this process
        self._lock = threading.Lock()
        self._running = set()  # send tasks, kept from the garbage collector

    def add(self, key, items):
        """Gather `items` for `key`; False (nothing gathered) where no loop is served."""
        loop = serving_loop()
        if loop is None:
            return False
        with self._lock:
            waiting = self.waiting.get(key)
            if waiting is not None and waiting[0] is loop:
                waiting[1].update(items)
                return True
            # None waits, or only on a loop that has stopped since (its timer went with it).
            self.waiting[key] = (loop, set(items))
        # In a context of its own: this thread's belongs to the work that is ending.
        fresh = contextvars.Context()
        loop.call_soon_threadsafe(
            partial(loop.call_later, self.wait(), self.flush, key, context=fresh)
        )
        return True

    def flush(self, key):
        """Send what waits for `key` now, on the running loop: where its wait ends."""
        with self._lock:
            _loop_, items = self.waiting.pop(key, (None, None))
        if items:
            task = asyncio.get_running_loop().create_task(self._send(key, items))
            self._running.add(task)
            task.add_done_callback(self._running.discard)

    async def _send(self, key, items):
        try:
            await database_sync_to_async(self.send, thread_sensitive=False)(key, items)
        except Exception:
            log.exception("%s: the waiting batch failed", key)
