"""One subscriber per process writes a group's frames to its sockets (plumbing/fanout.py):
a slow socket holds up nobody, and a socket nobody holds any more is forgotten; where the
server is known, the frame's bytes are built once and written to each connection directly,
in the same order as through the socket's own send."""

import asyncio
import gc

import pytest
from channels.layers import InMemoryChannelLayer

from plumbing import fanout
from plumbing.fanout import MESSAGE_TYPE, Hub
from plumbing.wsframes import text_frame

pytestmark = pytest.mark.asyncio


class Phone:
    def __init__(self, expected, *, stuck=False):
        self.frames = []
        self.expected = expected
        self.all_in = asyncio.Event()
        self.unstick = asyncio.Event()
        if not stuck:
            self.unstick.set()

    async def send(self, text_data):
        await self.unstick.wait()  # a full write buffer, until the phone reads
        self.frames.append(text_data)
        if len(self.frames) == self.expected:
            self.all_in.set()


async def _publish(layer, group, *texts):
    for text in texts:
        await layer.group_send(group, {"type": MESSAGE_TYPE, "group": group, "text": text})


async def test_a_stuck_phone_holds_up_nobody_and_gets_its_frames_in_order_later():
    layer, group = InMemoryChannelLayer(), "meeting-1-participant-zh-hans"
    hub = Hub(layer)
    stuck, quick = Phone(3, stuck=True), Phone(3)
    for phone in (stuck, quick):
        await hub.join(group, phone)
        hub.ready(phone)
    await _publish(layer, group, "one", "two", "three")
    await asyncio.wait_for(quick.all_in.wait(), 5)
    assert quick.frames == ["one", "two", "three"] and stuck.frames == []
    stuck.unstick.set()
    await asyncio.wait_for(stuck.all_in.wait(), 5)
    assert stuck.frames == ["one", "two", "three"]
    hub._receiver.cancel()


async def test_frames_wait_for_a_joining_phone_to_be_ready():
    layer, group = InMemoryChannelLayer(), "meeting-1-chair-en"
    hub = Hub(layer)
    witness, joining = Phone(2), Phone(2)
    await hub.join(group, witness)
    hub.ready(witness)
    await hub.join(group, joining)
    await _publish(layer, group, "one", "two")
    await asyncio.wait_for(witness.all_in.wait(), 5)
    assert joining.frames == []
    hub.ready(joining)
    assert joining.frames == ["one", "two"]
    hub._receiver.cancel()


async def test_a_phone_nobody_holds_any_more_is_forgotten():
    layer, group = InMemoryChannelLayer(), "meeting-2-participant-en"
    hub = Hub(layer)
    phone = Phone(1)
    await hub.join(group, phone)
    hub.ready(phone)
    assert len(hub.members[group]) == 1
    del phone
    gc.collect()
    assert len(hub.members[group]) == 0
    hub._receiver.cancel()


async def test_the_last_phone_to_leave_a_group_unsubscribes_the_process():
    layer, group = InMemoryChannelLayer(), "meeting-3-display-zh-hans"
    hub = Hub(layer)
    phone = Phone(1)
    await hub.join(group, phone)
    assert hub.channel in layer.groups[group]
    await hub.leave(phone)
    assert group not in layer.groups or hub.channel not in layer.groups[group]
    hub._receiver.cancel()


class Connection:
    """A server's connection: the bytes on the wire, whether written directly or sent."""

    def __init__(self, phone):
        self.phone = phone
        self.wire = []
        self.room = True  # False: its write buffer is past the bound

    def write(self, frame):
        if not self.room:
            return False
        self.phone.on_wire(frame)
        return True


class WiredPhone(Phone):
    """A socket on a known server: its own sends go through the server's framing."""

    def __init__(self, expected, **kwargs):
        super().__init__(expected, **kwargs)
        self.connection = Connection(self)
        self.sent = []
        self.counts = {}  # frames on the wire -> Event

    async def send(self, text_data):
        await self.unstick.wait()
        self.sent.append(text_data)
        self.on_wire(text_frame(text_data))

    def on_wire(self, frame):
        self.connection.wire.append(frame)
        self.arrived(len(self.connection.wire)).set()
        if len(self.connection.wire) == self.expected:
            self.all_in.set()

    def arrived(self, count):
        return self.counts.setdefault(count, asyncio.Event())

    async def until(self, count):
        await asyncio.wait_for(self.arrived(count).wait(), 5)

    def frames_on_wire(self):
        return [frame[2:].decode() for frame in self.connection.wire]  # short frames only


@pytest.fixture
def known_server(monkeypatch):
    def writer_for(socket):
        connection = getattr(socket, "connection", None)
        return connection.write if connection is not None else None

    monkeypatch.setattr(fanout.wsframes, "writer_for", writer_for)


async def test_a_frame_is_built_once_and_written_to_every_connection_in_order(known_server):
    layer, group = InMemoryChannelLayer(), "meeting-4-participant-zh-hans"
    hub = Hub(layer)
    phones = [WiredPhone(3) for _ in range(3)]
    old_server = Phone(3)  # on a server wsframes does not know: its own send, as before
    for phone in (*phones, old_server):
        await hub.join(group, phone)
        hub.ready(phone)
    await _publish(layer, group, "one", "two", "三")
    await asyncio.wait_for(old_server.all_in.wait(), 5)
    for phone in phones:
        assert phone.frames_on_wire() == ["one", "two", "三"]
        assert phone.sent == []  # nothing through the socket's own send
        assert phone.connection.wire == [text_frame(t) for t in ("one", "two", "三")]
    assert all(p.connection.wire[2] is phones[0].connection.wire[2] for p in phones)  # once
    assert old_server.frames == ["one", "two", "三"]
    hub._receiver.cancel()


async def test_held_frames_are_written_directly_after_the_snapshot(known_server):
    layer, group = InMemoryChannelLayer(), "meeting-5-participant-en"
    hub = Hub(layer)
    witness, joining = WiredPhone(2), WiredPhone(3)
    await hub.join(group, witness)
    hub.ready(witness)
    await hub.join(group, joining)
    await _publish(layer, group, "one", "two")
    await asyncio.wait_for(witness.all_in.wait(), 5)
    assert joining.connection.wire == []
    await joining.send(text_data="snapshot")  # the consumer's own send, then ready
    hub.ready(joining)
    assert joining.frames_on_wire() == ["snapshot", "one", "two"]
    hub._receiver.cancel()


async def test_a_connection_with_a_full_buffer_gets_its_frames_through_send_in_order(
    known_server,
):
    layer, group = InMemoryChannelLayer(), "meeting-6-participant-zh-hans"
    hub = Hub(layer)
    slow, quick = WiredPhone(4, stuck=True), WiredPhone(4)
    for phone in (slow, quick):
        await hub.join(group, phone)
        hub.ready(phone)
    await _publish(layer, group, "one")
    await slow.until(1)
    slow.connection.room = False  # the phone stopped reading: the server's own send waits
    await _publish(layer, group, "two", "three")
    await quick.until(3)
    assert slow.frames_on_wire() == ["one"]
    slow.connection.room = True  # room again, but "three" waits behind "two"
    await _publish(layer, group, "four")
    await asyncio.wait_for(quick.all_in.wait(), 5)
    assert slow.frames_on_wire() == ["one"]
    slow.unstick.set()
    await asyncio.wait_for(slow.all_in.wait(), 5)
    assert slow.frames_on_wire() == ["one", "two", "three", "four"]
    assert slow.sent == ["two", "three", "four"]  # the rest through its send, in order
    hub._receiver.cancel()
