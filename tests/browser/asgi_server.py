"""`asgi_server`: the whole ASGI app (HTTP and websockets) in a daphne child process.

pytest-django's live_server speaks WSGI only; the live room needs websockets. The child uses
the test database (committed data: this fixture asks for `transactional_db`).
"""

import pytest
from django.db import connection

from tests.asgi_process import asgi_process


@pytest.fixture
def asgi_server(transactional_db):
    with asgi_process(connection.settings_dict) as url:
        yield url
