"""The websocket client the room tests and benchmarks share gives up on a server that never
answers the handshake, instead of holding the test run until CI's limit."""

import asyncio
import socket

import pytest

from bench.wsclient import WebSocket


def test_a_server_that_never_answers_the_handshake_times_out():
    # Listening, but nothing accepts: the kernel completes the connection and the request waits
    # unread, as when a server process died behind the socket it was handed (tests/asgi_process).
    with socket.create_server(("127.0.0.1", 0)) as listener:
        port = listener.getsockname()[1]
        with pytest.raises(TimeoutError):
            asyncio.run(WebSocket.connect(f"ws://127.0.0.1:{port}/ws/health/", timeout=0.1))
