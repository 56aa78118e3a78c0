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

# A child that serves many tests keeps its cache in files each test removes first
# (tests/browser/asgi_server.py).
if os.environ.get("TEST_CACHE_DIR"):
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": os.environ["TEST_CACHE_DIR"],
        }
    }
