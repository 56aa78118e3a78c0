"""How many owners a nomination by owners needs: a local rule, set per community."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse

from deliberation.models import Candidate, MatterKind
from deliberation.services import votes
from deliberation.services.votes import VoteError
from tests.vote_factories import convene

pytestmark = pytest.mark.django_db

OWNERS = Candidate.Nomination.OWNERS


@pytest.fixture
def matter(community, committee_member):
    vote = convene(
        community, committee_member, matters=[("elect_committee", MatterKind.ELECTION, 5, [])]
    )
    return vote.matters.get()


def nominate(matter, by, nominators, name="赵六"):
    return votes.register_candidate(
        matter, name=name, nominated_by=OWNERS, nominators=nominators, by=by
    )


def test_the_default_is_five_owners(community, matter, committee_member):
    assert community.owner_nominators_needed == 5
    with pytest.raises(VoteError) as refused:
        nominate(matter, committee_member, 4)
    assert refused.value.code == "nominators"
    assert nominate(matter, committee_member, 5).nominators == 5


def test_a_community_with_a_lower_threshold_accepts_fewer_owners(
    community, matter, committee_member
):
    community.owner_nominators_needed = 3
    community.save()
    candidate = nominate(matter, committee_member, 3)
    assert candidate.nominated_by == OWNERS


def test_a_community_with_a_higher_threshold_refuses_five_owners(
    community, matter, committee_member
):
    community.owner_nominators_needed = 10
    community.save()
    with pytest.raises(VoteError) as refused:
        nominate(matter, committee_member, 5)
    assert "10" in refused.value.messages[0]
    assert not Candidate.objects.exists()


def test_the_threshold_does_not_apply_to_other_nominations(community, matter, committee_member):
    community.owner_nominators_needed = 10
    community.save()
    candidate = votes.register_candidate(
        matter, name="钱七", nominated_by=Candidate.Nomination.PARTY, by=committee_member
    )
    assert candidate.nominators == 0


@pytest.mark.parametrize("value", [0, 101])
def test_the_setting_is_validated(community, value):
    community.owner_nominators_needed = value
    with pytest.raises(ValidationError) as refused:
        community.full_clean()
    assert "owner_nominators_needed" in refused.value.message_dict


def test_the_database_refuses_a_zero_threshold(community):
    community.owner_nominators_needed = 0
    with pytest.raises(IntegrityError), transaction.atomic():
        community.save()


def test_the_candidate_form_shows_the_communitys_threshold(
    client, community, matter, committee_member
):
    community.owner_nominators_needed = 8
    community.save()
    client.force_login(committee_member)
    page = client.get(reverse("vote_candidates", args=[matter.vote_id, matter.pk]))
    assert "业主联名提名至少需要 8 名业主。" in page.content.decode()


def test_the_candidate_page_refuses_too_few_nominators_with_a_message(
    client, community, matter, committee_member
):
    community.owner_nominators_needed = 7
    community.save()
    client.force_login(committee_member)
    response = client.post(
        reverse("vote_candidates", args=[matter.vote_id, matter.pk]),
        {"name": "孙八", "nominated_by": "owners", "nominators": "6"},
    )
    assert response.status_code == 400
    assert response.content.decode().count("业主联名提名至少需要 7 名业主。") == 2
    assert not Candidate.objects.exists()
