"""Settings for the worker processes of bench/cast.py: the project's, with the pool's wait cut.

config/settings.py pools PostgreSQL connections per process by default (DATABASE_POOL_SIZE,
12; docs/operations.md says why); this only shortens the wait for a free connection so an
overloaded run fails fast.
"""

from config.settings import *  # noqa: F403
from config.settings import DATABASES

if "pool" in DATABASES["default"].get("OPTIONS", {}):  # not with DATABASE_POOL_SIZE=0
    DATABASES["default"]["OPTIONS"]["pool"]["timeout"] = 10
