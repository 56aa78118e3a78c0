import asyncio
import base64
import json
import os

import pytest
from channels.testing import WebsocketCommunicator

from config.asgi import application
from tests.asgi_process import asgi_process

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


@pytest.mark.parametrize("server", ["daphne", "uvicorn"])
def test_a_browser_offering_compression_gets_plain_frames(server, transactional_db):
    """Compression would cost each socket a compressor and every frame one compression per
    socket (docs/operations.md, "Per-message compression"): neither server accepts it."""
    from django.db import connection

    with asgi_process(connection.settings_dict, server) as base:
        port = int(base.rsplit(":", 1)[1])

        async def handshake():
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            key = base64.b64encode(os.urandom(16)).decode()
            writer.write(
                (
                    "GET /ws/health/ HTTP/1.1\r\n"
                    f"Host: 127.0.0.1:{port}\r\nOrigin: http://127.0.0.1:{port}\r\n"
                    "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                    f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
                    # What Chrome and Firefox send.
                    "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n"
                    "\r\n"
                ).encode()
            )
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 30)
            writer.close()
            return head.decode().lower()

        head = asyncio.run(handshake())
    assert " 101 " in head
    assert "sec-websocket-extensions" not in head
