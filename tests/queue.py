"""Run the task queue in the test's own process until it is empty, as `manage.py db_worker
--batch` would: what publishing queued (a notice's sending, printing) is then done."""

from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from unittest import mock

from django.core.management import call_command
from django.db import connection
from django_tasks_db.management.commands.db_worker import Worker


def run_queued_tasks():
    """A new worker, with a worker id of its own, that empties the queue and returns; in the
    main thread or another one (a browser test's page watches the job meanwhile)."""
    with (
        # A long-lived worker closes its connection between tasks; the test's must stay open.
        mock.patch(
            "django_tasks_db.management.commands.db_worker.close_old_connections", lambda: None
        ),
        # Only the main thread may set signal handlers; a test has no signals to handle.
        mock.patch.object(Worker, "configure_signals", lambda worker: None),
    ):
        call_command("db_worker", batch=True, startup_delay=False, reload=False, verbosity=0)


@contextmanager
def queued_tasks_in_a_thread():
    """run_queued_tasks() in a thread of its own, for a browser test: Playwright's event loop
    runs in the test's thread, where the tasks' broadcasts (async_to_sync) may not, and the
    page can be watched meanwhile. On leaving, waits for the worker and raises what it raised.
    The thread's database connection is closed when it is done."""

    def work():
        try:
            run_queued_tasks()
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=1) as pool:
        worker = pool.submit(work)
        yield
        worker.result()


def drop_queued_notices():
    """Take the queued sending of notices off the queue, job and task: a factory's vote is
    published as before sending went to the worker, and a test that runs the worker for its
    own job meets only that job. Tests of the sending publish through the page instead."""
    from django_tasks_db.models import DBTaskResult

    from deliberation.models import BackgroundJob, JobKind, JobState

    queued = BackgroundJob.objects.filter(kind=JobKind.DELIVERY, state=JobState.QUEUED)
    DBTaskResult.objects.filter(pk__in=[j.task_result_id for j in queued]).delete()
    queued.delete()
