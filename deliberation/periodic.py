"""Periodic work, scheduled by the project itself on its own task queue (no operator cron).

`tick` runs every PERIODIC_SECONDS: reminders and escalations (督办) of execution tasks, the
end of evaluation windows (deliberation.services.execution.send_reminders, which sends each
message once however often it runs), background jobs lost with a killed worker, and notice
messages: those a killed worker left "sending", and those deferred past quiet hours. Before it
ends it queues its successor with `run_after`, unless one is already waiting; each worker
started with `manage.py worker` makes sure one is waiting, so the chain survives a worker
killed in the middle of a tick, and two chains started at once merge into one.
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone, translation
from django_tasks import task

from deliberation.delivery import recover_stalled_sends
from deliberation.jobs import recover_stalled_jobs
from deliberation.services.execution import send_reminders

logger = logging.getLogger(__name__)

TICK_PATH = "deliberation.periodic.tick"


def _periodic_work():
    with translation.override(settings.LANGUAGE_CODE):
        yield "reminders", send_reminders
        yield "stalled jobs", recover_stalled_jobs
        yield "notice sending", recover_stalled_sends


@task()
def tick():
    done = {}
    for name, work in _periodic_work():
        try:
            done[name] = work()
        except Exception:
            # One failing duty must not stop the others, nor the schedule.
            logger.exception("Periodic work %r failed", name)
    ensure_scheduled(delay=timedelta(seconds=settings.PERIODIC_SECONDS))
    return {name: str(result) for name, result in done.items()}


def waiting_tick():
    from django_tasks_db.models import DBTaskResult

    return DBTaskResult.objects.filter(task_path=TICK_PATH, status="READY").first()


def ensure_scheduled(delay=timedelta(0)):
    """Queue the next tick unless one is already waiting. Returns the waiting tick's id."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            # Workers starting together must not both find none waiting and queue two.
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [TICK_PATH])
        # On SQLite every write transaction is already serialized (IMMEDIATE).
        existing = waiting_tick()
        if existing is not None:
            return str(existing.pk)
        return str(tick.using(run_after=timezone.now() + delay).enqueue().id)
