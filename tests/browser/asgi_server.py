"""`asgi_server`: the whole ASGI app (HTTP and websockets) in a daphne child process.

pytest-django's live_server speaks WSGI only; the live room needs websockets. The child uses
the test database (committed data: this fixture asks for `transactional_db`, which empties the
tables after each test).

One child serves every test of a test process: starting one (importing Django and the app) and
stopping it cost seconds, more than most room tests take. What a child keeps between tests is
its cache (log-in rate limits per address, unread counts, fragments): it lives in files that
each test starts by removing, so every test sees an empty cache, as in a fresh child. Rooms
already rendered (meetings.consumers.SNAPSHOTS) are filed under the meeting's creation time
too, so a meeting id handed out again after a flush never finds the last test's room.
"""

import shutil

import pytest
from django.db import connection

from tests.asgi_process import asgi_process


@pytest.fixture(scope="session")
def _asgi_child(django_db_setup, django_db_blocker, tmp_path_factory):
    cache_dir = tmp_path_factory.mktemp("asgi-cache")
    with django_db_blocker.unblock():
        with asgi_process(connection.settings_dict, TEST_CACHE_DIR=str(cache_dir)) as url:
            yield url, cache_dir


@pytest.fixture
def asgi_server(transactional_db, _asgi_child):
    url, cache_dir = _asgi_child
    shutil.rmtree(cache_dir)
    cache_dir.mkdir()
    return url
