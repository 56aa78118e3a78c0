"""Fuzz the websocket endpoints with random and mutated messages (hypothesis).

The live room gets 10,000 messages from a seated participant: random text, random JSON,
oversized and binary frames, and mutations of real commands the participant may not run. The
consumer must never fail (an exception would surface from the communicator), must answer each
message with a notice or a close, and nothing may change: every change to a meeting is audited,
so the audit log and the room's rows are compared before and after. The chair gets mutated
commands too, and the health echo random frames: no server error.
"""

import json

import pytest
from asgiref.sync import async_to_sync
from channels.testing import WebsocketCommunicator
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from config.asgi import application
from deliberation.models import AuditEntry
from meetings import consumers
from meetings.forms import COMMANDS, MAX_MESSAGE_CHARS
from meetings.models import Meeting
from tests.meeting_factories import live_consultation
from tests.room_client import headers_for, session_cookie

pytestmark = pytest.mark.django_db(transaction=True)

BATCH = 100
BATCHES = 100  # 10,000 messages for the participant
PARTICIPANT_COMMANDS = {"check_in", "raise_hand", "lower_hand", "cast_vote"}
FUZZ_SETTINGS = settings(
    max_examples=BATCHES,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=40),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=12,
)


def field_names(command):
    return sorted(COMMANDS[command].base_fields) + ["HEADERS", "csrfmiddlewaretoken", "extra"]


@st.composite
def mutated_command(draw, names):
    command = draw(st.sampled_from(sorted(names)))
    keys = draw(st.lists(st.sampled_from(field_names(command)), max_size=5, unique=True))
    fields = {key: draw(json_values | st.integers(-3, 10**6).map(str)) for key in keys}
    message = {"command": command, **fields}
    if draw(st.booleans()):
        message["command"] = draw(st.sampled_from([command.upper(), command + " ", "", None, 7]))
    return json.dumps(message, allow_nan=True)


def frames(names):
    """One frame: ("text", str) or ("bytes", bytes)."""
    text = (
        st.text(max_size=200)
        | json_values.map(lambda v: json.dumps(v, allow_nan=True))
        | mutated_command(names)
        | mutated_command(names).map(lambda m: m[: len(m) // 2])  # cut short
        | st.just("x" * (MAX_MESSAGE_CHARS + 1))
        | st.sampled_from(["", "{}", "[]", "null", '{"command": null}', "\x00", "{" * 500])
    )
    text_frame = text.map(lambda t: ("text", t))
    binary_frame = st.binary(max_size=64).map(lambda b: ("bytes", b))
    # One frame in twenty is binary: it closes the socket, and reconnecting costs time.
    return st.integers(0, 19).flatmap(lambda n: binary_frame if n == 0 else text_frame)


async def open_socket(path, cookie):
    socket = WebsocketCommunicator(application, path, headers=headers_for(cookie))
    connected, _ = await socket.connect()
    assert connected
    await socket.receive_from()  # the snapshot (or the health greeting)
    return socket


async def send_all(path, cookie, batch):
    """Send each frame; each must get one reply or a close. Reconnect after a close."""
    socket = await open_socket(path, cookie)
    replies = 0
    for kind, payload in batch:
        await socket.send_input({"type": "websocket.receive", kind: payload})
        output = await socket.receive_output(timeout=5)  # re-raises a consumer exception
        if output["type"] == "websocket.close":
            await socket.send_input({"type": "websocket.disconnect", "code": output["code"]})
            await socket.wait()
            socket = await open_socket(path, cookie)
        else:
            assert output["type"] == "websocket.send"
            replies += 1
    await socket.disconnect()
    return replies


def room_state(meeting):
    meeting = Meeting.objects.get(pk=meeting.pk)
    return {
        "audit": list(AuditEntry.objects.order_by("pk").values_list("pk", "verb")),
        "meeting": {f.attname: getattr(meeting, f.attname) for f in meeting._meta.concrete_fields},
        "items": list(meeting.items.order_by("pk").values()),
        "seats": list(meeting.participants.order_by("pk").values()),
    }


@pytest.fixture
def always_room(monkeypatch):
    """Let every message through the rate limit, so the parser and the services are fuzzed."""
    monkeypatch.setattr(consumers.TokenBucket, "take", lambda self: True)


@pytest.fixture
def room(community, chair, community_worker, owner, resident):
    return live_consultation(community, chair, community_worker, owner, resident)


def test_ten_thousand_bad_messages_change_nothing_and_crash_nothing(room, resident, always_room):
    cookie = session_cookie(resident)
    path = f"/ws/meetings/{room.pk}/"
    before = room_state(room)
    sent = []

    @FUZZ_SETTINGS
    @given(st.lists(frames(set(COMMANDS) - PARTICIPANT_COMMANDS), min_size=BATCH, max_size=BATCH))
    def fuzz(batch):
        async_to_sync(send_all)(path, cookie, batch)
        sent.append(len(batch))

    fuzz()
    assert sum(sent) >= BATCH * BATCHES
    assert room_state(room) == before


def test_the_chair_s_mutated_commands_never_crash_the_room(room, chair, always_room):
    cookie = session_cookie(chair)
    path = f"/ws/meetings/{room.pk}/"

    @settings(FUZZ_SETTINGS, max_examples=20)
    @given(st.lists(frames(set(COMMANDS)), min_size=BATCH, max_size=BATCH))
    def fuzz(batch):
        async_to_sync(send_all)(path, cookie, batch)

    fuzz()


def test_the_health_echo_survives_random_frames(db):
    @settings(FUZZ_SETTINGS, max_examples=10)
    @given(st.lists(frames({"raise_hand"}), min_size=BATCH, max_size=BATCH))
    def fuzz(batch):
        async_to_sync(send_all)("/ws/health/", None, batch)

    fuzz()
