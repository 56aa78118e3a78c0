"""ENGINE "plumbing.postgresql": see the package docstring."""

import time
import weakref

from django.db.backends.postgresql import base

RECENT = 5.0
# When each pooled psycopg connection last went back to the pool (kept beside it, not on it).
RETURNED_AT = weakref.WeakKeyDictionary()


def mark_returned(conn):
    """Note when the connection goes back to the pool."""
    RETURNED_AT[conn] = time.monotonic()


def check_unless_recent(conn):
    """The pool's check callback: raise if a connection idle for RECENT s or more is broken."""
    if time.monotonic() - RETURNED_AT.get(conn, float("-inf")) < RECENT:
        return
    from psycopg_pool import ConnectionPool

    ConnectionPool.check_connection(conn)


class DatabaseWrapper(base.DatabaseWrapper):
    @property
    def pool(self):
        pool = super().pool
        # Django builds the pool with check=ConnectionPool.check_connection when
        # CONN_HEALTH_CHECKS is on: replaced once the pool exists. (Not through the pool's
        # reset callback either: with one, the pool hands every returned connection to its
        # worker threads instead of taking it back at once.)
        if pool is not None and pool._check is not None:
            pool._check = check_unless_recent
        return pool

    def _close(self):
        if self.pool is not None and self.connection is not None:
            mark_returned(self.connection)
        return super()._close()
