"""The room's websocket commands × every persona: who gets past the permission check.

Generated from meetings.forms.COMMANDS; the expectations live in url_rules.WS_RULES, so a new
command without a row fails here. Seated personas send each command with well-formed data
(real item, request and vote ids); a refusal is the room's "You may not do this" notice.
Everyone without a seat is refused at the handshake, before any command.
"""

import json

import pytest
from channels.db import database_sync_to_async

from meetings import services
from meetings.consumers import CLOSE_FORBIDDEN, CLOSE_UNAUTHENTICATED
from meetings.forms import COMMANDS, HEARING_ORDER
from meetings.models import LiveChoice, LiveVote, SpeakerRequest
from tests.integration.url_rules import PERSONAS, ROOM_SEATED, WS_RULES
from tests.meeting_factories import live_consultation
from tests.room_client import room_socket

pytestmark = pytest.mark.django_db(transaction=True)

REFUSED = "You may not do this in the room now."
INVALID = "Please check:"


def test_every_room_command_has_a_row():
    missing = sorted(set(COMMANDS) - set(WS_RULES))
    assert not missing, (
        f"Room commands without a row in tests/integration/url_rules.py WS_RULES: {missing}. "
        "Add the personas who may send them."
    )
    assert not set(WS_RULES) - set(COMMANDS), "WS_RULES names commands that no longer exist"


@pytest.fixture
def room(community, chair, community_worker, owner, resident):
    meeting = live_consultation(community, chair, community_worker, owner, resident)
    first, second = meeting.items.order_by("position")
    services.open_item(meeting, by=chair, item_id=first.pk)
    services.raise_hand(meeting, by=owner, item_id=first.pk)
    request = SpeakerRequest.objects.order_by("pk").last()
    services.open_live_vote(meeting, by=chair, item_id=first.pk, question="同意这个方案吗？")
    vote = LiveVote.objects.order_by("pk").last()
    stage = HEARING_ORDER[0].value
    meeting.data = {
        "open_meeting": {},
        "close_meeting": {},
        "check_in": {},
        "open_item": {"item": second.pk},
        "close_item": {"item": first.pk},
        "next_item": {"current": first.pk},
        "raise_hand": {"item": first.pk},
        "lower_hand": {"item": first.pk},
        "grant_floor": {"request": request.pk},
        "end_floor": {"request": request.pk},
        "skip_speaker": {"request": request.pk},
        "move_speaker": {"request": request.pk, "position": 1},
        "set_stage": {"stage": stage, "minutes": 5},
        "record_speech": {"request": request.pk, "summary": "主张先修电梯"},
        "open_vote": {"item": first.pk, "question": "再表决一次？"},
        "cast_vote": {"vote": vote.pk, "choice": LiveChoice.values[0]},
        "close_vote": {"vote": vote.pk},
        "add_minutes": {"text": "会议记录一条"},
    }
    return meeting


async def send_as(meeting, user, message):
    """True when the command got past the permission check."""
    socket, connected, code = await room_socket(meeting, user, language="en")
    assert connected, code
    await socket.receive_from()  # the room snapshot
    await socket.send_to(text_data=json.dumps(message))
    try:  # a refusal or a form error is the direct reply; success broadcasts the room
        frames = [await socket.receive_from(timeout=5)]
    except TimeoutError:
        frames = []  # nothing to broadcast, and no refusal
    await socket.disconnect()
    assert not any(INVALID in frame for frame in frames), f"malformed test data: {message}"
    return not any(REFUSED in frame for frame in frames)


@pytest.mark.asyncio
@pytest.mark.parametrize("command", sorted(COMMANDS))
async def test_each_seated_persona_may_send_only_its_commands(command, room, request):
    expected = WS_RULES.get(command, frozenset())
    wrong = []
    for persona in ROOM_SEATED:
        user = await database_sync_to_async(request.getfixturevalue)(persona)
        allowed = await send_as(room, user, {"command": command, **room.data[command]})
        if allowed != (persona in expected):
            wrong.append(f"{persona}: {'allowed' if allowed else 'refused'}")
    assert not wrong, f"{command}: " + ", ".join(wrong)


@pytest.mark.asyncio
async def test_everyone_without_a_seat_is_refused_before_any_command(room, request):
    for persona in PERSONAS:
        if persona in ROOM_SEATED:
            continue
        user = None
        if persona != "anonymous":
            user = await database_sync_to_async(request.getfixturevalue)(persona)
        _, connected, code = await room_socket(room, user)
        assert not connected, persona
        assert code in (CLOSE_FORBIDDEN, CLOSE_UNAUTHENTICATED), persona
