"""Typed readers for environment variables.

A malformed value stops start-up with a clear message.
"""

import os
from urllib.parse import unquote, urlparse

from django.core.exceptions import ImproperlyConfigured


def env_str(name, default=""):
    return os.environ.get(name, default)


def env_bool(name, default=False):
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (1/0, true/false), got {raw!r}")


def env_int(name, default):
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, got {raw!r}") from None


def env_list(name, default=()):
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return list(default)
    return [item.strip() for item in raw.split(",") if item.strip()]


def _test_db_path(base_dir):
    return os.path.join(base_dir, "var", f"test-{os.getpid()}.sqlite3")


def parse_database_url(url, base_dir):
    """Turn sqlite:///path or postgres://user:pass@host:port/name into a DATABASES entry."""
    parsed = urlparse(url)
    if parsed.scheme == "sqlite":
        path = parsed.path[1:] if parsed.path.startswith("/") and parsed.netloc == "" else ""
        path = path or "db.sqlite3"
        name = path if os.path.isabs(path) else os.path.join(base_dir, path)
        return {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": name,
            "OPTIONS": {
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            },
            # A file, so live servers in other threads and processes share it; one per test
            # run (inherited by child processes through the environment), so runs never clash.
            "TEST": {"NAME": os.environ.setdefault("GONGYI_TEST_DB", _test_db_path(base_dir))},
        }
    if parsed.scheme in {"postgres", "postgresql"}:
        return {
            "ENGINE": "plumbing.postgresql",
            "NAME": unquote(parsed.path.lstrip("/")) or "gongyi",
            "USER": unquote(parsed.username or ""),
            "PASSWORD": unquote(parsed.password or ""),
            "HOST": parsed.hostname or "",
            "PORT": str(parsed.port or ""),
            "CONN_MAX_AGE": 60,
            "CONN_HEALTH_CHECKS": True,
        }
    raise ImproperlyConfigured(
        f"DATABASE_URL must start with sqlite:/// or postgres://, got {parsed.scheme!r}"
    )
