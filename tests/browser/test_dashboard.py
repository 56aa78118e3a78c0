"""The KPI dashboard on a phone: charts people can see, numbers they can read."""

import datetime

from playwright.sync_api import expect

from deliberation.models import Phase, RatingLevel, Responsible, Route
from deliberation.services import execution as svc
from tests.browser.conftest import PHONE, log_in
from tests.factories_execution import make_topic


def test_the_dashboard_shows_charts_and_figures(
    page, live_server, community, resident, community_worker, grid_worker
):
    closed = make_topic(community, resident, title="路灯")
    task = svc.add_task(
        closed,
        by=community_worker,
        title="换灯",
        responsible=Responsible.COMMUNITY_WORKER,
        route=Route.IMMEDIATE,
    )
    svc.complete_task(task, by=community_worker, text="换好了")
    svc.rate_topic(closed, by=resident, level=RatingLevel.SATISFIED)
    svc.record_visit(
        closed,
        by=grid_worker,
        visited_on=datetime.date.today(),
        channel="phone",
        outcome="holds",
    )
    svc.conclude_evaluation(closed, by=community_worker)
    make_topic(community, resident, title="停车", phase=Phase.EXECUTING)

    log_in(page, live_server.url, community_worker)
    page.goto(f"{live_server.url}/c/{community.pk}/")
    page.get_by_role("link", name="数据看板").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("数据看板")
    charts = page.locator("svg.chart[role=img]")
    expect(charts).to_have_count(3)
    for i in range(3):
        expect(charts.nth(i)).to_be_visible()
        box = charts.nth(i).bounding_box()
        assert box["width"] > 200 and box["width"] <= 360
    expect(page.get_by_role("img", name="每月受理与化解的议题")).to_be_visible()
    resolution = page.locator(".kpi", has_text="化解率")
    expect(resolution).to_contain_text("50.0%")
    expect(resolution).to_contain_text("1 / 2")
    with page.expect_download() as download:
        page.get_by_role("link", name="下载数据（xlsx）").click()
    assert download.value.suggested_filename.endswith(".xlsx")


PHONE_WIDTH = PHONE["width"]


def test_the_tables_scroll_in_their_own_labelled_box_on_a_phone(
    page, live_server, community, resident, community_worker
):
    make_topic(community, resident, title="停车", phase=Phase.EXECUTING)
    log_in(page, live_server.url, community_worker)
    page.goto(f"{live_server.url}/c/{community.pk}/dashboard/")
    for name in ("按月", "按类别", "按网格"):
        table = page.get_by_role("region", name=f"{name}表格，可左右滑动")
        expect(table.get_by_role("table")).to_be_visible()
        table.focus()  # a keyboard or switch user can reach it and scroll it
        expect(table).to_be_focused()
        box = table.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE_WIDTH
    # Only the tables scroll sideways; the page itself does not.
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE_WIDTH
