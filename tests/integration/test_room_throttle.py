"""The room's rate limit belongs to the person: reconnecting or opening more sockets gives no
fresh allowance (the count is in the cache, shared by every worker when it is Redis)."""

import datetime as dt

import pytest
import time_machine
from channels.db import database_sync_to_async
from django.db import connections

from tests.meeting_factories import live_consultation
from tests.room_client import room_socket

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]

THROTTLED = "请稍等：操作太快了。"
START = dt.datetime(2026, 12, 7, 9, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _close_worker_thread_connections():
    yield
    connections.close_all()


@pytest.fixture
def room(community, chair, community_worker, owner, resident):
    return live_consultation(community, chair, community_worker, owner, resident)


async def answers(socket, count):
    """Send `count` frames that are not commands; return how many were throttled."""
    throttled = 0
    for _ in range(count):
        await socket.send_to(text_data="{}")
        throttled += THROTTLED in await socket.receive_from(timeout=10)
    return throttled


async def joined(room, person):
    socket, connected, _ = await room_socket(room, person)
    assert connected
    await socket.receive_from(timeout=10)  # the snapshot
    return socket


async def test_reconnecting_does_not_reset_the_limit(room, resident):
    with time_machine.travel(START, tick=False):
        socket = await joined(room, resident)
        assert await answers(socket, 5) == 0
        assert await answers(socket, 1) == 1
        await socket.disconnect()
        for _ in range(3):
            socket = await joined(room, resident)
            assert await answers(socket, 1) == 1
            await socket.disconnect()


async def test_a_person_s_sockets_share_one_allowance_and_others_keep_theirs(room, resident, owner):
    with time_machine.travel(START, tick=False) as clock:
        sockets = [await joined(room, resident) for _ in range(3)]
        throttled = [await answers(socket, 2) for socket in sockets]
        assert sum(throttled) == 6 - 5  # five in the burst, over all three sockets
        other = await joined(room, owner)
        assert await answers(other, 5) == 0
        clock.shift(dt.timedelta(seconds=1))
        assert await answers(sockets[0], 1) == 0  # a second later, the next burst
        for socket in [*sockets, other]:
            await socket.disconnect()
    await database_sync_to_async(connections.close_all)()
