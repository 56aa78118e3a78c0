"""Shared set-up for benchmarks: Django configured, a fresh throwaway database with the schema.

Call ``setup_django()`` first: a SQLite file under var/bench/, or PostgreSQL when a
``database_url`` is given.
"""

import os
import platform
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


class _NoMigrations(dict):
    def __contains__(self, item):
        return True

    def __getitem__(self, item):
        return None


def setup_django(database_url=None, name="bench", test_name=None):
    """Configure Django against a brand-new database holding the current models' schema
    (named `test_name`, or Django's test_ and the configured name)."""
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    if database_url:
        os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("GONGYI_TEST_DB", str(ROOT / "var" / "bench" / f"{name}.sqlite3"))
    (ROOT / "var" / "bench").mkdir(parents=True, exist_ok=True)
    import django
    from django.conf import settings

    django.setup()
    settings.MIGRATION_MODULES = _NoMigrations()
    settings.DEBUG = False
    from django.db import connection

    if test_name:
        connection.settings_dict.setdefault("TEST", {})["NAME"] = test_name
    connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    return connection


def teardown_django():
    from django.db import connection

    connection.creation.destroy_test_db(connection.settings_dict["NAME"], verbosity=0)


def machine_line():
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    cores = os.cpu_count()
    return f"{cores} cores, {cpu}, Python {platform.python_version()}"


def git_revision():
    try:
        return subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT
        ).stdout.strip()
    except OSError:
        return "unknown"


def print_table(rows, headers):
    widths = [max(len(str(x)) for x in col) for col in zip(headers, *rows, strict=False)]
    line = "  ".join(str(h).ljust(w) for h, w in zip(headers, widths, strict=True))
    print(line)
    print("  ".join("-" * w for w in widths))
    for row in rows:
        print("  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)))
