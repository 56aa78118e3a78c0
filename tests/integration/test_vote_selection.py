"""Property-company selection and committee by-elections: plan to vote, and the next round."""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from deliberation.models import (
    AssemblyVote,
    Holder,
    Notice,
    NoticeKind,
    PlanStatus,
    Role,
)
from deliberation.services import votes
from deliberation.services.votes import VoteError
from tests.factories import add_member
from tests.vote_factories import election, move_to, publish

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _quick_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def plan_for(community, by):
    return votes.create_selection_plan(
        estate=community.estates.get(),
        title="2027年物业选聘",
        scope="小区全部共有部分的保洁、绿化、秩序维护、设施维修",
        service_standard="本市住宅物业服务二级标准",
        price_min=Decimal("1.50"),
        price_max=Decimal("2.50"),
        method="shortlist",
        by=by,
    )


def apply(plan, by, name, price):
    return votes.add_company_application(
        plan,
        company_name=name,
        licence="91310000MA1X",
        price=Decimal(price),
        service_plan="24 小时值守",
        by=by,
    )


def window():
    from django.utils import timezone

    opens = timezone.now() + timezone.timedelta(days=20)
    return {"opens_at": opens, "closes_at": opens + timezone.timedelta(days=7)}


def tellers(community, vote, by):
    teller = add_member(community, Role.COMMUNITY_WORKER, name="计票员")
    votes.appoint_teller(vote, teller, by=by)
    return teller


def test_a_plan_goes_from_approval_to_an_assembly_vote(community, committee_member):
    plan = plan_for(community, committee_member)
    with pytest.raises(VoteError):
        votes.publish_selection_plan(plan, by=committee_member)  # not approved yet
    with pytest.raises(VoteError):
        votes.approve_selection_plan(plan, basis=" ", by=committee_member)
    votes.approve_selection_plan(plan, basis="2026年第2次业主大会决定", by=committee_member)
    votes.publish_selection_plan(plan, by=committee_member)
    assert Notice.objects.filter(kind=NoticeKind.OTHER, title__contains=plan.title).exists()
    with pytest.raises(VoteError, match="1.50"):
        apply(plan, committee_member, "报价过高物业", "3.20")
    first = apply(plan, committee_member, "安居物业", "1.90")
    second = apply(plan, committee_member, "乐业物业", "2.10")
    third = apply(plan, committee_member, "无资质物业", "1.60")
    with pytest.raises(VoteError):
        votes.shortlist_application(third, shortlisted=False, reason="", by=committee_member)
    votes.shortlist_application(third, shortlisted=False, reason="资质过期", by=committee_member)
    for app in (first, second):
        votes.shortlist_application(app, shortlisted=True, reason="资质齐全", by=committee_member)
    vote = votes.start_selection_vote(plan, by=committee_member, **window())
    plan.refresh_from_db()
    assert plan.status == PlanStatus.VOTING and plan.vote == vote
    matter = vote.matters.get()
    assert (matter.kind, matter.seats, matter.code) == ("selection", 1, "hire_property_manager")
    assert sorted(matter.candidates.values_list("name", flat=True)) == ["乐业物业", "安居物业"]


def two_companies_shortlisted(community, committee_member):
    """An approved, published plan with 安居物业 and 乐业物业 on its shortlist: (plan, the
    last application)."""
    plan = plan_for(community, committee_member)
    votes.approve_selection_plan(plan, basis="业主大会决定", by=committee_member)
    votes.publish_selection_plan(plan, by=committee_member)
    for name in ("安居物业", "乐业物业"):
        app = apply(plan, committee_member, name, "2.00")
        votes.shortlist_application(app, shortlisted=True, reason="入围", by=committee_member)
    return plan, app


def split_evenly(community, vote, committee_member):
    """The selection vote noticed and opened; the six owners' paper ballots split 3-3, so
    neither company has more than half: (matter, teller)."""
    teller = tellers(community, vote, committee_member)
    publish(vote, committee_member)
    move_to(vote, "open")
    matter = vote.matters.get()
    ids = list(matter.candidates.order_by("pk").values_list("pk", flat=True))
    for n, holder in enumerate(Holder.objects.filter(community=community).order_by("pk")):
        votes.cast_ballot(
            matter, holder, "list", candidates=[ids[n % 2]], by=teller, channel="paper"
        )
    return matter, teller


def cast_paper_ballots(community, matter, teller, marks):
    """The teller enters one paper ballot per owner of the community, in order, each naming
    the candidates in its row of `marks`."""
    ids = dict(matter.candidates.values_list("name", "pk"))
    for holder, names in zip(
        Holder.objects.filter(community=community).order_by("pk"), marks, strict=True
    ):
        votes.cast_ballot(
            matter,
            holder,
            "list",
            candidates=[ids[n] for n in names],
            by=teller,
            channel="paper",
        )


def count_and_publish(vote, teller, committee_member):
    """The vote closes; the teller counts and confirms; the committee publishes the result."""
    move_to(vote, "closed")
    votes.tally_vote(vote, by=teller)
    votes.confirm_result(vote, by=teller)
    votes.publish_result(vote, by=committee_member)


def test_a_resident_cannot_draft_a_plan(community, resident):
    with pytest.raises(PermissionDenied):
        plan_for(community, resident)


def test_when_no_company_wins_a_majority_the_next_round_opens(community, committee_member):
    plan, _app = two_companies_shortlisted(community, committee_member)
    vote = votes.start_selection_vote(plan, by=committee_member, **window())
    matter, teller = split_evenly(community, vote, committee_member)
    count_and_publish(vote, teller, committee_member)
    matter.refresh_from_db()
    assert matter.result.passed is False
    assert matter.result.figures["elected"] == []
    second = votes.start_selection_vote(plan, by=committee_member, **window())
    plan.refresh_from_db()
    assert plan.round == 2 and second.previous_round == vote
    assert "2" in second.title


def test_a_vacancy_opens_a_by_election_from_the_result_page(client, community, committee_member):
    vote = election(community, committee_member, names=("甲", "乙", "丙"), seats=3)
    teller = tellers(community, vote, committee_member)
    matter = vote.matters.get()
    marks = [["甲", "乙"], ["甲", "乙"], ["甲", "乙"], ["甲", "乙"], ["丙"], ["丙"]]
    cast_paper_ballots(community, matter, teller, marks)
    count_and_publish(vote, teller, committee_member)
    matter.refresh_from_db()
    assert sorted(matter.result.figures["elected"]) == ["乙", "甲"]  # 4 heads each; 丙 has 2
    assert matter.result.figures["vacancies"] == 1
    client.force_login(committee_member)
    page = client.get(reverse("vote_result", args=[vote.pk])).content.decode()
    assert reverse("vote_by_election", args=[vote.pk, matter.pk]) in page
    response = client.post(
        reverse("vote_by_election", args=[vote.pk, matter.pk]),
        {"opens_at": "2027-02-01T09:00", "closes_at": "2027-02-10T09:00"},
    )
    new_vote = AssemblyVote.objects.get(previous_round=vote)
    assert response["Location"] == reverse("vote_manage", args=[new_vote.pk])
    assert new_vote.matters.get().seats == 1


def test_a_tie_for_the_last_seat_goes_to_a_revote_with_the_tied_candidates(
    community, committee_member
):
    community.election_tiebreak = "heads_then_revote"
    community.save()
    vote = election(community, committee_member, names=("甲", "乙", "丙", "丁"), seats=3)
    teller = tellers(community, vote, committee_member)
    matter = vote.matters.get()
    marks = [["甲", "乙", "丙"]] * 2 + [["甲", "乙", "丁"]] * 2 + [["甲", "丙", "丁"]] * 2
    cast_paper_ballots(community, matter, teller, marks)
    count_and_publish(vote, teller, committee_member)
    matter.refresh_from_db()
    figures = matter.result.figures
    # 甲 6; 乙, 丙, 丁 4 each for the two seats left: a revote among the three.
    assert figures["elected"] == ["甲"]
    assert figures["undecided_seats"] == 2
    assert sorted(figures["ties"][0]) == ["丁", "丙", "乙"]
    from django.utils import timezone

    opens = timezone.now() + timezone.timedelta(days=20)
    revote = votes.start_by_election(
        vote,
        matter,
        by=committee_member,
        opens_at=opens,
        closes_at=opens + timezone.timedelta(days=7),
    )
    new = revote.matters.get()
    assert new.seats == 2
    assert sorted(new.candidates.values_list("name", flat=True)) == ["丁", "丙", "乙"]


def test_a_forged_by_election_on_a_plan_s_selection_vote_is_refused(
    client, community, committee_member
):
    plan, app = two_companies_shortlisted(community, committee_member)
    vote = votes.start_selection_vote(plan, by=committee_member, **window())
    with pytest.raises(VoteError, match="入围名单"):
        # While a round is under way the shortlist stays as published.
        votes.shortlist_application(app, shortlisted=False, reason="改", by=committee_member)
    matter, teller = split_evenly(community, vote, committee_member)
    count_and_publish(vote, teller, committee_member)
    client.force_login(committee_member)
    response = client.post(
        reverse("vote_by_election", args=[vote.pk, matter.pk]),
        {"opens_at": "2027-02-01T09:00", "closes_at": "2027-02-10T09:00"},
        follow=True,
    )
    assert "须从选聘方案页面发起" in response.content.decode()
    assert not AssemblyVote.objects.filter(previous_round=vote).exists()
    plan.refresh_from_db()
    assert plan.round == 1
