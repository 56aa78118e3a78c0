"""The room's changes reach each phone once, in order, after the room it was sent on joining,
and only while it is in the room (plumbing/fanout.py: one subscriber per worker process)."""

import json

import pytest
import pytest_asyncio
from channels.db import database_sync_to_async
from django.db import connections

from meetings import consumers, services
from meetings.access import CHAIR, PARTICIPANT
from meetings.rendering import group_name
from plumbing import fanout
from tests.meeting_factories import live_consultation
from tests.room_client import receive_until, room_socket

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]


@pytest_asyncio.fixture(autouse=True)
async def _close_worker_thread_connections():
    yield
    await database_sync_to_async(connections.close_all)()


@pytest.fixture
def live_meeting(community, chair, community_worker, owner, resident):
    return live_consultation(community, chair, community_worker, owner, resident)


@database_sync_to_async
def _item_ids(meeting):
    return list(meeting.items.order_by("position").values_list("pk", flat=True))


def _command(name, **fields):
    return json.dumps({"command": name, **fields, "HEADERS": {"HX-Request": "true"}})


async def _frames_until(socket, needle):
    frames = []
    while True:
        frames.append(await socket.receive_from(timeout=5))
        if needle in frames[-1]:
            return frames


async def test_a_change_made_while_a_phone_joins_follows_the_room_it_was_sent(
    live_meeting, chair, owner, monkeypatch
):
    first = (await _item_ids(live_meeting))[0]
    marker = f'data-current-item="{first}"'
    real = consumers._snapshot_for

    async def room_then_a_change(*args):
        room = await real(*args)  # the room as it was
        await database_sync_to_async(services.open_item)(live_meeting, by=chair, item_id=first)
        return room

    monkeypatch.setattr(consumers, "_snapshot_for", room_then_a_change)
    phone, connected, _ = await room_socket(live_meeting, owner)
    assert connected
    room = await phone.receive_from()
    assert 'id="room-status"' in room and marker not in room  # the older room first
    await receive_until(phone, marker)  # then the change, which it must not overwrite
    await phone.disconnect()


async def test_a_phone_that_hangs_up_is_forgotten_and_the_room_goes_on(
    live_meeting, chair, owner, resident
):
    group = group_name(live_meeting.pk, PARTICIPANT, "zh-hans")
    console, _, _ = await room_socket(live_meeting, chair)
    phone, _, _ = await room_socket(live_meeting, owner)
    other, _, _ = await room_socket(live_meeting, resident)
    for socket in (console, phone, other):
        await socket.receive_from()
    assert fanout.local_sockets(group) == 2
    await phone.disconnect()
    assert fanout.local_sockets(group) == 1
    first = (await _item_ids(live_meeting))[0]
    await console.send_to(text_data=_command("next_item", current=0))
    await receive_until(other, f'data-current-item="{first}"')
    await other.disconnect()
    assert fanout.local_sockets(group) == 0
    await console.disconnect()


async def test_a_phone_handed_the_chair_gets_the_console_s_frames_only(live_meeting, chair, owner):
    phone, _, _ = await room_socket(live_meeting, owner)
    await phone.receive_from()
    await database_sync_to_async(services.move_chair)(live_meeting, by=chair, to=owner)
    await receive_until(phone, 'value="next_item"')  # the console, sent on the reseat
    assert fanout.local_sockets(group_name(live_meeting.pk, PARTICIPANT, "zh-hans")) == 0
    assert fanout.local_sockets(group_name(live_meeting.pk, CHAIR, "zh-hans")) == 1
    first, second = (await _item_ids(live_meeting))[:2]
    await phone.send_to(text_data=_command("next_item", current=0))
    await receive_until(phone, f'data-current-item="{first}"')
    await phone.send_to(text_data=_command("next_item", current=first))
    frames = await _frames_until(phone, f'data-current-item="{second}"')
    moves = [text for text in frames if "data-current-item" in text]
    assert moves and all('value="next_item"' in text for text in moves)
    await phone.disconnect()
