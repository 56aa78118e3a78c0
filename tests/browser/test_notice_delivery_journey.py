"""Service of an assembly notice on a phone: the committee publishes it, watches coverage grow as
an owner opens it, prints the paper list for the rest, and records a signed receipt."""

import pytest
from playwright.sync_api import expect

from deliberation.models import Unit
from tests.browser.conftest import log_in
from tests.queue import run_queued_tasks
from tests.vote_factories import convene

pytestmark = pytest.mark.django_db(transaction=True)


def switch_user(page, live_server, user):
    page.context.clear_cookies()
    log_in(page, live_server.url, user)


def coverage_line(served, total):
    return f"已送达 {served} / {total} 户；{total - served} 户待上门"


def test_the_committee_serves_every_household_with_proof(
    page, live_server, community, committee_member, owner
):
    total = Unit.objects.filter(building__estate__community=community).count()
    vote = convene(community, committee_member)
    page.on("dialog", lambda dialog: dialog.accept())
    log_in(page, live_server.url, committee_member)
    page.goto(f"{live_server.url}/votes/{vote.pk}/manage/")
    page.get_by_role("button", name="发布会议通知").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(vote.title)
    # Publishing answers at once; the task worker sends
    expect(page.get_by_text("公告正在等待发送。")).to_be_visible()
    run_queued_tasks()
    page.reload()
    expect(page.get_by_text(coverage_line(0, total), exact=True)).to_be_visible()

    # An owner opens the notice from the bell: their household is served
    switch_user(page, live_server, owner)
    page.goto(f"{live_server.url}/notifications/")
    page.get_by_role("button", name=vote.title).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(vote.title)

    switch_user(page, live_server, committee_member)
    page.goto(f"{live_server.url}/votes/{vote.pk}/")
    expect(page.get_by_text(coverage_line(1, total))).to_be_visible()
    page.get_by_role("link", name="公告送达").click()
    expect(page.get_by_role("listitem").filter(has_text=owner.real_name)).to_have_count(0)

    # The paper list of the building, one slip per household still to be served
    page.get_by_role("link", name="打印纸质送达清单").click()
    slips = page.locator(".receipt-slip")
    expect(slips).to_have_count(total - 1)
    code = slips.first.locator(".code").inner_text()
    page.go_back()

    page.get_by_label("已签收回执单上的编号").fill(code)
    page.get_by_role("button", name="登记回执").click()
    expect(page.get_by_text("回执已登记")).to_be_visible()
    expect(page.get_by_text(coverage_line(2, total))).to_be_visible()

    # A mistyped code says so where the worker looks, and changes nothing
    page.get_by_label("已签收回执单上的编号").fill("ZZZZ2222")
    page.get_by_role("button", name="登记回执").click()
    expect(page.get_by_text("本公告没有编号为 ZZZZ2222 的回执")).to_be_visible()
    expect(page.get_by_text(coverage_line(2, total))).to_be_visible()
