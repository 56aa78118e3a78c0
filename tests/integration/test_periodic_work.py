"""Reminders and escalations (督办) go out because the worker that `make run` starts schedules
them itself: nobody runs `send_reminders` from cron."""

import datetime

import pytest
import time_machine
from django.conf import settings
from django.core.management import call_command
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from deliberation.models import Notification, Responsible, Route, SupervisionNote
from deliberation.periodic import TICK_PATH, ensure_scheduled
from deliberation.services import execution as svc
from tests.factories_execution import make_topic

pytestmark = pytest.mark.django_db

BEIJING = datetime.timezone(datetime.timedelta(hours=8))


@pytest.fixture
def clock():
    with time_machine.travel(datetime.datetime(2026, 3, 10, 10, tzinfo=BEIJING), tick=False) as t:
        yield t


@pytest.fixture
def worker(monkeypatch, django_capture_on_commit_callbacks):
    """`manage.py worker` in this process until nothing is due; it keeps this test's
    connection open (a long-lived worker closes old ones between tasks)."""
    monkeypatch.setattr(
        "django_tasks_db.management.commands.db_worker.close_old_connections", lambda: None
    )

    def run():
        with django_capture_on_commit_callbacks(execute=True):
            call_command("worker", batch=True, startup_delay=False, reload=False, verbosity=0)

    return run


def waiting_ticks():
    return DBTaskResult.objects.filter(task_path=TICK_PATH, status="READY")


def test_reminders_and_escalations_go_out_on_the_workers_own_schedule(
    clock, worker, community, resident, community_worker, chair
):
    topic = make_topic(community, resident)
    task = svc.add_task(
        topic,
        by=community_worker,
        title="更换楼道灯",
        responsible=Responsible.COMMUNITY_WORKER,
        route=Route.IMMEDIATE,
    )
    worker()  # starting the worker runs the periodic work once and schedules the next
    assert not Notification.objects.filter(user=community_worker).exists()  # nothing due yet
    [next_tick] = waiting_ticks()
    period = datetime.timedelta(seconds=settings.PERIODIC_SECONDS)
    assert next_tick.run_after == timezone.now() + period

    clock.move_to(datetime.datetime.combine(task.due_date, datetime.time(10), tzinfo=BEIJING))
    worker()
    reminders = Notification.objects.filter(user=community_worker)
    assert reminders.count() == 1 and "更换楼道灯" in reminders.get().text

    clock.move_to(
        datetime.datetime.combine(task.due_date, datetime.time(10), tzinfo=BEIJING)
        + datetime.timedelta(days=1)
    )
    worker()
    worker()  # running again sends nothing twice
    assert SupervisionNote.objects.filter(task=task).count() == 1  # escalated: 督办
    assert Notification.objects.filter(user=chair).count() == 1
    assert waiting_ticks().count() == 1  # always exactly one next tick


def test_workers_started_together_keep_one_schedule(clock, worker):
    first = ensure_scheduled()
    assert ensure_scheduled() == first
    worker()
    worker()
    assert waiting_ticks().count() == 1
