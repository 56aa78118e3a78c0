"""Settings for the daphne processes of bench/cast.py: the project's, with a connection pool.

Under ASGI each request's sync code may run in a different thread, so persistent connections
(CONN_MAX_AGE) pile up until PostgreSQL refuses clients ("too many clients already"), and a
connection per request spends most of a cast on connecting. Django's psycopg pool (5.1+, with
psycopg-pool) keeps a few connections per process instead.
"""

from config.settings import *  # noqa: F403
from config.settings import DATABASES

DATABASES["default"]["CONN_MAX_AGE"] = 0
DATABASES["default"]["CONN_HEALTH_CHECKS"] = False
DATABASES["default"]["OPTIONS"] = {"pool": {"min_size": 4, "max_size": 12, "timeout": 10}}
