"""The opinion map in the live room: the chair and the worker (the secretary) watch the open
item's map change as residents answer; the task queue draws it and the room gets it."""

import pytest
from channels.db import database_sync_to_async
from django.core.management import call_command

from deliberation.models import StatementVote
from deliberation.services import opinions
from meetings import services as room
from meetings.models import AgendaItem
from tests.integration.test_opinion_pages import SHARED, build_camps
from tests.meeting_factories import live_consultation
from tests.room_client import (
    close_worker_thread_connections,  # noqa: F401  (autouse)
    drain,
    receive_until,
    room_socket,
)
from tests.topic_factories import discussing

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def worker(monkeypatch):
    """`manage.py db_worker --batch` in the test's database thread, until nothing is due."""
    monkeypatch.setattr(
        "django_tasks_db.management.commands.db_worker.close_old_connections", lambda: None
    )
    # Signals are for the main thread; this worker runs in the database thread.
    monkeypatch.setattr(
        "django_tasks_db.management.commands.db_worker.Worker.configure_signals", lambda self: None
    )

    @database_sync_to_async
    def run():
        call_command("db_worker", batch=True, startup_delay=False, reload=False, verbosity=0)

    return run


@pytest.fixture
def meeting_on_topic(community, chair, community_worker, owner, resident):
    topic = discussing(community, resident, community_worker, title="小区停车怎么管")
    meeting = live_consultation(community, chair, community_worker, owner, resident)
    item = AgendaItem.objects.create(meeting=meeting, position=3, title="停车管理", topic=topic)
    room.open_item(meeting, by=chair, item_id=item.pk)
    return meeting, topic


def section(frame):
    start = frame.index('id="room-opinions"')
    return frame[start : frame.index("</section>", start)]


async def test_the_chair_and_the_worker_see_the_map_change_as_residents_answer(
    meeting_on_topic, chair, community_worker, resident, worker
):
    meeting, topic = meeting_on_topic
    console, _, _ = await room_socket(meeting, chair)
    secretary, _, _ = await room_socket(meeting, community_worker, language="en")
    display, _, _ = await room_socket(meeting, resident, view="display")
    first = section(await console.receive_from())
    assert "这个议题还没有意见地图" in first and "/opinions/map/" in first  # not drawn yet
    assert section(await display.receive_from()).endswith("hidden>")
    await secretary.receive_from()

    await database_sync_to_async(build_camps)(topic, community_worker, resident, [7, 6])
    await worker()

    frame = await receive_until(console, "room-opinions")
    assert frame.lstrip().startswith('<section id="room-opinions"')  # the section alone
    shown = section(frame)
    assert "A 组 · 7 人" in shown and "B 组 · 6 人" in shown
    assert all(f"同意：{t}" in shown for t in SHARED)
    assert "更新于" in shown
    names = await database_sync_to_async(
        lambda: {
            v.participant.real_name for v in StatementVote.objects.select_related("participant")
        }
    )()
    assert len(names) == 13 and not any(name in frame for name in names)  # nobody's position
    english = section(await receive_until(secretary, "room-opinions"))
    assert "Group A · 7 people" in english and "It informs the decision" in english
    assert section(await receive_until(display, "room-opinions")).endswith("hidden>")

    # One more answer, drawn again: the room gets the new map; a socket connecting now gets it
    # in its snapshot, not the room as it was cached before.
    @database_sync_to_async
    def one_more():
        from deliberation.models import Statement
        from tests.topic_factories import quick_residents

        [newcomer] = quick_residents(topic.community, 1, prefix="新住户")
        for statement in Statement.objects.filter(topic=topic, state="approved"):
            opinions.answer_statement(statement, by=newcomer, vote=1)

    await one_more()
    await worker()
    assert "14 人参与表态" in section(await receive_until(console, "14 人参与表态"))
    late, _, _ = await room_socket(meeting, chair)
    assert "14 人参与表态" in section(await late.receive_from())
    for socket in (console, secretary, display, late):
        await socket.disconnect()


async def test_a_map_of_a_topic_no_room_is_discussing_goes_to_no_room(
    meeting_on_topic, community, chair, community_worker, resident, worker
):
    meeting, _topic = meeting_on_topic
    other = await database_sync_to_async(discussing)(
        community, resident, community_worker, title="另一个议题"
    )
    console, _, _ = await room_socket(meeting, chair)
    await console.receive_from()
    await database_sync_to_async(build_camps)(other, community_worker, resident, [6, 6])
    await worker()
    frames = await drain(console)
    assert not any("room-opinions" in f for f in frames)
    await console.disconnect()
