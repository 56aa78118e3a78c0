"""Flats are listed in natural order everywhere a person reads them: 2号楼 before 10号楼, 101
before 1001, 2-101 before 10-101."""

from decimal import Decimal

import pytest
from django.urls import reverse

from deliberation.models import Building, Holder, Ownership, Unit
from deliberation.natural import natural_key
from tests.vote_factories import open_vote

pytestmark = pytest.mark.django_db

# (building, number) in the order a person expects to read them
EXPECTED = [
    ("1号楼", "101"),
    ("1号楼", "102"),
    ("1号楼", "103"),
    ("1号楼", "104"),
    ("1号楼", "105"),
    ("1号楼", "106"),
    ("2号楼", "101"),
    ("2号楼", "201"),
    ("2号楼", "1001"),
    ("3号楼", "2-101"),
    ("3号楼", "2-1001"),
    ("3号楼", "10-101"),
    ("10号楼", "101"),
]


@pytest.fixture
def flats(community):
    estate = community.estates.get()
    # Created out of order, so neither insertion order nor plain text order gives the answer.
    for building_name, number in [
        ("10号楼", "101"),
        ("2号楼", "1001"),
        ("3号楼", "10-101"),
        ("2号楼", "201"),
        ("3号楼", "2-1001"),
        ("3号楼", "2-101"),
        ("2号楼", "101"),
    ]:
        building, _ = Building.objects.get_or_create(estate=estate, name=building_name)
        unit = Unit.objects.create(building=building, number=number, area=Decimal("70.00"))
        holder = Holder.objects.create(community=community, name=f"{building_name}{number}业主")
        Ownership.objects.create(unit=unit, holder=holder)
    return [f"{b}-{n}" for b, n in EXPECTED]


def labels_in(html, labels):
    found = [(html.find(f">{label}<"), label) for label in labels]
    assert all(at >= 0 for at, _ in found), [label for at, label in found if at < 0]
    return [label for _, label in sorted(found)]


def test_the_key_orders_digits_by_value():
    assert sorted(["1001", "101", "201"], key=natural_key) == ["101", "201", "1001"]
    ordered = sorted(["10-101", "2-1001", "2-101"], key=natural_key)
    assert ordered == ["2-101", "2-1001", "10-101"]


def test_the_register_lists_flats_in_natural_order(client, community, community_worker, flats):
    client.force_login(community_worker)
    html = client.get(reverse("registry", args=[community.pk])).content.decode()
    assert labels_in(html, flats) == flats


def test_the_electorate_and_the_non_voters_list_flats_in_natural_order(
    client, community, committee_member, flats
):
    vote = open_vote(community, committee_member)
    client.force_login(committee_member)
    html = client.get(reverse("vote_electorate", args=[vote.pk])).content.decode()
    assert labels_in(html, flats) == flats
    html = client.get(reverse("vote_turnout", args=[vote.pk])).content.decode()
    assert labels_in(html, flats) == flats


def test_the_tellers_list_of_ballots_follows_the_flats(client, community, committee_member, flats):
    from deliberation.services import votes

    vote = open_vote(community, committee_member)
    votes.appoint_teller(vote, committee_member, by=committee_member)
    matter = vote.matters.get()
    # Cast in reverse flat order, so the order of casting cannot give the answer.
    for holder in Holder.objects.filter(community=community).order_by("-pk"):
        votes.cast_ballot(matter, holder, "yes", by=committee_member, channel="meeting")
    client.force_login(committee_member)
    html = client.get(reverse("vote_ballots", args=[vote.pk])).content.decode()
    assert labels_in(html, flats) == flats
