"""Django's ASGI handler with the middleware chain run synchronously, in one thread hop.

Every view and most middleware here are synchronous. Django's own ASGIHandler builds the chain
in async mode, so each async-capable middleware runs its hooks through sync_to_async and our
synchronous PreferencesMiddleware switches back with async_to_sync: about eight hops between
the event loop and a worker thread per request, each costing CPU time in the one process that
serves many requests. Here the whole chain and the view run in a single sync_to_async call
(thread-sensitive, one thread per request as in Django), which is what WSGI would do.
"""

from asgiref.sync import sync_to_async
from django.core.handlers.asgi import ASGIHandler


class SyncChainASGIHandler(ASGIHandler):
    def load_middleware(self, is_async=False):
        super().load_middleware(is_async=False)

    async def get_response_async(self, request):
        return await sync_to_async(self.get_response, thread_sensitive=True)(request)


def get_asgi_application():
    """Like django.core.asgi.get_asgi_application, with the handler above."""
    import django

    django.setup(set_prefix=False)
    return SyncChainASGIHandler()
