import json

import pytest
from channels.testing import WebsocketCommunicator

from config.asgi import application

# The consumer needs no database, but Channels closes stale connections in its worker thread on
# every handshake, and an earlier async test may have left one open there.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.asyncio
async def test_the_asgi_app_serves_websockets_and_echoes():
    communicator = WebsocketCommunicator(
        application,
        "/ws/health/",
        headers=[(b"origin", b"http://127.0.0.1"), (b"host", b"127.0.0.1")],
    )
    connected, _ = await communicator.connect()
    assert connected
    assert json.loads(await communicator.receive_from()) == {"status": "ok"}
    await communicator.send_to(text_data="ping")
    assert json.loads(await communicator.receive_from()) == {"echo": "ping"}
    await communicator.disconnect()


@pytest.mark.asyncio
async def test_a_foreign_origin_is_refused():
    communicator = WebsocketCommunicator(
        application,
        "/ws/health/",
        headers=[(b"origin", b"http://evil.example"), (b"host", b"127.0.0.1")],
    )
    connected, _ = await communicator.connect()
    assert not connected
