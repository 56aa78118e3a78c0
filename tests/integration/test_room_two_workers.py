"""Two real worker processes share one room through Redis (runs when REDIS_URL is set), with
daphne (make run) and with uvicorn (make serve-prod)."""

import asyncio
import contextlib
import json
import os
from contextlib import ExitStack

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


async def _frames_until(socket, needle):
    """Every frame up to and including the first that contains `needle`."""
    frames = []
    while True:
        text = await asyncio.wait_for(socket.recv(), 30)
        assert text is not None, f"closed before {needle!r}"
        frames.append(text)
        if needle in text:
            return frames


def _markers(item_ids):
    return [f'data-current-item="{pk}"' for pk in item_ids]


def test_every_phone_on_either_worker_sees_each_move_once_and_in_order(
    two_workers, community, chair, community_worker, owner, resident
):
    meeting = live_consultation(community, chair, community_worker, owner, resident)
    items = list(meeting.items.order_by("position").values_list("pk", flat=True))
    first, second = _markers(items[:2])
    path = f"/ws/meetings/{meeting.pk}/"
    cookies = {user: f"sessionid={session_cookie(user)}" for user in (chair, owner, resident)}

    async def scenario():
        console = await WebSocket.connect(_ws(two_workers[0]) + path, cookie=cookies[chair])
        await console.recv_until('id="room-status"')
        phones = []
        for user in (owner, resident):  # each person on both workers (a phone and a tablet)
            for base in two_workers:
                phone = await WebSocket.connect(_ws(base) + path, cookie=cookies[user])
                await phone.recv_until('id="room-status"')
                phones.append(phone)
        await console.send(json.dumps({"command": "next_item", "current": 0}))
        await console.recv_until(first)
        await console.send(json.dumps({"command": "next_item", "current": items[0]}))
        seen = [await _frames_until(phone, second) for phone in phones]
        for socket in (console, *phones):
            await socket.close()
        return seen

    for frames in asyncio.run(scenario()):
        with_first = [n for n, text in enumerate(frames) if first in text]
        assert len(with_first) == 1  # once, not once per worker
        assert with_first[0] < len(frames) - 1  # the first move before the second
        assert sum(second in text for text in frames) == 1
        assert all('value="next_item"' not in text for text in frames)  # the phones' view


def test_a_restarted_worker_s_phones_reconnect_in_step_with_the_room(
    community, chair, community_worker, owner, resident
):
    """Worker B dies; its phones reconnect to B's replacement, get the room as it is, and
    every phone then sees the next move once."""
    meeting = live_consultation(community, chair, community_worker, owner, resident)
    items = list(meeting.items.order_by("position").values_list("pk", flat=True))
    first, second = _markers(items[:2])
    path = f"/ws/meetings/{meeting.pk}/"
    cookies = {user: f"sessionid={session_cookie(user)}" for user in (chair, owner, resident)}
    env = {"REDIS_URL": REDIS_URL, "CHANNEL_PREFIX": f"gongyi-test-{os.getpid()}"}
    settings_dict = connection.settings_dict

    async def scenario(stack):
        a = stack.enter_context(asgi_process(settings_dict, "daphne", **env))
        b = ExitStack()
        b_url = b.enter_context(asgi_process(settings_dict, "daphne", **env))
        console = await WebSocket.connect(_ws(a) + path, cookie=cookies[chair])
        await console.recv_until('id="room-status"')
        on_a, on_b = [], []
        for user in (owner, resident):
            for base, kept in ((a, on_a), (b_url, on_b)):
                phone = await WebSocket.connect(_ws(base) + path, cookie=cookies[user])
                await phone.recv_until('id="room-status"')
                kept.append(phone)
        await console.send(json.dumps({"command": "next_item", "current": 0}))
        for phone in on_a + on_b:
            await phone.recv_until(first)
        b.close()  # the worker stops; its phones see their sockets close
        for phone in on_b:
            with contextlib.suppress(OSError, asyncio.IncompleteReadError):
                assert await asyncio.wait_for(phone.recv(), 30) is None
        b_again = stack.enter_context(asgi_process(settings_dict, "daphne", **env))
        rejoined = []
        for user in (owner, resident):
            phone = await WebSocket.connect(_ws(b_again) + path, cookie=cookies[user])
            snapshot = await phone.recv_until('id="room-status"')
            assert first in snapshot  # the room as it is, not as it was at the start
            rejoined.append(phone)
        await console.send(json.dumps({"command": "next_item", "current": items[0]}))
        seen = [await _frames_until(phone, second) for phone in on_a + rejoined]
        for socket in (console, *on_a, *rejoined):
            await socket.close()
        return seen

    with ExitStack() as stack:
        for frames in asyncio.run(scenario(stack)):
            assert sum(second in text for text in frames) == 1
