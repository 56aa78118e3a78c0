"""A community and every persona built once for a test module, each signed in once.

The permission matrix and the security walk ask for every persona in every test; building
them (two communities, eleven people, a session each) took longer than most of those tests.
Here they are built once per module inside a transaction rolled back at the module's end;
each test runs in a savepoint within it (pytest-django's `db`), so what a test changes (a POST,
an object a URL points at, a session ended) is undone before the next one, which sees the
personas as they were built. A test module takes these fixtures with
`shared_world.use_in(globals())`; their names are those of tests/conftest.py's fixtures, which
they replace in that module.
"""

import copy

import pytest
from django.conf import settings
from django.db import transaction
from django.test import Client, override_settings

from tests.factories import (
    PERSONA_ROLES,
    make_community,
    make_outsider,
    make_persona,
    make_stranger,
)


class World:
    """The personas and the objects URLs point at, built on first use."""

    def __init__(self, request, sessions=None):
        self._request = request
        self._made = {}
        self._sessions = sessions or {}  # persona -> a session key signed in as them

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)
        return self._request.getfixturevalue(name)

    def once(self, key, build):
        """Build an object once per test (URL builders share it across personas)."""
        if key not in self._made:
            self._made[key] = build()
        return self._made[key]

    def user(self, persona):
        return None if persona == "anonymous" else getattr(self, persona)


def client_for(world, persona):
    """A browser signed in as `persona`: with the world's session of that persona if it has
    one (the same as a fresh force_login, made once), else signed in now."""
    client = Client()
    user = world.user(persona)
    if user is not None:
        session = world._sessions.get(persona)
        if session:
            client.cookies[settings.SESSION_COOKIE_NAME] = session
        else:
            client.force_login(user)
    return client


def build_personas():
    """The communities and one person per persona, in the order the permission matrix
    always asked for them (the order decides ids and which flat each owner holds)."""
    made = {"community": make_community(), "stranger": make_stranger()}
    made["other_community"] = make_community(name="别的社区")
    made["outsider"] = make_outsider(made["other_community"])
    for persona in PERSONA_ROLES:
        made[persona] = make_persona(made["community"], persona)
    return made


@pytest.fixture(scope="module")
def shared_personas(django_db_setup, django_db_blocker):
    """The personas and a signed-in session for each, built once for the module in a
    transaction rolled back at its end. Tests get copies (the fixtures below)."""
    hashers = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # as _fast_password_hashing
    outer = transaction.atomic()
    with django_db_blocker.unblock(), override_settings(PASSWORD_HASHERS=hashers):
        outer.__enter__()
        made = build_personas()
        sessions = {}
        for persona, user in made.items():
            if persona.endswith("community"):
                continue
            client = Client()
            client.force_login(user)
            sessions[persona] = client.cookies[settings.SESSION_COOKIE_NAME].value
    yield made, sessions
    with django_db_blocker.unblock():
        transaction.set_rollback(True)
        outer.__exit__(None, None, None)


def _shared(name):
    def fixture(shared_personas, db):
        return copy.deepcopy(shared_personas[0][name])

    fixture.__name__ = name
    return pytest.fixture(name=name)(fixture)


@pytest.fixture
def world(request, shared_personas, db):
    return World(request, sessions=shared_personas[1])


def use_in(namespace):
    """Give the test module whose globals() are `namespace` the shared world as its fixtures."""
    names = ("community", "other_community", "stranger", "outsider", *PERSONA_ROLES)
    namespace.update({name: _shared(name) for name in names})
    namespace.update(shared_personas=shared_personas, world=world)
