"""The pool checks a connection on checkout only after it has sat idle (plumbing/postgresql)."""

import time

import pytest

from plumbing.postgresql import base


class FakeConnection:
    pass


@pytest.fixture
def checks(monkeypatch):
    from psycopg_pool import ConnectionPool

    seen = []
    monkeypatch.setattr(ConnectionPool, "check_connection", staticmethod(seen.append))
    return seen


def test_a_connection_back_a_moment_ago_is_not_checked(checks):
    conn = FakeConnection()
    base.mark_returned(conn)
    base.check_unless_recent(conn)
    assert checks == []


def test_a_connection_idle_for_a_while_is_checked(checks):
    conn = FakeConnection()
    base.RETURNED_AT[conn] = time.monotonic() - base.RECENT - 1
    base.check_unless_recent(conn)
    assert checks == [conn]


def test_a_new_connection_is_checked(checks):
    conn = FakeConnection()
    base.check_unless_recent(conn)
    assert checks == [conn]
