"""The turnout page polls every 30 s; a poll with nothing new costs no count and swaps nothing."""

import re

import pytest
from django.urls import reverse

from deliberation.models import ElectorateEntry, Holder
from deliberation.services import votes
from tests.vote_factories import open_vote

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def vote(community, committee_member):
    return open_vote(community, committee_member, allow_change=True)


def poll_token(page):
    """The token the page's poll sends back (its hx-get)."""
    return re.search(r'hx-get="[^"]*\?since=([0-9a-f]+)"', page).group(1)


def turnout_url(vote, since=None):
    url = reverse("vote_turnout", args=[vote.pk])
    return f"{url}?since={since}" if since else url


def cast(vote, owner, choice="yes"):
    holder = Holder.objects.get(user=owner)
    votes.cast_ballot(vote.matters.get(), holder, choice, by=owner, channel="online")


def test_the_page_polls_with_the_token_of_the_figures_it_shows(client, vote, owner):
    client.force_login(owner)
    page = client.get(turnout_url(vote)).content.decode()
    assert poll_token(page) == votes.turnout_version(vote)


def test_a_poll_with_nothing_new_gets_no_content_and_no_count(client, vote, owner, monkeypatch):
    client.force_login(owner)
    since = poll_token(client.get(turnout_url(vote)).content.decode())

    def no_count(vote):
        raise AssertionError("the poll counted again")

    monkeypatch.setattr(votes, "turnout", no_count)
    response = client.get(turnout_url(vote, since), **HTMX)
    assert response.status_code == 204
    assert response.content == b""


def test_a_poll_after_a_ballot_gets_the_new_figures(client, vote, owner):
    client.force_login(owner)
    since = poll_token(client.get(turnout_url(vote)).content.decode())
    cast(vote, owner)
    response = client.get(turnout_url(vote, since), **HTMX)
    fragment = response.content.decode()
    assert response.status_code == 200
    assert 'value="16"' in fragment  # 1 of 6 heads
    assert poll_token(fragment) != since
    assert "<html" not in fragment  # only the figures


def test_a_changed_ballot_changes_the_token(vote, owner):
    cast(vote, owner, "yes")
    before = votes.turnout_version(vote)
    cast(vote, owner, "no")
    assert votes.turnout_version(vote) != before


def test_an_amendment_of_the_electorate_changes_the_token(vote, committee_member):
    before = votes.turnout_version(vote)
    entry = ElectorateEntry.objects.filter(vote=vote).order_by("pk").first()
    votes.amend_electorate(
        vote, unit_id=entry.unit_id, area=entry.area + 1, reason="测绘更正", by=committee_member
    )
    assert votes.turnout_version(vote) != before


def test_a_plain_request_with_the_current_token_still_gets_the_page(client, vote, owner):
    client.force_login(owner)
    response = client.get(turnout_url(vote, votes.turnout_version(vote)))
    assert response.status_code == 200
    assert "<html" in response.content.decode()


def test_a_poll_with_nothing_new_is_cheaper_than_one_with_news(
    client, vote, owner, django_assert_max_num_queries
):
    client.force_login(owner)
    since = votes.turnout_version(vote)
    client.get(turnout_url(vote, since), **HTMX)  # warm the per-process caches
    with django_assert_max_num_queries(6):
        assert client.get(turnout_url(vote, since), **HTMX).status_code == 204
