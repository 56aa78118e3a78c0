"""Settings for the daphne processes of bench/cast.py: the project's, with the pool's wait cut.

Under ASGI each request's sync code may run in a different thread, so persistent connections
(CONN_MAX_AGE) pile up until PostgreSQL refuses clients ("too many clients already"), and a
connection per request spends most of a cast on connecting. config/settings.py therefore
pools PostgreSQL connections by default (DATABASE_POOL_SIZE, 12); this only shortens the wait
for a free connection so an overloaded run fails fast.
"""

from config.settings import *  # noqa: F403
from config.settings import DATABASES

if "pool" in DATABASES["default"].get("OPTIONS", {}):  # not with DATABASE_POOL_SIZE=0
    DATABASES["default"]["OPTIONS"]["pool"]["timeout"] = 10
