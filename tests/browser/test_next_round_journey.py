"""After a published result leaves seats open or chooses no company, the committee member walks
into the next round: a by-election starts with the open seats and the candidates who were not
elected, ready to confirm; a company selection goes to a second round from its plan."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from deliberation.models import AssemblyVote, Candidate, Holder, Role
from deliberation.services import votes
from tests.browser.conftest import log_in
from tests.factories import add_member
from tests.vote_factories import election, move_to, publish

pytestmark = pytest.mark.django_db(transaction=True)


def count_and_publish(community, vote, by, marks):
    """Each owner's paper ballot (names marked), then count, confirm and publish."""
    teller = add_member(community, Role.COMMUNITY_WORKER, name="计票员")
    votes.appoint_teller(vote, teller, by=by)
    matter = vote.matters.get()
    ids = dict(matter.candidates.values_list("name", "pk"))
    holders = Holder.objects.filter(community=community).order_by("pk")
    for holder, names in zip(holders, marks, strict=True):
        votes.cast_ballot(
            matter, holder, "list", candidates=[ids[n] for n in names], by=teller, channel="paper"
        )
    move_to(vote, "closed")
    votes.tally_vote(vote, by=teller)
    votes.confirm_result(vote, by=teller)
    votes.publish_result(vote, by=by)
    return matter


def window(page):
    opens = timezone.localtime(timezone.now() + timedelta(days=20))
    page.get_by_label("表决开始时间").fill(opens.strftime("%Y-%m-%dT09:00"))
    page.get_by_label("表决截止时间").fill((opens + timedelta(days=7)).strftime("%Y-%m-%dT09:00"))


def test_a_by_election_starts_with_the_open_seat_and_the_unelected_candidates(
    page, live_server, community, committee_member
):
    vote = election(community, committee_member, names=("甲", "乙", "丙", "丁"), seats=3)
    # 甲 and 乙 have 4 of 6 heads; 丙 2 and 丁 1 fall short of half: one seat stays open.
    marks = [["甲", "乙"]] * 3 + [["甲", "乙", "丙"], ["丙", "丁"], []]
    count_and_publish(community, vote, committee_member, marks)
    page.on("dialog", lambda dialog: dialog.accept())
    log_in(page, live_server.url, committee_member)
    page.goto(f"{live_server.url}/votes/{vote.pk}/result/")
    card = page.locator(".next-round")
    expect(card).to_contain_text("待补选席位 1 个。")
    expect(card).to_contain_text("丙、丁")
    window(page)
    page.get_by_role("button", name="创建").click()

    by_election = AssemblyVote.objects.get(previous_round=vote)
    expect(page).to_have_url(f"{live_server.url}/votes/{by_election.pk}/manage/")
    checks = page.locator(".notice-checks")
    expect(checks).to_contain_text("1 个席位，0 名候选人通过资格审查")
    expect(checks.get_by_text("待资格审查")).to_contain_text("丙、丁")
    matter = by_election.matters.get()
    assert matter.seats == 1
    assert sorted(matter.candidates.values_list("name", "vetting_result")) == [
        ("丁", Candidate.Vetting.PENDING),
        ("丙", Candidate.Vetting.PENDING),
    ]

    page.get_by_role("link", name=matter.title).click()
    for name, result in (("丙", "审查合格"), ("丁", "审查不合格")):
        card = page.locator("section.candidate", has=page.get_by_role("heading", name=name))
        card.get_by_text("记录资格审查").click()
        card.get_by_label(result, exact=True).check()
        if result == "审查不合格":
            card.get_by_label("理由").fill("本人书面表示不再参选")
        card.get_by_role("button", name="保存审查结果").click()
    page.goto(f"{live_server.url}/votes/{by_election.pk}/manage/")
    expect(checks).to_contain_text("1 个席位，1 名候选人通过资格审查")


def test_a_selection_with_no_majority_goes_to_a_run_off_from_its_plan(
    page, live_server, community, committee_member
):
    plan = votes.create_selection_plan(
        estate=community.estates.get(),
        title="2027年物业选聘",
        scope="小区全部共有部分",
        service_standard="二级",
        price_min=Decimal("1.50"),
        price_max=Decimal("2.50"),
        method="shortlist",
        by=committee_member,
    )
    votes.approve_selection_plan(plan, basis="2026年第2次业主大会决定", by=committee_member)
    votes.publish_selection_plan(plan, by=committee_member)
    for name in ("安居物业", "乐业物业", "宜家物业"):
        application = votes.add_company_application(
            plan,
            company_name=name,
            licence="91310000MA1X",
            price=Decimal("2.00"),
            service_plan="24 小时值守",
            by=committee_member,
        )
        votes.shortlist_application(
            application, shortlisted=True, reason="资质齐全", by=committee_member
        )
    first = votes.start_selection_vote(
        plan,
        by=committee_member,
        opens_at=timezone.now() + timedelta(days=20),
        closes_at=timezone.now() + timedelta(days=27),
    )
    publish(first, committee_member)
    move_to(first, "open")
    # 3, 2 and 1 of 6 owners: none has more than half.
    marks = [["安居物业"]] * 3 + [["乐业物业"]] * 2 + [["宜家物业"]]
    count_and_publish(community, first, committee_member, marks)

    page.on("dialog", lambda dialog: dialog.accept())
    log_in(page, live_server.url, committee_member)
    page.goto(f"{live_server.url}/votes/{first.pk}/result/")
    page.get_by_role("link", name="继续选聘方案").click()
    expect(page.locator(".round-failed")).to_contain_text("第 1 轮：未选出企业")

    card = page.locator("section.card", has=page.get_by_role("heading", name="宜家物业"))
    card.get_by_text("入围决定").click()
    card.get_by_label("不入围", exact=True).check()
    card.get_by_label("理由").fill("第一轮得票最少，按选聘方案进入决选")
    card.get_by_role("button", name="保存").click()
    expect(page.get_by_text("入围决定已记录")).to_be_visible()

    window(page)
    page.get_by_role("button", name="起草表决").click()
    second = AssemblyVote.objects.get(previous_round=first)
    expect(page).to_have_url(f"{live_server.url}/votes/{second.pk}/manage/")
    plan.refresh_from_db()
    assert plan.round == 2 and plan.vote == second
    assert sorted(second.matters.get().candidates.values_list("name", flat=True)) == [
        "乐业物业",
        "安居物业",
    ]
