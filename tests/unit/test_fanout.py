"""One subscriber per process writes a group's frames to its sockets (plumbing/fanout.py):
a slow socket holds up nobody, and a socket nobody holds any more is forgotten."""

import asyncio
import gc

import pytest
from channels.layers import InMemoryChannelLayer

from plumbing.fanout import MESSAGE_TYPE, Hub

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
