"""What people click for 办 and 评: a co-building unit accepts a task; a resident rates."""

import re

from playwright.sync_api import expect

from deliberation.models import DispatchState, PartnerUnit, Phase, Rating, Responsible, Route
from deliberation.services import execution as svc
from tests.browser.conftest import log_in
from tests.factories_execution import make_topic


def test_a_co_building_unit_accepts_a_task(
    page, live_server, community, resident, community_worker, partner
):
    unit = PartnerUnit.objects.create(community=community, name="幸福里小学")
    unit.contacts.add(partner)
    topic = make_topic(community, resident, title="老人上下楼不便")
    task = svc.add_task(
        topic,
        by=community_worker,
        title="组织志愿者帮扶",
        responsible=Responsible.PARTNER_UNIT,
        route=Route.TRANSFERRED,
    )
    svc.dispatch_task(task, unit, by=community_worker, note="请组织教师志愿者")

    log_in(page, live_server.url, partner)
    page.goto(f"{live_server.url}/c/{community.pk}/tasks/")
    page.get_by_role("link", name="组织志愿者帮扶").click()
    expect(page.get_by_role("heading", name="代表本单位答复")).to_be_visible()
    page.get_by_label("接单", exact=True).check()
    page.get_by_role("button", name="提交答复").click()
    expect(page.locator(".messages")).to_contain_text("已保存")
    expect(page.locator(".task-facts dd", has_text="幸福里小学")).to_be_visible()
    expect(page.get_by_text("已接单")).to_be_visible()
    assert task.dispatches.get().state == DispatchState.ACCEPTED
    # The unit now reports progress on the same page.
    page.locator("#id_progress-text").fill("本周已安排 6 名志愿者")
    page.locator("#id_progress-percent").fill("30")
    page.get_by_role("button", name="发布进展").click()
    expect(page.get_by_text("本周已安排 6 名志愿者")).to_be_visible()


def test_declining_without_a_reason_says_what_is_missing(
    page, live_server, community, resident, community_worker, partner
):
    unit = PartnerUnit.objects.create(community=community, name="社区医院")
    unit.contacts.add(partner)
    topic = make_topic(community, resident)
    task = svc.add_task(
        topic,
        by=community_worker,
        title="上门义诊",
        responsible=Responsible.PARTNER_UNIT,
        route=Route.TRANSFERRED,
    )
    svc.dispatch_task(task, unit, by=community_worker)
    log_in(page, live_server.url, partner)
    page.goto(live_server.url + task.get_absolute_url())
    page.get_by_label("不接单").check()  # "Decline"
    page.get_by_role("button", name="提交答复").click()
    expect(page.locator("[data-error-summary]")).to_be_focused()
    expect(page.locator("[data-error-summary]")).to_contain_text("请填写不接单的理由")
    assert task.dispatches.get().state == DispatchState.PENDING


def test_a_resident_rates_the_result(page, live_server, community, resident, community_worker):
    topic = make_topic(community, resident, title="垃圾分类点异味大")
    task = svc.add_task(
        topic,
        by=community_worker,
        title="加盖并每日冲洗",
        responsible=Responsible.COMMUNITY_WORKER,
        route=Route.IMMEDIATE,
    )
    svc.complete_task(task, by=community_worker, text="已加装带盖垃圾桶")
    topic.refresh_from_db()
    assert topic.phase == Phase.EVALUATING

    log_in(page, live_server.url, resident)
    page.goto(f"{live_server.url}/topics/{topic.pk}/tasks/")
    expect(page.get_by_role("heading", name="办理情况")).to_be_visible()
    page.get_by_role("link", name="评价办理结果").click()
    page.get_by_label("基本满意").check()
    page.get_by_label("意见").fill("味道小多了")
    page.get_by_role("button", name="提交评价").click()
    expect(page.get_by_text("谢谢，您的评价已记录。")).to_be_visible()
    expect(page.get_by_text(re.compile("您的评价：基本满意"))).to_be_visible()
    expect(page.get_by_role("link", name="评价办理结果")).to_have_count(0)
    assert Rating.objects.get().level == "basically"
