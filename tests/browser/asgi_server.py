"""`asgi_server`: the whole ASGI app (HTTP and websockets) in a daphne child process.

pytest-django's live_server speaks WSGI only; the live room needs websockets. The child uses
the test database (committed data: this fixture asks for `transactional_db`, which empties the
tables after each test).

One child serves every test of a test process: starting one (importing Django and the app) and
stopping it cost seconds, more than most room tests take. What a child keeps between tests is
in its memory: its cache (log-in rate limits per address, unread counts, fragments) and the
rooms it has rendered. Each test starts by asking the child to empty both (tests/asgi_urls.py),
so it meets a child as fresh as a new one.
"""

from urllib.request import Request, urlopen

import pytest
from django.db import connection

from tests.asgi_process import asgi_process
from tests.asgi_urls import CLEAR_CACHE_PATH


@pytest.fixture(scope="session")
def _asgi_child(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        with asgi_process(connection.settings_dict) as url:
            yield url


@pytest.fixture
def asgi_server(transactional_db, _asgi_child):
    url = f"{_asgi_child}/{CLEAR_CACHE_PATH}"
    request = Request(url, method="POST")  # noqa: S310 - our own child, on loopback
    with urlopen(request, timeout=60) as response:  # noqa: S310 - the same
        assert response.status == 204
    return _asgi_child
