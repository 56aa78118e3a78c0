"""A frame built once is the very frame each server would write (plumbing/wsframes.py), and a
consumer on an unknown server gets no direct writer."""

import asyncio
import collections
import contextlib
import functools

import pytest
from autobahn.twisted.websocket import WebSocketServerFactory, WebSocketServerProtocol
from twisted.internet.testing import StringTransport
from websockets.frames import Frame, Opcode

from plumbing.wsframes import BUFFER_BOUND, text_frame, writer_for

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


class _Transport:
    """An asyncio transport that keeps what is written (and says how much waits, if asked)."""

    def __init__(self):
        self.written = bytearray()
        self.waiting = 0  # bytes the kernel has not taken yet
        self.closing = False

    def write(self, data):
        self.written += data

    def get_write_buffer_size(self):
        return self.waiting

    def is_closing(self):
        return self.closing

    def get_extra_info(self, name, default=None):
        return {"sockname": ("127.0.0.1", 8000), "peername": ("127.0.0.1", 50000)}.get(
            name, default
        )

    def set_write_buffer_limits(self, high=None, low=None):
        pass

    def pause_reading(self):
        pass

    def resume_reading(self):
        pass

    def close(self):
        self.closing = True


HANDSHAKE = (
    b"GET /ws/ HTTP/1.1\r\nHost: 127.0.0.1:8000\r\nUpgrade: websocket\r\n"
    b"Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
    b"Sec-WebSocket-Version: 13\r\n\r\n"
)


async def _uvicorn_room(ws, *, deflate=False):
    """A real uvicorn protocol and Channels consumer (behind the session middleware) on a
    transport that records the bytes, after the handshake."""
    from channels.generic.websocket import AsyncWebsocketConsumer
    from channels.sessions import SessionMiddlewareStack
    from uvicorn.config import Config
    from uvicorn.server import ServerState

    accepted = asyncio.Event()
    consumers = []

    class Room(AsyncWebsocketConsumer):
        async def connect(self):
            await self.accept()
            consumers.append(self)
            accepted.set()

    config = Config(app=SessionMiddlewareStack(Room.as_asgi()), ws=ws, lifespan="off")
    config.ws_per_message_deflate = deflate
    config.load()
    protocol = config.ws_protocol_class(config=config, server_state=ServerState(), app_state={})
    transport = _Transport()
    protocol.connection_made(transport)
    offer = b"Sec-WebSocket-Extensions: permessage-deflate\r\n" if deflate else b""
    protocol.data_received(HANDSHAKE[:-2] + offer + b"\r\n")
    await asyncio.wait_for(accepted.wait(), 5)
    return protocol, transport, consumers[0]


TEXT = "<div id='room-status'>第3项议程</div>" * 50


@pytest.mark.asyncio
# Channels' consumer closes the thread's stale database connections on every message: one left
# open by an earlier test in this process would otherwise be refused by pytest-django.
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("ws", ["websockets", "websockets-sansio"])
async def test_on_uvicorn_a_frame_written_directly_is_what_the_consumer_s_send_writes(ws):
    protocol, transport, consumer = await _uvicorn_room(ws)
    await consumer.send(text_data=TEXT)  # the server's own framing, after its handshake
    sent = bytes(transport.written).split(b"\r\n\r\n", 1)[1]
    write = writer_for(consumer)
    del transport.written[:]
    assert write(text_frame(TEXT)) is True
    assert bytes(transport.written) == sent == text_frame(TEXT)

    transport.waiting = 10**6  # a phone that stopped reading: the consumer's send instead
    assert write(text_frame(TEXT)) is False
    transport.waiting = 0
    transport.closing = True  # closing: the consumer's send instead
    assert write(text_frame(TEXT)) is False
    protocol.connection_lost(None)


@pytest.mark.asyncio
# Channels' consumer closes the thread's stale database connections on every message: one left
# open by an earlier test in this process would otherwise be refused by pytest-django.
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("ws", ["websockets", "websockets-sansio"])
async def test_on_uvicorn_with_compression_negotiated_the_consumer_s_send_is_kept(ws):
    protocol, transport, consumer = await _uvicorn_room(ws, deflate=True)
    await consumer.send(text_data=TEXT)
    assert b"permessage-deflate" in bytes(transport.written)  # it was negotiated
    assert writer_for(consumer) is None
    protocol.connection_lost(None)


class _Reactor:
    """What a Twisted connection asks of its reactor here: to be told when to write."""

    def __init__(self):
        self.writers = set()

    def addWriter(self, writer):  # noqa: N802 - Twisted's names
        self.writers.add(writer)

    def removeWriter(self, writer):  # noqa: N802
        self.writers.discard(writer)

    def addReader(self, reader):  # noqa: N802
        pass

    def removeReader(self, reader):  # noqa: N802
        pass


def _daphne_room():
    """daphne's own server, protocol and Twisted TCP connection, as after the handshake, on
    one end of a socket pair (the phone reads the other); no reactor running."""
    import socket

    from autobahn.websocket.protocol import TrafficStats
    from daphne.server import Server
    from daphne.ws_protocol import WebSocketFactory
    from twisted.internet import tcp

    server = Server.__new__(Server)  # not started: only its reply path is used
    server.connections = {}
    factory = WebSocketFactory(server, server="daphne")
    factory.setProtocolOptions(maxMessagePayloadSize=16 * 2**20)
    protocol = factory.buildProtocol(("127.0.0.1", 50000))
    ours, phone = socket.socketpair()
    ours.setblocking(False)
    reactor = _Reactor()
    protocol.transport = tcp.Server(ours, protocol, ("127.0.0.1", 50000), None, 1, reactor)
    for name in protocol.CONFIG_ATTRS:  # what autobahn copies when the connection is made
        setattr(protocol, name, getattr(factory, name))
    protocol.trafficStats = TrafficStats()
    protocol.trackedTimings = None
    protocol.logOctets = protocol.logFrames = False
    protocol.send_queue = collections.deque()
    protocol.send_state = protocol.SEND_STATE_GROUND
    protocol._perMessageCompress = None  # no extension negotiated
    protocol.state = protocol.STATE_OPEN
    protocol.client_addr = ("127.0.0.1", 50000)
    server.connections[protocol] = {"connected": 0}
    consumer = _Consumer(functools.partial(server.handle_reply, protocol))
    return protocol, reactor, phone, consumer


def _read_all(phone):
    phone.setblocking(False)
    data = b""
    with contextlib.suppress(BlockingIOError):
        while chunk := phone.recv(2**20):
            data += chunk
    return data


def test_on_daphne_a_frame_goes_to_the_socket_as_the_server_would_send_it():
    protocol, reactor, phone, consumer = _daphne_room()
    write = writer_for(consumer)
    assert write is not None
    assert write(text_frame(TEXT)) is True  # nothing buffered: straight to the socket
    assert not reactor.writers
    protocol.handle_reply({"type": "websocket.send", "text": TEXT})  # daphne's own path
    transport = protocol.transport
    own = b"".join(transport._tempDataBuffer)
    assert own == text_frame(TEXT)
    assert write(text_frame("二")) is True  # queued behind daphne's own, in order
    assert b"".join(transport._tempDataBuffer) == own + text_frame("二")
    transport.doWrite()
    assert _read_all(phone) == text_frame(TEXT) * 2 + text_frame("二")


def test_on_daphne_a_connection_with_much_waiting_or_closing_keeps_the_server_s_path():
    protocol, reactor, phone, consumer = _daphne_room()
    write = writer_for(consumer)
    big = "议" * BUFFER_BOUND
    protocol.handle_reply({"type": "websocket.send", "text": big})  # not yet written out
    assert write(text_frame(TEXT)) is False
    transport = protocol.transport
    while transport.dataBuffer or transport._tempDataLen:  # the phone reads again
        transport.doWrite()
        _read_all(phone)
    assert write(text_frame(TEXT)) is True
    protocol.state = protocol.STATE_CLOSING
    assert write(text_frame(TEXT)) is False
