"""A small asyncio websocket client (RFC 6455, text frames, no extensions).

Enough to drive the live room from tests and benchmarks without a client library: it sends
the session cookie and an Origin the server accepts, masks what it sends, answers pings and
reads text frames.
"""

import asyncio
import base64
import os
import struct
from collections import deque
from urllib.parse import urlsplit

OP_TEXT, OP_CLOSE, OP_PING, OP_PONG = 0x1, 0x8, 0x9, 0xA


def opening(url, cookie="", origin=None):
    """(host, port, the opening handshake's request bytes) for a websocket at `url`."""
    parts = urlsplit(url)
    host, port = parts.hostname, parts.port or 80
    key = base64.b64encode(os.urandom(16)).decode()
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    lines = [
        f"GET {path} HTTP/1.1",
        f"Host: {host}:{port}",
        "Upgrade: websocket",
        "Connection: Upgrade",
        f"Sec-WebSocket-Key: {key}",
        "Sec-WebSocket-Version: 13",
        f"Origin: {origin or f'http://{host}:{port}'}",
    ]
    if cookie:
        lines.append(f"Cookie: {cookie}")
    return host, port, ("\r\n".join(lines) + "\r\n\r\n").encode()


def masked_frame(opcode, payload):
    """One final frame as a client sends it: masked with a random key (RFC 6455 5.3)."""
    mask, length = os.urandom(4), len(payload)
    if length < 126:
        header = struct.pack("!BB", 0x80 | opcode, 0x80 | length)
    elif length < 65536:
        header = struct.pack("!BBH", 0x80 | opcode, 0x80 | 126, length)
    else:
        header = struct.pack("!BBQ", 0x80 | opcode, 0x80 | 127, length)
    key = int.from_bytes((mask * (length // 4 + 1))[:length], "big")
    masked = (int.from_bytes(payload, "big") ^ key).to_bytes(length, "big")
    return header + mask + masked


class HandshakeRefused(Exception):
    def __init__(self, status_line):
        super().__init__(status_line)
        self.status_line = status_line


class WebSocket:
    def __init__(self, reader, writer):
        self.reader, self.writer = reader, writer
        self.close_code = None

    @classmethod
    async def connect(cls, url, *, cookie="", origin=None, limit=2**20, timeout=30):
        """Open the socket. A server that never answers the handshake (a process that died
        behind a listening socket it was handed: the kernel still accepts) raises
        TimeoutError after `timeout` seconds instead of waiting for ever."""
        host, port, request = opening(url, cookie, origin)
        async with asyncio.timeout(timeout):
            reader, writer = await asyncio.open_connection(host, port, limit=limit)
            writer.write(request)
            await writer.drain()
            head = await reader.readuntil(b"\r\n\r\n")
        status = head.split(b"\r\n", 1)[0].decode()
        if " 101 " not in status + " ":
            writer.close()
            raise HandshakeRefused(status)
        return cls(reader, writer)

    async def send(self, text):
        await self._send_frame(OP_TEXT, text.encode())

    async def _send_frame(self, opcode, payload):
        self.writer.write(masked_frame(opcode, payload))
        await self.writer.drain()

    async def recv(self):
        """The next text message, or None once the server closed the socket."""
        message = b""
        while True:
            first, second = await self.reader.readexactly(2)
            opcode, final = first & 0x0F, first & 0x80
            length = second & 0x7F
            if length == 126:
                (length,) = struct.unpack("!H", await self.reader.readexactly(2))
            elif length == 127:
                (length,) = struct.unpack("!Q", await self.reader.readexactly(8))
            payload = await self.reader.readexactly(length)
            if opcode == OP_PING:
                await self._send_frame(OP_PONG, payload)
                continue
            if opcode == OP_CLOSE:
                self.close_code = struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else None
                return None
            message += payload
            if final:
                return message.decode()

    async def recv_until(self, needle, *, timeout=10):
        async def wait():
            while True:
                text = await self.recv()
                if text is None or needle in text:
                    return text

        return await asyncio.wait_for(wait(), timeout)

    async def close(self):
        try:
            await self._send_frame(OP_CLOSE, struct.pack("!H", 1000))
        except (ConnectionError, RuntimeError):
            pass
        self.writer.close()


class LeanWebSocket(asyncio.Protocol):
    """The same client as `WebSocket` for thousands of sockets in one process: an
    asyncio.Protocol that parses the server's frames as the bytes arrive, with no stream
    reader and no task per socket. Set `on_message` to have each text message handed to a
    function as it completes, instead of queued for `recv()`."""

    def __init__(self):
        self.transport = None
        self.buffer = bytearray()
        self.head = asyncio.get_running_loop().create_future()  # the handshake's answer
        self.messages = deque()
        self.waiter = None
        self.on_message = None
        self.fragments = []
        self.closed = False
        self.close_code = None

    @classmethod
    async def connect(cls, url, *, cookie="", origin=None):
        host, port, request = opening(url, cookie, origin)
        _transport, self = await asyncio.get_running_loop().create_connection(cls, host, port)
        self.transport.write(request)
        head = await self.head
        status = head.split(b"\r\n", 1)[0].decode()
        if " 101 " not in status + " ":
            self.transport.close()
            raise HandshakeRefused(status)
        return self

    def connection_made(self, transport):
        self.transport = transport

    def connection_lost(self, exc):
        if not self.head.done():
            self.head.set_exception(exc or ConnectionError("closed during the handshake"))
        self._closed()

    def data_received(self, data):
        buffer = self.buffer
        buffer += data
        if not self.head.done():
            end = buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            self.head.set_result(bytes(buffer[: end + 4]))
            del buffer[: end + 4]
        start, size = 0, len(buffer)
        while size - start >= 2:
            first, second = buffer[start], buffer[start + 1]
            length, header = second & 0x7F, 2
            if length == 126:
                if size - start < 4:
                    break
                length, header = int.from_bytes(buffer[start + 2 : start + 4], "big"), 4
            elif length == 127:
                if size - start < 10:
                    break
                length, header = int.from_bytes(buffer[start + 2 : start + 10], "big"), 10
            end = start + header + length
            if end > size:
                break
            self._frame(first, bytes(buffer[start + header : end]))
            start = end
        if start:
            del buffer[:start]

    def _frame(self, first, payload):
        opcode = first & 0x0F
        if opcode == OP_PING:
            self._write(OP_PONG, payload)
        elif opcode == OP_CLOSE:
            self.close_code = struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else None
            self._closed()
        elif opcode != OP_PONG:
            self.fragments.append(payload)
            if first & 0x80:
                text = b"".join(self.fragments).decode()
                self.fragments = []
                if self.on_message is not None:
                    self.on_message(text)
                else:
                    self.messages.append(text)
                    self._wake()

    def _closed(self):
        self.closed = True
        if self.on_message is not None:
            self.on_message(None)
            self.on_message = None
        self._wake()

    def _wake(self):
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_result(None)

    async def recv(self):
        """The next text message, or None once the server closed the socket."""
        while not self.messages:
            if self.closed:
                return None
            self.waiter = asyncio.get_running_loop().create_future()
            await self.waiter
        return self.messages.popleft()

    async def send(self, text):
        self._write(OP_TEXT, text.encode())

    def _write(self, opcode, payload):
        if self.transport.is_closing():
            return
        self.transport.write(masked_frame(opcode, payload))

    async def close(self):
        self._write(OP_CLOSE, struct.pack("!H", 1000))
        self.transport.close()
