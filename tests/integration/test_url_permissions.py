"""The permission matrix: every named URL × every persona, generated from the URL conf.

The expected statuses live in tests/integration/url_rules.py. A URL name that is neither
there nor exempt fails test_every_named_url_has_a_rule_or_an_exemption.

The community and its personas are built once for the module (`shared_personas`) inside a
transaction rolled back at the module's end; each test runs in a savepoint within it, so
what a test changes (a POST, an object a URL points at) is undone before the next one, which
sees the personas as they were built. Each persona signs in once: its session is reused.
"""

import copy

import pytest
from django.conf import settings
from django.db import transaction
from django.test import Client, override_settings
from django.test.client import ClientHandler
from django.urls import URLResolver, get_resolver, reverse

from deliberation.models import Role
from tests.factories import add_member, make_community, make_user
from tests.integration.url_rules import (
    LOGIN,
    OTHER_ESTATE_RULES,
    PERSONAS,
    RULES,
    exemption_for,
)

pytestmark = pytest.mark.django_db


def named_urls():
    """Every named pattern of the URL conf, with its namespace prefix ("admin:index")."""
    names = set()

    def walk(resolver, prefix):
        for pattern in resolver.url_patterns:
            if isinstance(pattern, URLResolver):
                walk(pattern, prefix + (f"{pattern.namespace}:" if pattern.namespace else ""))
            elif pattern.name:
                names.add(prefix + pattern.name)

    walk(get_resolver(), "")
    return names


class World:
    """The personas and the objects URLs point at, built on first use."""

    def __init__(self, request, sessions=None, handler=None):
        self._request = request
        self._made = {}
        self._sessions = sessions or {}  # persona -> a session key signed in as them
        self._handler = handler  # a test client's handler with its middleware loaded

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


def build_personas():
    """The community and one person per persona, as the fixtures of tests/conftest.py make
    them and in the order the `world` fixture asks for them (keep the two in step)."""
    community = make_community()
    made = {"community": community, "stranger": make_user(name="路人")}
    made["other_community"] = make_community(name="别的社区")
    made["outsider"] = add_member(made["other_community"], Role.RESIDENT, name="外人")
    made["resident"] = add_member(community, Role.RESIDENT, name="王芳")
    made["owner"] = add_member(
        community, Role.OWNER, user=add_member(community, Role.RESIDENT, name="李明")
    )
    made["grid_worker"] = add_member(community, Role.GRID_WORKER, name="张伟")
    grid = community.grids.first()
    grid.worker = made["grid_worker"]
    grid.save()
    made["community_worker"] = add_member(community, Role.COMMUNITY_WORKER, name="刘洋")
    made["committee_member"] = add_member(
        community, Role.OWNER, user=add_member(community, Role.COMMITTEE, name="陈静")
    )
    made["chair"] = add_member(community, Role.PARTY_SECRETARY, name="赵书记")
    made["partner"] = add_member(community, Role.PARTNER_CONTACT, name="孙红")
    made["observer"] = add_member(community, Role.STREET_OBSERVER, name="周街道")
    return made


@pytest.fixture(scope="module")
def shared_personas(django_db_setup, django_db_blocker):
    """The personas and a signed-in session for each, built once for the module in a
    transaction rolled back at its end. Tests get copies (the fixtures below), in a savepoint
    of their own: nothing a test changes reaches the next."""
    hashers = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # as _fast_password_hashing
    outer = transaction.atomic()
    with django_db_blocker.unblock(), override_settings(PASSWORD_HASHERS=hashers):
        outer.__enter__()
        made = build_personas()
        sessions = {}
        for persona in PERSONAS[1:]:
            client = Client()
            client.force_login(made[persona])
            sessions[persona] = client.cookies[settings.SESSION_COOKIE_NAME].value
    yield made, sessions, ClientHandler(enforce_csrf_checks=False)
    with django_db_blocker.unblock():
        transaction.set_rollback(True)
        outer.__exit__(None, None, None)


def _shared(name):
    def fixture(shared_personas, db):
        return copy.deepcopy(shared_personas[0][name])

    fixture.__name__ = name
    return pytest.fixture(name=name)(fixture)


# The conftest fixtures of the same names, served from the module's shared personas.
community = _shared("community")
other_community = _shared("other_community")
stranger = _shared("stranger")
outsider = _shared("outsider")
resident = _shared("resident")
owner = _shared("owner")
grid_worker = _shared("grid_worker")
community_worker = _shared("community_worker")
committee_member = _shared("committee_member")
chair = _shared("chair")
partner = _shared("partner")
observer = _shared("observer")


@pytest.fixture
def world(request, shared_personas, db):
    _, sessions, handler = shared_personas
    return World(request, sessions=sessions, handler=handler)


# What a module that shares this world imports as its own fixtures (test_security.py).
SHARED_FIXTURES = (
    "shared_personas",
    "world",
    "community",
    "other_community",
    *PERSONAS[1:],
)


def url_of(name, rule, world):
    kwargs = rule.kwargs(world) if rule.kwargs else {}
    return reverse(name, kwargs=kwargs) + rule.query


def client_for(world, persona):
    """A browser signed in as `persona`: with the world's session of that persona if it has
    one (the same as a fresh force_login, made once), else signed in now. Its requests go
    through the world's handler if it has one: each new handler loads the middleware again,
    and WhiteNoise's then stats every static file (with WHITENOISE_USE_FINDERS, as in DEBUG)."""
    client = Client()
    if world._handler is not None:
        client.handler = world._handler
    user = world.user(persona)
    if user is not None:
        session = world._sessions.get(persona)
        if session:
            client.cookies[settings.SESSION_COOKIE_NAME] = session
        else:
            client.force_login(user)
    return client


def fetch(client, method, url, data=None):
    if method == "post":
        return client.post(url, data or {})
    return getattr(client, method)(url)


def matches(response, expected):
    if expected == LOGIN:
        return response.status_code == 302 and "/accounts/login/" in response["Location"]
    if isinstance(expected, tuple):
        return response.status_code in expected
    return response.status_code == expected


def test_every_named_url_has_a_rule_or_an_exemption():
    missing = sorted(n for n in named_urls() if n not in RULES and not exemption_for(n))
    assert not missing, (
        "These URL names have no row in tests/integration/url_rules.py: "
        + ", ".join(missing)
        + ". Add a Rule saying how to build their kwargs and what each persona gets "
        "(or an EXEMPT entry with the reason)."
    )


def test_every_rule_names_a_url_that_exists():
    stale = sorted(set(RULES) - named_urls())
    assert not stale, f"url_rules.py has rows for URLs that no longer exist: {stale}"


def unexpected_statuses(rule, url, world):
    """Each persona's request to `url`; a line for each whose answer the rule does not expect."""
    wrong = []
    for persona in PERSONAS:
        expected = rule.expect[persona]
        data = rule.data(world) if rule.data else None
        response = fetch(client_for(world, persona), rule.method, url, data)
        if not matches(response, expected):
            wrong.append(f"{persona}: expected {expected}, got {response.status_code}")
    return wrong


@pytest.mark.parametrize("name", sorted(RULES))
def test_each_persona_gets_the_expected_status(name, world):
    rule = RULES[name]
    url = url_of(name, rule, world)
    wrong = unexpected_statuses(rule, url, world)
    assert not wrong, f"{rule.method.upper()} {url}\n" + "\n".join(wrong)


@pytest.mark.parametrize("name", sorted(RULES))
def test_an_unsupported_method_gets_405(name, world):
    rule = RULES[name]
    allowed = [p for p in PERSONAS if p != "anonymous" and rule.expect[p] in (200, 302)]
    persona = allowed[0] if allowed else "anonymous"
    url = url_of(name, rule, world)
    client = client_for(world, persona)
    for method in ("get", "post", "delete"):
        if method in rule.methods:
            continue
        response = fetch(client, method, url)
        if persona == "anonymous" and response.status_code == 302:
            continue  # sent to log in first; the method is checked after
        assert response.status_code == 405, f"{method.upper()} {url} as {persona}"


@pytest.mark.parametrize("label", sorted(OTHER_ESTATE_RULES))
def test_a_committee_member_acts_only_for_their_own_estate(label, world):
    name, rule = OTHER_ESTATE_RULES[label]
    url = url_of(name, rule, world)
    wrong = unexpected_statuses(rule, url, world)
    assert not wrong, f"{label}: {rule.method.upper()} {url}\n" + "\n".join(wrong)


@pytest.mark.parametrize("turn", ["first", "second"])
def test_what_a_test_changes_in_the_shared_world_is_undone_before_the_next(turn, world):
    """The personas are built once for the module; whichever of these two runs second would
    see the other's changes if a test's transaction were not rolled back."""
    from deliberation.models import Membership

    resident = world.user("resident")
    assert type(resident).objects.get(pk=resident.pk).real_name == "王芳"
    assert not Membership.objects.filter(user=world.stranger).exists()
    assert client_for(world, "resident").get(reverse("my_units")).status_code == 200

    type(resident).objects.filter(pk=resident.pk).update(real_name=f"改名{turn}")
    Membership.objects.create(user=world.stranger, community=world.community, role=Role.RESIDENT)
    client_for(world, "resident").post(reverse("account_logout"))  # ends the shared session
    assert client_for(world, "resident").get(reverse("my_units")).status_code == 302
