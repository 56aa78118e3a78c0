"""A committee member runs votes and selections for the estate of their committee only."""

import pytest
from playwright.sync_api import expect

from deliberation.models import AssemblyVote, PropertySelectionPlan
from tests.browser.conftest import log_in
from tests.factories import add_estate

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_committee_member_is_offered_only_her_own_estate(
    page, live_server, community, committee_member
):
    own = community.estates.get()
    add_estate(community, name="和谐家园")
    log_in(page, live_server.url, committee_member)

    page.goto(f"{live_server.url}/c/{community.pk}/votes/")
    estate = page.get_by_label("小区")
    expect(estate.locator("option")).to_have_text([own.name])
    page.get_by_label("标题").fill("维修资金表决")
    page.get_by_label("表决开始时间").fill("2027-03-01T09:00")
    page.get_by_label("表决截止时间").fill("2027-03-10T09:00")
    page.get_by_role("button", name="创建表决").click()
    expect(page.get_by_text("表决已创建")).to_be_visible()
    assert AssemblyVote.objects.get().estate == own

    page.goto(f"{live_server.url}/c/{community.pk}/selection/")
    expect(page.get_by_label("小区").locator("option")).to_have_text([own.name])
    assert not PropertySelectionPlan.objects.exists()


def test_the_community_worker_is_offered_every_estate(
    page, live_server, community, community_worker
):
    own = community.estates.get()
    add_estate(community, name="和谐家园")
    log_in(page, live_server.url, community_worker)
    page.goto(f"{live_server.url}/c/{community.pk}/votes/")
    expect(page.get_by_label("小区").locator("option")).to_have_text(["和谐家园", own.name])
