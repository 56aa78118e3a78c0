"""A frame built once is the very frame each server would write (plumbing/wsframes.py), and a
consumer on an unknown server gets no direct writer."""

import pytest
from autobahn.twisted.websocket import WebSocketServerFactory, WebSocketServerProtocol
from twisted.internet.testing import StringTransport
from websockets.frames import Frame, Opcode

from plumbing.wsframes import text_frame, writer_for

# Short, 16-bit and 64-bit lengths, with the room's Chinese.
TEXTS = ["", "开会", "<div id='room-status'>第3项议程</div>" * 50, "居民" * 40_000]


@pytest.mark.parametrize("text", TEXTS, ids=["empty", "short", "medium", "long"])
def test_the_frame_is_what_uvicorn_s_websockets_writes(text):
    expected = Frame(Opcode.TEXT, text.encode()).serialize(mask=False, extensions=[])
    assert text_frame(text) == expected


@pytest.mark.parametrize("text", TEXTS, ids=["empty", "short", "medium", "long"])
def test_the_frame_is_what_daphne_s_autobahn_writes(text):
    factory = WebSocketServerFactory()
    factory.protocol = WebSocketServerProtocol
    protocol = factory.buildProtocol(None)
    transport = StringTransport()
    protocol.makeConnection(transport)
    transport.clear()
    protocol.state = protocol.STATE_OPEN  # as after the handshake
    protocol.sendMessage(text.encode())
    assert text_frame(text) == transport.value()


class _Wrapper:
    async def send(self, message):
        pass


class _Consumer:
    def __init__(self, base_send):
        self.base_send = base_send


def test_an_unknown_server_or_wrapper_gets_no_direct_writer():
    async def send(message):
        pass

    assert writer_for(_Consumer(send)) is None  # a plain function, as a test communicator's
    assert writer_for(_Consumer(_Wrapper().send)) is None  # a middleware not known here
    assert writer_for(object()) is None  # not a consumer
