"""ASGI entry point: HTTP through Django, websockets through Channels' router."""

import os

from plumbing.asgi_http import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from meetings.routing import websocket_urlpatterns  # noqa: E402
from plumbing import collector  # noqa: E402
from plumbing.batching import ServingLoop  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        # ServingLoop: the room's batched counts wait on the loop that serves the socket.
        "websocket": ServingLoop(
            AllowedHostsOriginValidator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns)))
        ),
    }
)

collector.settle()  # a worker's heap is long-lived; see plumbing/collector.py
