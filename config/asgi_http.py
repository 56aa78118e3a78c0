"""Django's ASGI handler with the middleware chain run synchronously, in one thread hop.

Every view and most middleware here are synchronous. Django's own ASGIHandler builds the chain
in async mode, so each async-capable middleware runs its hooks through sync_to_async and our
synchronous PreferencesMiddleware switches back with async_to_sync: about eight hops between
the event loop and a worker thread per request, each costing CPU time in the one process that
serves many requests. Here the whole chain and the view run in a single sync_to_async call
(thread-sensitive, one thread per request as in Django), which is what WSGI would do.

ASGI_SYNC_REQUESTS (settings, from the environment; 0 = no limit, Django's behaviour) caps how
many requests of a process run their sync code at once; the others wait on the event loop
instead of as threads contending for the GIL. See docs/operations.md for when to set it.
"""

import asyncio

from asgiref.sync import sync_to_async
from django.conf import settings
from django.core.handlers.asgi import ASGIHandler


class SyncChainASGIHandler(ASGIHandler):
    def __init__(self):
        super().__init__()
        self._limit = getattr(settings, "ASGI_SYNC_REQUESTS", 0)
        self._slots = None

    def load_middleware(self, is_async=False):
        super().load_middleware(is_async=False)

    async def get_response_async(self, request):
        respond = sync_to_async(self.get_response, thread_sensitive=True)
        if not self._limit:
            return await respond(request)
        if self._slots is None:  # created in the server's event loop
            self._slots = asyncio.Semaphore(self._limit)
        async with self._slots:
            return await respond(request)


def get_asgi_application():
    """Like django.core.asgi.get_asgi_application, with the handler above."""
    import django

    django.setup(set_prefix=False)
    return SyncChainASGIHandler()
