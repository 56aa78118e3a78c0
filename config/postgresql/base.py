"""ENGINE "config.postgresql": see the package docstring."""

import time

from django.db.backends.postgresql import base

RECENT = 5.0


def mark_returned(conn):
    """The pool's reset callback: note when the connection came back."""
    conn._gongyi_returned_at = time.monotonic()


def check_unless_recent(conn):
    """The pool's check callback: raise if a connection idle for RECENT s or more is broken."""
    if time.monotonic() - getattr(conn, "_gongyi_returned_at", float("-inf")) < RECENT:
        return
    from psycopg_pool import ConnectionPool

    ConnectionPool.check_connection(conn)


class DatabaseWrapper(base.DatabaseWrapper):
    @property
    def pool(self):
        pool = super().pool
        # Django builds the pool with check=ConnectionPool.check_connection when
        # CONN_HEALTH_CHECKS is on, and takes no reset callback: both are set once it exists.
        if pool is not None and pool._check is not None and pool._reset is not mark_returned:
            pool._check = check_unless_recent
            pool._reset = mark_returned
        return pool
