"""Persona fixtures shared by every test: one community and one person per role."""

import os
import uuid
from datetime import timedelta
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.conf import settings as django_settings
from django.utils import timezone

from tests.factories import make_community, make_outsider, make_persona, make_stranger
from tests.queue import run_queued_tasks

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")


def worker_redis(url, worker):
    """`url` with a database of the pytest-xdist worker's own (its number + 1 after the
    URL's), and a channel prefix of its own."""
    number = int(worker.removeprefix("gw"))
    parts = urlsplit(url)
    base = int(parts.path.strip("/") or 0)
    return urlunsplit(parts._replace(path=f"/{base + 1 + number}")), f"gongyi-{worker}"


def _own_redis_per_worker():
    """Each xdist worker its own Redis database and channel prefix, as it has a test database
    of its own: a test's cache.clear() then empties its own worker's keys only, and a room
    group named after a meeting's key (the same in each test database) reaches only its own
    worker's sockets. Set before any cache or channel layer exists; servers and task workers
    a test starts inherit the environment."""
    worker, url = os.environ.get("PYTEST_XDIST_WORKER"), os.environ.get("REDIS_URL")
    if not worker or not url:
        return
    url, prefix = worker_redis(url, worker)
    os.environ["REDIS_URL"], os.environ["CHANNEL_PREFIX"] = url, prefix
    cache = django_settings.CACHES["default"]
    cache["LOCATION"], cache["KEY_PREFIX"] = url, prefix
    django_settings.CHANNEL_LAYERS["default"]["CONFIG"].update(hosts=[url], prefix=prefix)


_own_redis_per_worker()


def pytest_collection_modifyitems(config, items):
    for item in items:
        path = str(item.fspath)
        if f"{os.sep}integration{os.sep}" in path:
            item.add_marker(pytest.mark.integration)
        if f"{os.sep}browser{os.sep}" in path:
            item.add_marker(pytest.mark.browser)
    # Playwright's sync API keeps an event loop running in the main thread once started,
    # which async tests cannot share: run the browser tests last.
    items.sort(key=lambda item: item.get_closest_marker("browser") is not None)


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """PBKDF2 takes ~0.6 s per persona on CI cores; tests need a hash, not its strength."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _site_language():
    """Each test starts in the site's language: a request's middleware activates its reader's
    language on the thread it runs on, and a service called after it must not inherit that."""
    from django.utils import translation

    translation.deactivate()
    yield
    translation.deactivate()


@pytest.fixture(scope="session")
def _media_folders(tmp_path_factory):
    return tmp_path_factory.mktemp("media")


@pytest.fixture(autouse=True)
def _isolated_media(settings, _media_folders):
    """Uploads of each test go to a folder of its own, made when its first file is saved.
    Not pytest's tmp_path: that numbers each new folder by listing all made before it, a
    cost that grows with every test of the run."""
    settings.MEDIA_ROOT = _media_folders / uuid.uuid4().hex


@pytest.fixture(scope="session", autouse=True)
def _close_database_pools(django_db_setup, django_db_blocker):
    """Close PostgreSQL connection pools before the test database is dropped.

    Depending on django_db_setup makes this run its teardown first.
    """
    yield
    from django.db import connections

    with django_db_blocker.unblock():
        for connection in connections.all(initialized_only=True):
            if getattr(connection, "pool", None) is not None:
                connection.close_pool()


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Rate-limit counters (allauth's, the SMS throttle) and rendered rooms must not leak from
    test to test (a flushed test database hands out the same ids again)."""
    from django.core.cache import cache

    from meetings.consumers import SNAPSHOTS

    cache.clear()
    SNAPSHOTS.clear()
    yield
    cache.clear()
    SNAPSHOTS.clear()


@pytest.fixture
def daytime(time_machine):
    """The clock moved forward to the next 10:00 in Shanghai, outside the SMS quiet hours
    (22:00–08:00), so a test of what is sent at once does not depend on the hour it runs.
    Ask for it before the fixtures that create data."""
    now = timezone.localtime()
    ten = now.replace(hour=10, minute=0, second=0, microsecond=0)
    if ten <= now:
        ten += timedelta(days=1)
    time_machine.move_to(ten, tick=True)
    return ten


@pytest.fixture
def community(db):
    return make_community()


@pytest.fixture
def other_community(db):
    return make_community(name="别的社区")


@pytest.fixture
def resident(community):
    return make_persona(community, "resident")


@pytest.fixture
def owner(community):
    return make_persona(community, "owner")


@pytest.fixture
def grid_worker(community):
    return make_persona(community, "grid_worker")


@pytest.fixture
def community_worker(community):
    return make_persona(community, "community_worker")


@pytest.fixture
def committee_member(community):
    return make_persona(community, "committee_member")


@pytest.fixture
def chair(community):
    return make_persona(community, "chair")


@pytest.fixture
def partner(community):
    return make_persona(community, "partner")


@pytest.fixture
def observer(community):
    return make_persona(community, "observer")


@pytest.fixture
def outsider(other_community):
    return make_outsider(other_community)


@pytest.fixture
def stranger(db):
    """Signed up, but a member of no community."""
    return make_stranger()


@pytest.fixture
def run_tasks(django_capture_on_commit_callbacks):
    """The database task worker in this process until nothing is due (`manage.py db_worker
    --batch`, tests.queue.run_queued_tasks), with what its tasks leave for after commit."""

    def run():
        with django_capture_on_commit_callbacks(execute=True):
            run_queued_tasks()

    return run
