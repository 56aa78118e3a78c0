"""An owners' assembly vote on a phone: an owner votes, two tellers enter a paper ballot, the
committee counts and publishes the result."""

import pytest
from playwright.sync_api import expect

from deliberation.models import Ballot, Holder, Role
from deliberation.services import votes
from tests.browser.conftest import log_in
from tests.factories import add_member
from tests.vote_factories import move_to, open_vote

pytestmark = pytest.mark.django_db(transaction=True)


def switch_user(page, live_server, user):
    page.context.clear_cookies()
    log_in(page, live_server.url, user)


def test_an_owner_votes_on_a_phone_and_checks_the_receipt(
    page, live_server, community, committee_member, owner
):
    vote = open_vote(community, committee_member)
    log_in(page, live_server.url, owner)
    page.get_by_role("link", name="业主表决").first.click()
    page.get_by_role("link", name=vote.title).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(vote.title)
    page.get_by_label("同意").check()
    page.get_by_role("button", name="投票").click()
    receipt = page.locator("[data-receipt]")
    expect(receipt).to_be_visible()
    code = receipt.inner_text().strip()
    expect(page.get_by_text("您已投票。")).to_be_visible()
    assert Ballot.objects.get().choice == "yes"

    page.get_by_role("link", name="核对回执").click()
    page.get_by_label("回执码").fill(code)
    page.get_by_role("button", name="核对").click()
    expect(page.get_by_text("已计入")).to_be_visible()


def test_a_tenant_is_told_that_only_owners_vote(
    page, live_server, community, committee_member, resident
):
    vote = open_vote(community, committee_member)
    log_in(page, live_server.url, resident)
    page.goto(f"{live_server.url}/votes/{vote.pk}/")
    expect(page.get_by_text("只有名册上的业主可以投票")).to_be_visible()
    expect(page.get_by_role("button", name="投票")).to_have_count(0)


def test_two_tellers_enter_a_paper_ballot_and_it_is_counted(
    page, live_server, community, committee_member
):
    vote = open_vote(community, committee_member)
    tellers = [add_member(community, Role.COMMUNITY_WORKER, name=n) for n in ("计票甲", "计票乙")]
    for teller in tellers:
        votes.appoint_teller(vote, teller, by=committee_member)
    for number, teller in enumerate(tellers, start=1):
        switch_user(page, live_server, teller)
        page.goto(f"{live_server.url}/votes/{vote.pk}/")
        page.get_by_role("link", name="录入纸质表决票").click()
        page.get_by_label("表决票上的录入码或房屋").fill("1号楼-105")
        page.get_by_role("button", name="打开这张表决票").click()
        expect(page.locator("[data-entry]")).to_contain_text(
            "第一次录入" if number == 1 else "第二次录入"
        )
        page.get_by_label("反对").check()
        page.get_by_role("button", name="保存本次录入").click()
        if number == 1:
            expect(page.locator(".message.success")).to_contain_text("须由另一位计票人再录入")
        else:
            expect(page.locator(".message.success")).to_contain_text("两次录入一致")
    ballot = Ballot.objects.get()
    assert (ballot.channel, ballot.choice) == ("paper", "no")


def test_the_committee_counts_confirms_and_publishes_the_result(
    page, live_server, community, committee_member
):
    vote = open_vote(community, committee_member)
    votes.appoint_teller(vote, committee_member, by=committee_member)
    for holder in Holder.objects.filter(community=community).order_by("pk")[:5]:
        votes.cast_ballot(vote.matters.get(), holder, "yes", by=committee_member, channel="meeting")
    move_to(vote, "closed")
    log_in(page, live_server.url, committee_member)
    page.goto(f"{live_server.url}/votes/{vote.pk}/")
    page.get_by_role("link", name="计票与结果").first.click()
    page.get_by_role("button", name="开始计票").click()
    expect(page.get_by_text("计票完成。")).to_be_visible()
    page.get_by_role("button", name="我确认计票结果").click()
    page.get_by_role("button", name="公布结果").click()
    expect(page.get_by_text("表决结果已在公示栏公布。")).to_be_visible()
    expect(page.locator(".verdict")).to_have_text("通过")
    page.get_by_role("link", name="结果公告", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(vote.title)
