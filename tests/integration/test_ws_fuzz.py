"""Fuzz the websocket endpoints with random and mutated messages (hypothesis).

The live room gets 10,000 messages from a seated participant: random text, arbitrary JSON
(nested past the interpreter's recursion limit, any type in any field, `command` included),
oversized and binary frames, and mutations of real commands the participant may not run.
They go through the consumer's own `receive` in-process, so the run is quick: each must be
answered with exactly one notice or a close, no exception may escape, nothing may be logged as
an error, and nothing may change (every change to a meeting is audited, so the audit log and
the room's rows are compared before and after). Over a real socket: the frames that once
crashed the room, the chair's mutated commands, and the health echo's random frames.
"""

import json
import logging
import random

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
# The frames an outside probe found to drop the socket with a traceback.
CRASHERS = [
    "[" * 4000,
    "[" * 2000 + "]" * 2000,
    '{"a":' * 600 + "1" + "}" * 600,
    '{"command": {}}',
    '{"command": []}',
    '{"command": [[]], "item": 1}',
    '{"command": "raise_hand", "HEADERS": ' + "[" * 1500 + "]" * 1500 + "}",
]

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


def nested(depth, seed, value="1"):
    """JSON text nested `depth` levels deep in arrays and objects, within one frame; `seed`
    picks which level is which."""
    kinds = random.Random(seed).choices((True, False), k=depth)
    return (
        "".join('{"k":' if k else "[" for k in kinds)
        + value
        + "".join("}" if k else "]" for k in reversed(kinds))
    )


# The levels' kinds come from a seed, not one draw each: drawing 1,500 booleans per frame was
# most of this module's time, and the parser's depth limit is what the frame tests.
deep_json = st.builds(nested, st.integers(1, 1500), st.integers(0, 2**32 - 1))


def field_names(command):
    return sorted(COMMANDS[command].base_fields) + ["HEADERS", "csrfmiddlewaretoken", "extra"]


# Built once, not inside each draw: a strategy made anew for every field of every frame was
# validated and analysed anew each time, which was most of this module's time.
FIELD_VALUE = json_values | st.integers(-3, 10**6).map(str)
FIELD_KEYS = {
    command: st.lists(st.sampled_from(field_names(command)), max_size=5, unique=True)
    for command in COMMANDS
}
COMMAND_VALUE = {
    command: st.sampled_from([command.upper(), command + " ", "", None, 7]) | json_values
    for command in COMMANDS
}


@st.composite
def mutated_command(draw, names):
    """A real command with any JSON value (deep ones too) in any field, `command` included."""
    command = draw(st.sampled_from(sorted(names)))
    keys = draw(FIELD_KEYS[command])
    fields = {key: draw(FIELD_VALUE) for key in keys}
    message = {"command": command, **fields}
    if draw(st.booleans()):
        message["command"] = draw(COMMAND_VALUE[command])
    text = json.dumps(message, allow_nan=True)
    if draw(st.integers(0, 9)) == 0:  # a field replaced by deep nesting
        key = draw(st.sampled_from(sorted(message)))
        depth = draw(st.integers(1, 1200))
        text = json.dumps({k: v for k, v in message.items() if k != key})[:-1]
        text += ("," if len(message) > 1 else "") + json.dumps(key) + ":"
        text += "[" * depth + "]" * depth + "}"
    return text


def frames(names):
    """One frame: ("text", str) or ("bytes", bytes)."""
    text = (
        st.text(max_size=200)
        | json_values.map(lambda v: json.dumps(v, allow_nan=True))
        | deep_json
        | mutated_command(names)
        | mutated_command(names).map(lambda m: m[: len(m) // 2])  # cut short
        | st.just("x" * (MAX_MESSAGE_CHARS + 1))
        | st.sampled_from(["", "{}", "[]", "null", '{"command": null}', "\x00", "{" * 500])
        | st.sampled_from(CRASHERS)
    )
    text_frame = text.map(lambda t: ("text", t))
    binary_frame = st.binary(max_size=64).map(lambda b: ("bytes", b))
    return st.integers(0, 19).flatmap(lambda n: binary_frame if n == 0 else text_frame)


async def open_socket(path, cookie):
    socket = WebsocketCommunicator(application, path, headers=headers_for(cookie))
    connected, _ = await socket.connect(timeout=10)
    assert connected
    await socket.receive_from(timeout=10)  # the snapshot (or the health greeting)
    return socket


async def send_all(path, cookie, batch):
    """Send each frame; each must get one reply or a close. Reconnect after a close."""
    socket = await open_socket(path, cookie)
    replies = 0
    for kind, payload in batch:
        await socket.send_input({"type": "websocket.receive", kind: payload})
        output = await socket.receive_output(timeout=10)  # re-raises a consumer exception
        if output["type"] == "websocket.close":
            await socket.send_input({"type": "websocket.disconnect", "code": output["code"]})
            await socket.wait()
            socket = await open_socket(path, cookie)
        else:
            assert output["type"] == "websocket.send"
            replies += 1
    await socket.disconnect()
    return replies


class InProcessRoom:
    """The room's consumer as `connect` leaves it for a seated person, with its outgoing
    frames collected instead of written to a socket."""

    def __init__(self, meeting, user):
        self.consumer = consumers.RoomConsumer()
        self.consumer.scope = {"type": "websocket", "user": user}
        self.consumer.meeting_id = meeting.pk
        self.consumer.user = user
        self.consumer.language = "zh-hans"
        self.out = []
        self.consumer.send = self._send
        self.consumer.close = self._close

    async def _send(self, text_data=None, bytes_data=None, close=False):
        self.out.append(("send", text_data))

    async def _close(self, code=None, reason=None):
        self.out.append(("close", code))

    async def receive_all(self, batch):
        """Each frame must get exactly one reply: a notice or a close."""
        for kind, payload in batch:
            before = len(self.out)
            if kind == "text":
                await self.consumer.receive(text_data=payload)
            else:
                await self.consumer.receive(bytes_data=payload)
            replies = self.out[before:]
            assert len(replies) == 1, (payload[:80], replies)
            what, value = replies[0]
            assert what == "close" or 'id="room-notice"' in value, (payload[:80], value)


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

    async def allowed(user_id):
        return True

    monkeypatch.setattr(consumers, "_command_allowed", allowed)


@pytest.fixture
def room(community, chair, community_worker, owner, resident):
    return live_consultation(community, chair, community_worker, owner, resident)


def errors_logged(caplog):
    return [r for r in caplog.records if r.levelno >= logging.ERROR]


def test_the_frames_that_crashed_the_room_get_a_notice_and_the_socket_stays(room, resident):
    cookie = session_cookie(resident)
    before = room_state(room)

    async def probe():
        socket = await open_socket(f"/ws/meetings/{room.pk}/", cookie)
        notices = []
        for frame in CRASHERS[:5]:  # within the burst the rate limit allows
            await socket.send_to(text_data=frame)
            notices.append(await socket.receive_from(timeout=10))
        await socket.disconnect()
        return notices

    notices = async_to_sync(probe)()
    assert all('class="room-notice bad"' in notice for notice in notices), notices
    assert all(("不是有效的指令" in n) or ("未知的指令" in n) for n in notices), notices
    assert room_state(room) == before


def test_ten_thousand_bad_messages_change_nothing_and_crash_nothing(
    room, resident, always_room, caplog
):
    before = room_state(room)
    caplog.set_level(logging.ERROR)
    sent = []

    @FUZZ_SETTINGS
    @given(st.lists(frames(set(COMMANDS) - PARTICIPANT_COMMANDS), min_size=BATCH, max_size=BATCH))
    def fuzz(batch):
        async_to_sync(InProcessRoom(room, resident).receive_all)(batch)
        sent.append(len(batch))

    fuzz()
    assert sum(sent) >= BATCH * BATCHES
    assert not errors_logged(caplog)
    assert room_state(room) == before


def test_the_chair_s_mutated_commands_never_crash_the_room(room, chair, always_room, caplog):
    cookie = session_cookie(chair)
    path = f"/ws/meetings/{room.pk}/"
    caplog.set_level(logging.ERROR)

    @settings(FUZZ_SETTINGS, max_examples=20)
    @given(st.lists(frames(set(COMMANDS)), min_size=BATCH, max_size=BATCH))
    def fuzz(batch):
        async_to_sync(send_all)(path, cookie, batch)

    fuzz()
    assert not errors_logged(caplog)


def test_the_health_echo_survives_random_frames(db, caplog):
    @settings(FUZZ_SETTINGS, max_examples=10)
    @given(st.lists(frames({"raise_hand"}), min_size=BATCH, max_size=BATCH))
    def fuzz(batch):
        async_to_sync(send_all)("/ws/health/", None, batch)  # each frame: a reply or a close

    fuzz()
    assert not errors_logged(caplog)
