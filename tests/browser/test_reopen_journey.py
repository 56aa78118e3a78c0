"""A worker sends back a result residents rated 不满意, redoing the repair they complained about."""

from playwright.sync_api import expect

from deliberation.models import Phase, Task
from tests.browser.conftest import log_in
from tests.factories_execution import roof_repair_complained_about


def test_a_worker_reopens_the_repair_residents_complained_about(
    page, live_server, community, resident, owner, community_worker, grid_worker
):
    topic, repair, cleanup = roof_repair_complained_about(
        community, resident, [resident, owner], community_worker, grid_worker
    )

    log_in(page, live_server.url, community_worker)
    page.goto(f"{live_server.url}/topics/{topic.pk}/tasks/")
    expect(page.get_by_text("该结果可以退回重办：多数评价为不满意。")).to_be_visible()
    page.get_by_role("link", name="退回重办").click()
    expect(page.get_by_role("heading", name="退回重办")).to_be_visible()
    repair_box = page.get_by_label("修补楼顶防水层", exact=False)
    cleanup_box = page.get_by_label("清理楼道积水", exact=False)
    expect(repair_box).to_be_checked()
    expect(cleanup_box).not_to_be_checked()
    page.get_by_label("整改要求").fill("请更换整块防水卷材")
    page.get_by_role("button", name="退回并重办所选工作").click()

    expect(page.locator(".messages")).to_contain_text("已退回重办")
    expect(page.get_by_role("link", name="修补楼顶防水层")).to_be_visible()
    expect(page.get_by_role("link", name="退回重办")).to_have_count(0)
    topic.refresh_from_db()
    assert topic.phase == Phase.EXECUTING
    assert [t.title for t in Task.objects.filter(topic=topic, round=2)] == ["修补楼顶防水层"]
    # The reopening is posted for everyone to read.
    page.goto(f"{live_server.url}/c/{community.pk}/notices/")
    page.get_by_role("link", name="退回重办：楼顶漏水").click()
    expect(page.locator(".notice-body")).to_contain_text("修补楼顶防水层")
    expect(page.locator(".notice-body")).to_contain_text("请更换整块防水卷材")
