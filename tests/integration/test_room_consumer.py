"""The live room over websockets: who may enter, what each command does, and what it refuses."""

import json

import pytest
from channels.db import database_sync_to_async
from channels.layers import channel_layers

from deliberation.models import AuditEntry
from meetings import services
from meetings.consumers import CLOSE_BAD_MESSAGE, CLOSE_FORBIDDEN, CLOSE_UNAUTHENTICATED
from meetings.models import ItemStatus, Meeting, SpeakerRequest, SpeakerStatus
from tests.meeting_factories import live_consultation, make_meeting
from tests.room_client import (
    close_worker_thread_connections,  # noqa: F401  (autouse)
    drain,
    receive_until,
    room_socket,
)

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def live_meeting(community, chair, community_worker, owner, resident):
    return live_consultation(community, chair, community_worker, owner, resident)


@database_sync_to_async
def _refresh(meeting):
    meeting.refresh_from_db()
    return meeting


@database_sync_to_async
def _items(meeting):
    return list(meeting.items.order_by("position").values_list("pk", "status"))


def _command(name, **fields):
    return json.dumps({"command": name, **fields, "HEADERS": {"HX-Request": "true"}})


async def test_an_outsider_is_refused_before_accept(live_meeting, outsider):
    _, connected, code = await room_socket(live_meeting, outsider)
    assert not connected
    assert code == CLOSE_FORBIDDEN


async def test_a_member_without_a_seat_is_refused(live_meeting, grid_worker):
    _, connected, code = await room_socket(live_meeting, grid_worker)
    assert (connected, code) == (False, CLOSE_FORBIDDEN)


async def test_an_anonymous_visitor_is_refused(live_meeting):
    _, connected, code = await room_socket(live_meeting, None)
    assert (connected, code) == (False, CLOSE_UNAUTHENTICATED)


async def test_connecting_sends_the_whole_room(live_meeting, owner):
    socket, connected, _ = await room_socket(live_meeting, owner)
    assert connected
    frame = await socket.receive_from()
    for section in ("status", "agenda", "queue", "vote", "attendance", "minutes"):
        assert f'id="room-{section}"' in frame
    assert "电梯维修方案" in frame
    await socket.disconnect()


async def test_the_chair_moves_on_and_every_audience_sees_the_new_item(
    live_meeting, chair, owner, resident
):
    chair_socket, _, _ = await room_socket(live_meeting, chair)
    phone, _, _ = await room_socket(live_meeting, owner)
    display, _, _ = await room_socket(live_meeting, resident, view="display")
    for socket in (chair_socket, phone, display):
        await socket.receive_from()
    first, _second = await _items(live_meeting)
    await chair_socket.send_to(text_data=_command("next_item", current=0))
    marker = f'data-current-item="{first[0]}"'
    chair_frame = await receive_until(chair_socket, marker)
    phone_frame = await receive_until(phone, marker)
    display_frame = await receive_until(display, marker)
    assert 'value="next_item"' in chair_frame  # the console has the controls
    assert 'value="next_item"' not in phone_frame
    assert 'value="raise_hand"' in phone_frame
    assert 'value="raise_hand"' not in display_frame
    for socket in (chair_socket, phone, display):
        await socket.disconnect()


async def test_a_participant_cannot_move_the_agenda(live_meeting, owner):
    socket, _, _ = await room_socket(live_meeting, owner)
    await socket.receive_from()
    await socket.send_to(text_data=_command("next_item", current=0))
    frame = await receive_until(socket, "room-notice")
    assert "bad" in frame
    assert all(status == ItemStatus.PENDING for _, status in await _items(live_meeting))
    await socket.disconnect()


async def test_a_replayed_next_item_advances_only_once(live_meeting, chair):
    socket, _, _ = await room_socket(live_meeting, chair)
    await socket.receive_from()
    await socket.send_to(text_data=_command("next_item", current=0))
    await socket.send_to(text_data=_command("next_item", current=0))
    await receive_until(socket, "room-notice")  # the replay is refused
    statuses = [status for _, status in await _items(live_meeting)]
    assert statuses == [ItemStatus.OPEN, ItemStatus.PENDING]
    await socket.disconnect()


async def test_a_raised_hand_reaches_the_chair_and_the_floor_reaches_the_speaker(
    live_meeting, chair, owner
):
    first = (await _items(live_meeting))[0][0]
    await database_sync_to_async(services.open_item)(live_meeting, by=chair, item_id=first)
    console, _, _ = await room_socket(live_meeting, chair)
    phone, _, _ = await room_socket(live_meeting, owner)
    await console.receive_from()
    await phone.receive_from()
    await phone.send_to(text_data=_command("raise_hand", item=first))
    frame = await receive_until(console, 'value="grant_floor"')
    assert "李明" in frame
    request = await database_sync_to_async(SpeakerRequest.objects.get)(item_id=first)
    await console.send_to(text_data=_command("grant_floor", request=request.pk))
    personal = await receive_until(phone, 'id="room-notice"')
    assert "room-notice ok" in personal
    frame = await receive_until(console, "data-deadline")
    assert "countdown" in frame
    await drain(console)
    await console.disconnect()
    await phone.disconnect()


async def test_a_command_on_a_withdrawn_hand_changes_nothing(live_meeting, chair, owner):
    first = (await _items(live_meeting))[0][0]

    @database_sync_to_async
    def setup():
        services.open_item(live_meeting, by=chair, item_id=first)
        hand = services.raise_hand(live_meeting, by=owner, item_id=first)
        services.lower_hand(live_meeting, by=owner, item_id=first)
        return hand

    hand = await setup()
    console, _, _ = await room_socket(live_meeting, chair)
    await console.receive_from()
    await console.send_to(text_data=_command("grant_floor", request=hand.pk))
    frame = await receive_until(console, "room-notice")
    assert "bad" in frame
    hand = await database_sync_to_async(SpeakerRequest.objects.get)(pk=hand.pk)
    assert hand.status == SpeakerStatus.WITHDRAWN
    await console.disconnect()


async def test_an_oversized_message_closes_the_socket(live_meeting, chair):
    socket, _, _ = await room_socket(live_meeting, chair)
    await socket.receive_from()
    await socket.send_to(text_data=_command("add_minutes", text="长" * 5000))
    output = await socket.receive_output()
    assert output == {"type": "websocket.close", "code": CLOSE_BAD_MESSAGE}


@pytest.mark.parametrize(
    "message",
    [
        "not json",
        "[1, 2]",
        json.dumps({"command": "launch_rockets"}),
        json.dumps({"command": "next_item", "current": 0, "extra": "x"}),
        json.dumps({"command": "next_item", "current": "first"}),
        json.dumps({"command": "next_item", "current": {"pk": 1}}),
        json.dumps({"command": "cast_vote", "vote": 1, "choice": "maybe"}),
    ],
)
async def test_a_malformed_command_is_answered_with_an_error_and_changes_nothing(
    live_meeting, chair, message
):
    before = (await _refresh(live_meeting)).version
    socket, _, _ = await room_socket(live_meeting, chair)
    await socket.receive_from()
    await socket.send_to(text_data=message)
    frame = await receive_until(socket, "room-notice")
    assert "room-notice bad" in frame
    assert (await _refresh(live_meeting)).version == before
    await socket.disconnect()


async def test_a_burst_of_commands_is_rate_limited(live_meeting, owner):
    socket, _, _ = await room_socket(live_meeting, owner)
    await socket.receive_from()
    for _ in range(12):
        await socket.send_to(text_data="{}")
    frames = [await socket.receive_from() for _ in range(12)]
    assert sum("too many" in f or "太快" in f or "稍等" in f for f in frames) >= 5
    await socket.disconnect()


async def test_user_text_in_the_room_is_escaped(live_meeting, community_worker, chair):
    socket, _, _ = await room_socket(live_meeting, community_worker)
    await socket.receive_from()
    await socket.send_to(text_data=_command("add_minutes", text="<script>alert(1)</script>"))
    frame = await receive_until(socket, "alert(1)")
    assert "<script>alert" not in frame
    assert "&lt;script&gt;" in frame
    await socket.disconnect()


async def test_a_stale_chair_loses_the_console_when_the_chair_moves(
    live_meeting, chair, community_worker, owner, committee_member
):
    old_console, _, _ = await room_socket(live_meeting, chair)
    await old_console.receive_from()
    await database_sync_to_async(services.move_chair)(live_meeting, by=chair, to=committee_member)
    # The old chair holds no seat any more, so the room closes their socket.
    closed = await old_console.receive_output(timeout=3)
    while closed.get("type") != "websocket.close":
        closed = await old_console.receive_output(timeout=3)
    assert closed["code"] == CLOSE_FORBIDDEN
    # A command from a socket opened before the move is re-checked against the database.
    new_console, connected, _ = await room_socket(live_meeting, committee_member)
    assert connected
    await new_console.receive_from()
    await new_console.send_to(text_data=_command("next_item", current=0))
    await receive_until(new_console, "data-current-item")
    assert (await _items(live_meeting))[0][1] == ItemStatus.OPEN
    await new_console.disconnect()


async def test_a_stale_chair_command_is_refused_even_without_the_reseat_message(
    live_meeting, chair, committee_member
):
    console, _, _ = await room_socket(live_meeting, chair)
    await console.receive_from()

    @database_sync_to_async
    def move_silently():
        Meeting.objects.filter(pk=live_meeting.pk).update(chair=committee_member)

    await move_silently()
    await console.send_to(text_data=_command("next_item", current=0))
    frame = await receive_until(console, "room-notice")
    assert "bad" in frame
    assert all(status == ItemStatus.PENDING for _, status in await _items(live_meeting))
    await console.disconnect()


async def test_a_reconnecting_client_rebuilds_the_room_from_the_database(
    live_meeting, chair, owner
):
    first = (await _items(live_meeting))[0][0]
    phone, _, _ = await room_socket(live_meeting, owner)
    await phone.receive_from()
    await phone.disconnect()

    @database_sync_to_async
    def meanwhile():
        services.open_item(live_meeting, by=chair, item_id=first)
        services.raise_hand(live_meeting, by=owner, item_id=first)

    await meanwhile()
    phone, _, _ = await room_socket(live_meeting, owner)
    frame = await phone.receive_from()
    assert f'data-current-item="{first}"' in frame
    assert "李明" in frame.split('id="room-queue"')[1].split("</section>")[0]
    await phone.disconnect()


async def test_a_restarted_worker_rebuilds_the_room_and_carries_on(live_meeting, chair, owner):
    console, _, _ = await room_socket(live_meeting, chair)
    await console.receive_from()
    await console.send_to(text_data=_command("next_item", current=0))
    await receive_until(console, "data-current-item")
    await console.disconnect()
    # A restart loses everything in memory, the channel layer included.
    channel_layers.backends.clear()
    first, second = await _items(live_meeting)
    console, _, _ = await room_socket(live_meeting, chair)
    phone, _, _ = await room_socket(live_meeting, owner)
    assert f'data-current-item="{first[0]}"' in await console.receive_from()
    await phone.receive_from()
    await console.send_to(text_data=_command("next_item", current=first[0]))
    await receive_until(phone, f'data-current-item="{second[0]}"')
    await console.disconnect()
    await phone.disconnect()


async def test_a_second_worker_process_state_is_only_the_database(live_meeting, chair, owner):
    """Two sockets served by two consumer instances agree because both read the database."""
    console, _, _ = await room_socket(live_meeting, chair)
    await console.receive_from()
    await console.send_to(text_data=_command("next_item", current=0))
    await receive_until(console, "data-current-item")
    late, _, _ = await room_socket(live_meeting, owner)
    first = (await _items(live_meeting))[0][0]
    assert f'data-current-item="{first}"' in await late.receive_from()
    await console.disconnect()
    await late.disconnect()


async def test_a_live_show_of_hands_counts_on_close(live_meeting, chair, owner, resident):
    first = (await _items(live_meeting))[0][0]
    await database_sync_to_async(services.open_item)(live_meeting, by=chair, item_id=first)
    console, _, _ = await room_socket(live_meeting, chair)
    phone, _, _ = await room_socket(live_meeting, owner)
    other, _, _ = await room_socket(live_meeting, resident)
    for socket in (console, phone, other):
        await socket.receive_from()
    await console.send_to(text_data=_command("open_vote", item=first, question="同意维修方案吗？"))
    frame = await receive_until(phone, 'value="cast_vote"')
    vote_id = int(frame.split('name="vote" value="')[1].split('"')[0])
    await phone.send_to(text_data=_command("cast_vote", vote=vote_id, choice="yes"))
    await receive_until(phone, "room-notice ok")
    await phone.send_to(text_data=_command("cast_vote", vote=vote_id, choice="no"))
    await receive_until(phone, "room-notice bad")  # one response each
    await other.send_to(text_data=_command("cast_vote", vote=vote_id, choice="no"))
    await receive_until(other, "room-notice ok")
    await console.send_to(text_data=_command("close_vote", vote=vote_id))
    frame = await receive_until(other, "room-result")
    # 1 of 2 is not more than half; a show of hands decides nothing, and says so.
    assert "举手表决，不具约束力：未获参加表决者过半数同意" in frame
    assert "举手同意 1 人 ≤ 参加举手表决 2 人 × 1/2 = 1 人 ✗ 不符合" in frame
    record = await database_sync_to_async(services.minutes_context)(live_meeting)
    assert record["items"][0]["votes"][0]["yes"] == 1
    assert record["items"][0]["votes"][0]["majority"] is False
    assert record["items"][0]["votes"][0]["passed"] is None
    assert record["items"][0]["votes"][0]["binding"] is False
    for socket in (console, phone, other):
        await socket.disconnect()


async def test_every_room_command_is_audited(live_meeting, chair):
    console, _, _ = await room_socket(live_meeting, chair)
    await console.receive_from()
    await console.send_to(text_data=_command("next_item", current=0))
    await receive_until(console, "data-current-item")
    verbs = await database_sync_to_async(
        lambda: list(AuditEntry.objects.values_list("verb", flat=True))
    )()
    assert "meeting.next_item" in verbs
    await console.disconnect()


async def test_a_watcher_of_a_public_meeting_sees_the_display_but_cannot_act(
    community, chair, stranger
):
    meeting = await database_sync_to_async(make_meeting)(community, chair, public_watch=True)
    socket, connected, _ = await room_socket(meeting, stranger)
    assert connected
    frame = await socket.receive_from()
    assert 'value="next_item"' not in frame
    await socket.send_to(text_data=_command("next_item", current=0))
    assert "room-notice bad" in await receive_until(socket, "room-notice")
    await socket.disconnect()


@database_sync_to_async
def _seat_pk(meeting, user):
    return meeting.participants.get(user=user).pk


async def test_reconnecting_sockets_share_one_render_per_version(
    live_meeting, chair, owner, resident, monkeypatch
):
    """After a worker dies its clients all reconnect at once: each audience and language is
    rendered once per room version, and a change still reaches the next socket to connect."""
    from meetings import consumers

    consumers.SNAPSHOTS.clear()
    renders = []
    real = consumers.snapshot

    def counting(meeting, audience, language):
        renders.append((meeting.version, audience, language))
        return real(meeting, audience, language)

    monkeypatch.setattr(consumers, "snapshot", counting)
    frames = []
    for user in (owner, resident, owner, resident):
        socket, connected, _ = await room_socket(live_meeting, user)
        assert connected
        frame = await socket.receive_from()
        shared, personal = frame.split('<div id="room-me"')  # each person's own state last
        assert f'data-participant="{await _seat_pk(live_meeting, user)}"' in personal
        frames.append(shared)
        await socket.disconnect()
    assert len(renders) == 1 and len(set(frames)) == 1  # two participants: one audience

    chair_socket, _, _ = await room_socket(live_meeting, chair)
    await chair_socket.receive_from()
    first, _second = await _items(live_meeting)
    await chair_socket.send_to(text_data=_command("next_item", current=0))
    await receive_until(chair_socket, f'data-current-item="{first[0]}"')
    await chair_socket.disconnect()
    socket, _, _ = await room_socket(live_meeting, owner)
    assert f'data-current-item="{first[0]}"' in await socket.receive_from()
    await socket.disconnect()
    versions = [version for version, _audience, _language in renders]
    assert versions == sorted(versions) and len(renders) == 3  # participant, chair, new version


async def _open_vote_with_sockets(meeting, chair, *voters):
    first = (await _items(meeting))[0][0]
    await database_sync_to_async(services.open_item)(meeting, by=chair, item_id=first)
    vote = await database_sync_to_async(services.open_live_vote)(
        meeting, by=chair, item_id=first, question="同意维修方案吗？"
    )
    console, _, _ = await room_socket(meeting, chair)
    phones = [(await room_socket(meeting, voter))[0] for voter in voters]
    for socket in (console, *phones):
        await socket.receive_from()
    return vote, console, phones


async def test_a_burst_of_casts_reaches_the_room_as_one_count(
    live_meeting, chair, owner, resident, settings
):
    """Each voter hears at once that the vote is recorded; the room's "n votes so far" waits
    and leaves once, rendered when it leaves, so it shows every cast made meanwhile."""
    from meetings import rendering

    settings.ROOM_TALLY_WAIT_S = 30  # sent below by hand: nothing here races a timer
    vote, console, phones = await _open_vote_with_sockets(live_meeting, chair, owner, resident)
    for socket, choice in zip(phones, ("yes", "no"), strict=True):
        await socket.send_to(text_data=_command("cast_vote", vote=vote.pk, choice=choice))
        assert "room-notice ok" in await socket.receive_from()
    assert await console.receive_nothing(timeout=0.2)  # no frame per cast
    rendering.flush_waiting(live_meeting.pk)
    frame = await console.receive_from()
    assert "已有 2 人表决" in frame
    for socket in phones:
        assert "已有 2 人表决" in await socket.receive_from()
    assert await console.receive_nothing(timeout=0.2)  # one frame, not one per cast
    for socket in (console, *phones):
        await socket.disconnect()


async def test_a_waiting_count_shows_the_room_as_it_is_when_it_leaves(
    live_meeting, chair, owner, settings
):
    from meetings import rendering

    settings.ROOM_TALLY_WAIT_S = 30
    vote, console, (phone,) = await _open_vote_with_sockets(live_meeting, chair, owner)
    await phone.send_to(text_data=_command("cast_vote", vote=vote.pk, choice="yes"))
    await receive_until(phone, "room-notice ok")
    await console.send_to(text_data=_command("close_vote", vote=vote.pk))
    await receive_until(console, "room-result")
    rendering.flush_waiting(live_meeting.pk)  # the count that waited: it must not undo the result
    frame = await console.receive_from()
    assert "room-result" in frame and "人表决" not in frame
    for socket in (console, phone):
        await socket.disconnect()


async def test_the_count_leaves_by_itself_when_its_wait_ends(live_meeting, chair, owner, settings):
    settings.ROOM_TALLY_WAIT_S = 0.01
    vote, console, (phone,) = await _open_vote_with_sockets(live_meeting, chair, owner)
    await phone.send_to(text_data=_command("cast_vote", vote=vote.pk, choice="yes"))
    assert "已有 1 人表决" in await receive_until(console, "人表决")
    for socket in (console, phone):
        await socket.disconnect()


async def test_a_count_left_waiting_on_a_stopped_loop_does_not_hold_back_the_next(
    live_meeting, chair, owner, settings, monkeypatch
):
    """A count whose loop stopped before its wait ended (its timer went with the loop) must
    not make later casts wait for a timer that will never fire."""
    import asyncio

    from meetings import rendering
    from meetings.services import VOTE

    settings.ROOM_TALLY_WAIT_S = 0.01
    stopped = asyncio.new_event_loop()
    stopped.close()
    monkeypatch.setitem(rendering._tally.waiting, live_meeting.pk, (stopped, {VOTE}))
    vote, console, (phone,) = await _open_vote_with_sockets(live_meeting, chair, owner)
    await phone.send_to(text_data=_command("cast_vote", vote=vote.pk, choice="yes"))
    assert "已有 1 人表决" in await receive_until(console, "人表决")
    for socket in (console, phone):
        await socket.disconnect()
