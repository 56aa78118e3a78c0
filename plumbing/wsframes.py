"""One websocket text frame, built once, written to many sockets' connections as it is.

A server never masks what it sends (RFC 6455, 5.1), so without an extension the bytes of a
text frame depend on its text alone: every socket would get the very bytes. The servers
build them anew for each socket (daphne through autobahn, uvicorn through websockets), and
that, with the ASGI `send` around it, is most of what a broadcast costs a worker. Here
`text_frame(text)` builds them once, and `writer_for(consumer)` finds the connection behind
a Channels consumer's ASGI `send` and returns a function that writes them to it directly.

The direct write is taken only where it is exactly what the server would have done: the
connection open (handshake done, no close sent or started), no extension (per-message
compression) negotiated, nothing of the server's own half-written or queued, and less than
`BUFFER_BOUND` bytes waiting in the connection's write buffer. Otherwise the function returns
False and the caller uses the consumer's own `send`, which waits where the server makes it
wait (uvicorn's flow control) or checks what it checks; so a phone that stops reading gets
its frames the old way, behind the ones already waiting. For a server or a wrapper around
`send` not known here (a test's in-memory communicator, another ASGI server),
`writer_for` returns None: nothing changes.

Known: daphne (autobahn's protocol on Twisted, `send` is `partial(server.handle_reply,
protocol)`), uvicorn's `websockets` implementation (production's, `--ws websockets`) and its
`websockets-sansio` one (uvicorn's default when `websockets` is installed), through
Channels' session middleware, which hands a `websocket.send` on untouched. With daphne (plain
TCP; behind TLS it keeps its own path) the frame goes straight to the socket when Twisted has
nothing buffered for it, as asyncio's transports do, so the reactor need not be woken for a
write it can finish at once.
"""

import functools
import struct
import sys

BUFFER_BOUND = 64 * 1024  # the servers' own high-water mark (websockets' write_limit, Twisted)
_WRAPPERS_MAX = 4  # middleware layers to look through


def text_frame(text):
    """The bytes of one unmasked, unfragmented, uncompressed text frame carrying `text`."""
    payload = text.encode()
    length = len(payload)
    if length < 126:
        header = struct.pack("!BB", 0x81, length)
    elif length < 65536:
        header = struct.pack("!BBH", 0x81, 126, length)
    else:
        header = struct.pack("!BBQ", 0x81, 127, length)
    return header + payload


def writer_for(consumer):
    """`write(frame) -> bool` for `consumer`'s connection, or None for an unknown server.

    Call it once the socket is accepted: what the handshake negotiated is checked here."""
    try:
        return _writer_for(consumer)
    except AttributeError:  # a version of the server whose insides differ: its own path
        return None


def _writer_for(consumer):
    send = getattr(consumer, "base_send", None)
    for _ in range(_WRAPPERS_MAX):
        if isinstance(send, functools.partial):
            return _daphne(send)
        owner = getattr(send, "__self__", None)
        if owner is None:
            return None
        if _is(owner, "channels.sessions", "InstanceSessionWrapper"):
            send = owner.real_send  # passes websocket.send on untouched
            continue
        if _is(owner, "uvicorn.protocols.websockets.websockets_impl", "WebSocketProtocol"):
            return _uvicorn_websockets(owner) if send.__name__ == "asgi_send" else None
        if _is(
            owner, "uvicorn.protocols.websockets.websockets_sansio_impl", "WebSocketsSansIOProtocol"
        ):
            return _uvicorn_sansio(owner) if send.__name__ == "send" else None
        return None
    return None


def _is(obj, module, name):
    """isinstance without importing a server this process does not run."""
    cls = getattr(sys.modules.get(module), name, None)
    return cls is not None and isinstance(obj, cls)


# ---------------------------------------------------------------- daphne (autobahn, Twisted)


def _daphne(send):
    server = getattr(send.func, "__self__", None)
    if (
        not _is(server, "daphne.server", "Server")
        or send.func.__name__ != "handle_reply"
        or len(send.args) != 1
        or send.keywords
    ):
        return None
    protocol = send.args[0]
    if not _is(protocol, "daphne.ws_protocol", "WebSocketProtocol"):
        return None
    factory = protocol.factory
    if (
        protocol.state != protocol.STATE_OPEN
        or protocol._perMessageCompress is not None  # noqa: SLF001 - autobahn's own state
        or factory.maskServerFrames
        or getattr(protocol, "trackedTimings", None)
    ):
        return None
    transport = protocol.transport
    tcp = sys.modules.get("twisted.internet.tcp")
    if tcp is None or type(transport) is not tcp.Server:  # TLS or another transport: not known
        return None
    connections = server.connections
    open_state, ground = protocol.STATE_OPEN, protocol.SEND_STATE_GROUND

    def write(frame):
        size = len(frame)
        limit = protocol.maxMessagePayloadSize
        record = connections.get(protocol)
        if (
            record is None
            or record.get("disconnected")
            or protocol.state != open_state
            or protocol.send_state != ground
            or protocol.send_queue
            or (protocol.autoFragmentSize and size > protocol.autoFragmentSize)
            or (limit and size > limit)  # the header is in `size`: a little stricter
            or not transport.connected
            or transport.disconnecting
            or transport._writeDisconnected  # noqa: SLF001 - Twisted's own state
        ):
            return False
        waiting = len(transport.dataBuffer) - transport.offset + transport._tempDataLen  # noqa: SLF001
        if waiting >= BUFFER_BOUND:
            return False
        if waiting == 0:
            try:
                sent = transport.socket.send(frame)
            except BlockingIOError:
                sent = 0
            except OSError:
                sent = 0  # the reactor finds the connection lost on its own
            if sent == size:
                return True
            frame = frame[sent:]
        transport.write(frame)
        return True

    return write


# ---------------------------------------------------------------- uvicorn


def _write_if_room(transport, frame):
    """Write `frame` to an asyncio transport that is open and holds under BUFFER_BOUND bytes."""
    if transport.is_closing() or transport.get_write_buffer_size() >= BUFFER_BOUND:
        return False
    transport.write(frame)
    return True


def _uvicorn_websockets(protocol):
    """uvicorn's `--ws websockets`: websockets' legacy protocol on an asyncio transport."""
    from websockets.protocol import State  # loaded already in a uvicorn worker, not in daphne

    if protocol.extensions or protocol.is_client:
        return None
    transport = protocol.transport

    def write(frame):
        if (
            protocol.state is not State.OPEN
            or protocol.transfer_data_task.done()
            or protocol._fragmented_message_waiter is not None  # noqa: SLF001
            or protocol._paused  # noqa: SLF001 - flow control: the normal path waits
            or not protocol.handshake_completed_event.is_set()
            or protocol.closed_event.is_set()
            or protocol.initial_response is not None
        ):
            return False
        return _write_if_room(transport, frame)

    return write


def _uvicorn_sansio(protocol):
    """uvicorn's `--ws websockets-sansio`: websockets' Sans-I/O protocol."""
    from websockets.protocol import State  # loaded already in a uvicorn worker, not in daphne

    connection = protocol.conn
    if connection.extensions:
        return None
    transport = protocol.transport

    def write(frame):
        if (
            not protocol.handshake_complete
            or protocol.close_sent
            or protocol.disconnected
            or protocol.initial_response is not None
            or not protocol.writable.is_set()
            or connection.state is not State.OPEN
            or connection.writes  # its own bytes not yet handed to the transport
        ):
            return False
        return _write_if_room(transport, frame)

    return write
