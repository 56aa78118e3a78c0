"""The permission matrix: every named URL × every persona, generated from the URL conf.

The expected statuses live in tests/integration/url_rules.py. A URL name that is neither
there nor exempt fails test_every_named_url_has_a_rule_or_an_exemption.

The community and its personas are built once for the module (tests/integration/shared_world.py)
and each test's changes are rolled back before the next.
"""

import pytest
from django.urls import URLResolver, get_resolver, reverse

from deliberation.models import Membership, Role
from tests.integration import shared_world
from tests.integration.shared_world import client_for
from tests.integration.url_rules import (
    LOGIN,
    OTHER_ESTATE_RULES,
    PERSONAS,
    RULES,
    exemption_for,
)

pytestmark = pytest.mark.django_db

shared_world.use_in(globals())


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


def url_of(name, rule, world):
    kwargs = rule.kwargs(world) if rule.kwargs else {}
    return reverse(name, kwargs=kwargs) + rule.query


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
    resident = world.user("resident")
    assert type(resident).objects.get(pk=resident.pk).real_name == "王芳"
    assert not Membership.objects.filter(user=world.stranger).exists()
    assert client_for(world, "resident").get(reverse("my_units")).status_code == 200

    type(resident).objects.filter(pk=resident.pk).update(real_name=f"改名{turn}")
    Membership.objects.create(user=world.stranger, community=world.community, role=Role.RESIDENT)
    client_for(world, "resident").post(reverse("account_logout"))  # ends the shared session
    assert client_for(world, "resident").get(reverse("my_units")).status_code == 302
