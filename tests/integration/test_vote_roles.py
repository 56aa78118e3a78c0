"""A person's roles in a vote are read once per request (accounts.User.request_cache), and
read again when they change within it."""

import pytest

from deliberation.permissions import TELLER
from deliberation.services import votes
from tests.vote_factories import open_vote

pytestmark = pytest.mark.django_db


def test_a_member_who_appoints_herself_teller_enters_paper_ballots_at_once(
    community, committee_member
):
    vote = open_vote(community, committee_member)
    # Appointing checks her roles (not a teller yet), which the request remembers.
    assert TELLER not in votes.vote_roles(committee_member, vote)
    votes.appoint_teller(vote, committee_member, by=committee_member)
    assert TELLER in votes.vote_roles(committee_member, vote)
    assert votes.may_vote_action(committee_member, vote, "vote.enter_paper")


def test_the_holder_an_owner_votes_as_is_read_with_her_head_once(
    community, committee_member, owner, django_assert_num_queries
):
    vote = open_vote(community, committee_member)
    holder = votes.voter_of(vote, owner)
    with django_assert_num_queries(0):
        head = votes.head_of(vote, holder, owner)
    other = votes.head_of(vote, holder)  # read from the register snapshot
    assert head == other is not None
