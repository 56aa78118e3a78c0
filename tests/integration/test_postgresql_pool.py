"""On PostgreSQL the pool checks connections with plumbing/postgresql's callbacks."""

import time

import pytest

from plumbing.postgresql import base


@pytest.mark.django_db
def test_the_pool_uses_these_callbacks_on_postgresql():
    from django.db import connection

    if connection.vendor != "postgresql" or connection.pool is None:
        pytest.skip("a PostgreSQL pool: CI runs it on PostgreSQL")
    assert connection.pool._check is base.check_unless_recent
    assert connection.pool._reset is None  # returned connections are taken back at once
    connection.ensure_connection()
    raw = connection.connection
    connection.close()  # back to the pool, noted as just returned
    assert time.monotonic() - base.RETURNED_AT[raw] < base.RECENT
