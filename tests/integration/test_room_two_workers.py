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
