"""Settings for the daphne child process of tests: the test run's fast password hasher too."""

import json
import os

from config.settings import *  # noqa: F403

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.MD5PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]

# A test may give the room's rate limit windows long enough that no window ends mid-test.
if os.environ.get("TEST_ROOM_COMMAND_LIMITS"):
    ROOM_COMMAND_LIMITS = json.loads(os.environ["TEST_ROOM_COMMAND_LIMITS"])

# One URL more: the tests empty the child's cache between tests (tests/browser/asgi_server.py).
ROOT_URLCONF = "tests.asgi_urls"
