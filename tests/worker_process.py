"""Run `manage.py db_worker`, the real task worker, in a child process on the test database.

The test database is a file (config.env's TEST NAME), so the child sees what the test
committed: use it from `django_db(transaction=True)` tests.

A worker that is neither killed nor held (one that only has to empty the queue) runs in the
test's process instead, `tests.queue.run_queued_tasks()`: the same command without a Python
process's start-up (~1.5 s of CPU) each time.
"""

import os
import subprocess
import sys
from contextlib import contextmanager

from django.conf import settings

from tests.asgi_process import ROOT, _drop_leftover_sessions, child_app_name, database_url


def worker_command(*, batch):
    command = [sys.executable, "manage.py", "db_worker", "--no-startup-delay", "--no-reload"]
    command += ["--batch"] if batch else ["--interval", "0.2"]
    return command + ["--verbosity", "0"]


@contextmanager
def worker_process(settings_dict, *, batch=False, step_fd=None, env=None):
    """Yield the worker's Popen; it is stopped (or reaped, if the test killed it) on exit.

    With `step_fd`, the worker writes "done/total" there after a job's first step and then
    waits for ever (tests/worker_hold), so the test can kill it mid-task. `env`: settings
    read from the environment (a fake SMS gateway's address, say).
    """
    app_name = child_app_name()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.worker_settings",
        "DATABASE_URL": database_url(settings_dict),
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "DEBUG": "true",
        "PGAPPNAME": app_name,
        **(env or {}),
    }
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    pass_fds = []
    if step_fd is not None:
        env["GONGYI_TEST_STEP_FD"] = str(step_fd)
        pass_fds.append(step_fd)
    process = subprocess.Popen(  # noqa: S603 - our own manage.py
        worker_command(batch=batch), cwd=ROOT, env=env, pass_fds=pass_fds
    )
    try:
        yield process
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        _drop_leftover_sessions(settings_dict, app_name)
