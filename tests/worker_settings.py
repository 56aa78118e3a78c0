"""Settings for a test's `manage.py db_worker` child process."""

import os

from tests.asgi_settings import *  # noqa: F403

if os.environ.get("GONGYI_TEST_STEP_FD"):
    INSTALLED_APPS = [*INSTALLED_APPS, "tests.worker_hold"]  # noqa: F405
