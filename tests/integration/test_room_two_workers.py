"""Two real worker processes share one room through Redis (runs when REDIS_URL is set), with
daphne (make run) and with uvicorn (make serve-prod)."""

import asyncio
import json
import os

import pytest
from django.db import connection

from bench.wsclient import HandshakeRefused, WebSocket
from tests.asgi_process import asgi_process
from tests.meeting_factories import live_consultation, make_meeting
from tests.room_client import session_cookie

REDIS_URL = os.environ.get("REDIS_URL", "")
THROTTLED = "请稍等：操作太快了。"

pytestmark = [
    pytest.mark.skipif(not REDIS_URL, reason="needs REDIS_URL (CI sets it)"),
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture(params=["daphne", "uvicorn"])
def two_workers(request, transactional_db):
    env = {"REDIS_URL": REDIS_URL, "CHANNEL_PREFIX": f"gongyi-test-{os.getpid()}"}
    with asgi_process(connection.settings_dict, request.param, **env) as first:
        with asgi_process(connection.settings_dict, request.param, **env) as second:
            yield first, second


def _ws(base):
    return base.replace("http://", "ws://")


def test_a_command_on_one_worker_reaches_a_socket_on_the_other(
    two_workers, community, chair, community_worker, owner, resident
):
    meeting = live_consultation(community, chair, community_worker, owner, resident)
    first_item = meeting.items.order_by("position").first()
    chair_cookie = f"sessionid={session_cookie(chair)}"
    owner_cookie = f"sessionid={session_cookie(owner)}"
    path = f"/ws/meetings/{meeting.pk}/"

    async def scenario():
        console = await WebSocket.connect(_ws(two_workers[0]) + path, cookie=chair_cookie)
        phone = await WebSocket.connect(_ws(two_workers[1]) + path, cookie=owner_cookie)
        await console.recv_until('id="room-status"')
        await phone.recv_until('id="room-status"')
        await console.send(json.dumps({"command": "next_item", "current": 0}))
        frame = await phone.recv_until(f'data-current-item="{first_item.pk}"')
        await console.close()
        await phone.close()
        return frame

    frame = asyncio.run(scenario())
    assert 'value="raise_hand"' in frame
    first_item.refresh_from_db()
    assert first_item.status == "open"


def test_an_outsider_is_refused_by_a_real_worker(two_workers, community, chair, outsider):
    meeting = make_meeting(community, chair)
    cookie = f"sessionid={session_cookie(outsider)}"

    async def scenario():
        with pytest.raises(HandshakeRefused) as refused:
            await WebSocket.connect(
                _ws(two_workers[1]) + f"/ws/meetings/{meeting.pk}/", cookie=cookie
            )
        return refused.value.status_line

    assert " 403 " in asyncio.run(scenario()) + " "


@pytest.fixture
def two_workers_one_long_window(transactional_db):
    """Two uvicorn workers sharing Redis, allowing 5 room commands per person in a window far
    longer than the test."""
    env = {
        "REDIS_URL": REDIS_URL,
        "CHANNEL_PREFIX": f"gongyi-test-{os.getpid()}",
        "TEST_ROOM_COMMAND_LIMITS": json.dumps([[10**9, 5]]),
    }
    with asgi_process(connection.settings_dict, "uvicorn", **env) as first:
        with asgi_process(connection.settings_dict, "uvicorn", **env) as second:
            yield first, second


def test_a_person_s_room_allowance_is_shared_by_both_workers(
    two_workers_one_long_window, community, chair, community_worker, owner, resident
):
    """Reconnecting to the other worker gives no fresh allowance (the count is in Redis)."""
    meeting = live_consultation(community, chair, community_worker, owner, resident)
    cookie = f"sessionid={session_cookie(owner)}"
    path = f"/ws/meetings/{meeting.pk}/"
    first, second = (_ws(base) + path for base in two_workers_one_long_window)

    async def answers(url, count):
        socket = await WebSocket.connect(url, cookie=cookie)
        await socket.recv_until('id="room-status"')
        replies = []
        for _ in range(count):
            await socket.send("{}")
            replies.append(await socket.recv_until('id="room-notice"'))
        await socket.close()
        return replies

    on_first = asyncio.run(answers(first, 3))
    on_second = asyncio.run(answers(second, 3))
    throttled = [THROTTLED in reply for reply in on_first + on_second]
    assert throttled == [False] * 5 + [True]
