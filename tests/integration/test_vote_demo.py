"""The demo votes load through the real services and leave 李明 a vote to cast."""

import pytest
from django.core.management import call_command

from accounts.models import User
from deliberation.models import AssemblyVote, Holder, VoteState
from deliberation.services import votes

pytestmark = pytest.mark.django_db


def test_the_demo_has_an_open_election_an_open_fund_vote_and_a_published_result():
    call_command("seed_demo", verbosity=0)
    call_command("seed_demo", verbosity=0)  # safe to run again
    states = {v.title: v.state for v in AssemblyVote.objects.all()}
    assert sorted(states.values()) == sorted([VoteState.OPEN, VoteState.OPEN, VoteState.PUBLISHED])
    election = AssemblyVote.objects.get(matters__kind="election")
    assert election.matters.get().candidates.filter(vetting_result="approved").count() == 6
    fund = AssemblyVote.objects.get(matters__code="use_maintenance_fund")
    li_ming = User.objects.get(phone__endswith="13800000001")
    holder = Holder.objects.get(user=li_ming)
    ballot = votes.cast_ballot(fund.matters.get(), holder, "yes", by=li_ming, channel="online")
    assert ballot.receipt_code
    published = AssemblyVote.objects.get(status="published")
    assert published.matters.get().result.passed is not None


def test_the_demo_has_two_tellers_on_each_open_vote_and_an_estate_of_200_flats(client):
    from deliberation.models import Unit

    call_command("seed_demo", verbosity=0)
    call_command("seed_demo", verbosity=0)  # safe to run again
    assert Unit.objects.filter(building__estate__name="阳光小区").count() >= 200
    running = [v for v in AssemblyVote.objects.all() if v.state == VoteState.OPEN]
    assert running
    for vote in running:
        assert {t.user.real_name for t in vote.tellers.select_related("user")} == {"刘洋", "张伟"}
    fund = AssemblyVote.objects.get(matters__code="use_maintenance_fund")
    client.force_login(User.objects.get(real_name="张伟"))
    page = client.get(f"/votes/{fund.pk}/paper/").content.decode()
    assert "待第二次录入（第一次由 刘洋 录入）" in page
