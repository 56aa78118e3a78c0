"""Every topic, notice and notification view × persona: 404 for outsiders, 403 without the
role, 200 (or a redirect after a POST) as designed, 405 for the wrong method."""

import pytest
from django.urls import reverse

from deliberation.models import Comment
from deliberation.services import topics as services
from tests.factories import add_member
from tests.integration import url_rules
from tests.topic_factories import collecting, discussing, in_triage

pytestmark = pytest.mark.django_db

PERSONAS = url_rules.PERSONAS[2:]  # from the outsider on: everyone who belongs somewhere


@pytest.fixture
def proposer(community):
    from deliberation.models import Role

    return add_member(community, Role.RESIDENT, name="孙丽")


@pytest.fixture
def topics(community, proposer, community_worker):
    a = collecting(community, proposer, title="收集中")
    b = in_triage(community, proposer, title="待受理")
    c = discussing(community, proposer, community_worker, title="讨论中")
    comment = services.add_comment(c, by=proposer, body="同意", stance="support")
    return {"collecting": a, "triage": b, "discussing": c, "comment": comment}


ALL = dict.fromkeys(PERSONAS[1:], 200) | {"outsider": 404}
STAFF_ONLY = dict.fromkeys(PERSONAS, 403) | {"outsider": 404, "community_worker": 200, "chair": 200}

GET_MATRIX = {
    "topic_list": ALL,
    "topic_new": ALL | {"partner": 403, "observer": 403},
    "topic_detail": ALL,
    "topic_history": ALL,
    "notice_board": ALL | {"outsider": 200},  # the board is public (公示)
    "topic_triage": STAFF_ONLY,
    "topic_decide": dict.fromkeys(PERSONAS, 403)
    | {"outsider": 404, "committee_member": 200, "chair": 200},
    "comment_hide": STAFF_ONLY,
    "comment_report": ALL,
}


def url_for(name, community, topics):
    if name in ("topic_list", "topic_new", "notice_board"):
        return reverse(name, args=[community.pk])
    if name == "topic_triage":
        return reverse(name, args=[topics["triage"].pk])
    if name in ("comment_hide", "comment_report"):
        return reverse(name, args=[topics["discussing"].pk, topics["comment"].pk])
    return reverse(name, args=[topics["discussing"].pk])


@pytest.mark.parametrize("name", GET_MATRIX)
def test_each_page_answers_each_persona_as_designed(request, client, community, topics, name):
    seen = {}
    for persona in PERSONAS:
        user = request.getfixturevalue(persona)
        client.force_login(user)
        seen[persona] = client.get(url_for(name, community, topics)).status_code
    assert seen == GET_MATRIX[name]


COSIGN = {
    "outsider": 404,
    "resident": 302,
    "owner": 302,
    "committee_member": 302,
    "grid_worker": 403,
    "community_worker": 403,
    "chair": 403,
    "partner": 403,
    "observer": 403,
}


def test_co_signing_answers_each_persona_as_designed(request, client, topics):
    url = reverse("topic_cosign", args=[topics["collecting"].pk])
    seen = {}
    for persona in PERSONAS:
        client.force_login(request.getfixturevalue(persona))
        seen[persona] = client.post(url).status_code
    assert seen == COSIGN


COMMENT = dict.fromkeys(PERSONAS, 302) | {"outsider": 404, "partner": 403, "observer": 403}


def test_commenting_answers_each_persona_as_designed(request, client, topics):
    url = reverse("topic_detail", args=[topics["discussing"].pk])
    seen = {}
    for persona in PERSONAS:
        client.force_login(request.getfixturevalue(persona))
        seen[persona] = client.post(
            url, {"body": f"{persona} 的意见", "stance": "neutral"}
        ).status_code
    assert seen == COMMENT
    assert Comment.objects.filter(topic=topics["discussing"]).count() == 1 + 6


def test_a_stranger_and_an_anonymous_visitor_see_nothing(client, stranger, topics, community):
    url = reverse("topic_detail", args=[topics["discussing"].pk])
    assert client.get(url).status_code == 302  # to the login page
    client.force_login(stranger)
    assert client.get(url).status_code == 404
    assert client.get(reverse("topic_list", args=[community.pk])).status_code == 404


def test_a_draft_is_seen_only_by_its_author(client, community, proposer, resident):
    from tests.topic_factories import draft

    topic = draft(community, proposer)
    client.force_login(resident)
    assert client.get(topic.get_absolute_url()).status_code == 404
    client.force_login(proposer)
    assert client.get(topic.get_absolute_url()).status_code == 200


@pytest.mark.parametrize(
    ("name", "method"),
    [
        ("topic_cosign", "get"),
        ("topic_follow", "get"),
        ("topic_submit", "get"),
        ("comment_react", "get"),
        ("topic_list", "post"),
        ("topic_history", "post"),
        ("notice_board", "post"),
    ],
)
def test_the_wrong_method_gets_405(client, resident, community, topics, name, method):
    client.force_login(resident)
    if name == "comment_react":
        url = reverse(name, args=[topics["discussing"].pk, topics["comment"].pk])
    elif name in ("topic_list", "notice_board"):
        url = reverse(name, args=[community.pk])
    else:
        url = reverse(name, args=[topics["collecting"].pk])
    assert getattr(client, method)(url).status_code == 405


def test_notifications_are_personal(client, resident, owner):
    from deliberation.models import Notification

    Notification.objects.create(user=owner, text="只给李明")
    client.force_login(resident)
    response = client.get(reverse("notifications"))
    assert response.status_code == 200
    assert "只给李明" not in response.content.decode()
