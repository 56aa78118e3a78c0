"""The opinion map from a phone: a resident writes a statement, the worker shows it, residents
answer one statement at a time, and everyone sees the groups and the consensus."""

import re

import pytest
from playwright.sync_api import expect

from deliberation.models import Statement, StatementVote
from deliberation.services import opinions
from tests.browser.conftest import PHONE, log_in
from tests.browser.quick_polls import quick_polls  # noqa: F401 - the fixture
from tests.integration.test_opinion_pages import CAMP_A, CAMP_B, SHARED, build_camps
from tests.topic_factories import discussing

pytestmark = pytest.mark.usefixtures("quick_polls")


def log_out(page):
    page.context.clear_cookies()


def test_statements_answers_and_the_map_on_a_phone(
    page, live_server, community, resident, owner, community_worker, run_tasks
):
    url = live_server.url
    topic = discussing(community, resident, community_worker, title="小区停车怎么管")

    # A resident writes a statement; an empty one is refused where they type, a long one cut.
    log_in(page, url, resident)
    page.goto(f"{url}/topics/{topic.pk}/")
    page.get_by_role("link", name="表态和提出意见").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("意见")
    box = page.get_by_label("您的意见")
    page.get_by_role("button", name="提交意见").click()
    expect(page.get_by_text("请填写您的意见。", exact=True)).to_be_visible()
    box = page.get_by_label("您的意见")
    box.fill("长" * 141)  # the phone stops at the limit (the server's own refusal: integration)
    assert box.input_value() == "长" * 140
    assert not Statement.objects.exists()
    page.get_by_label("您的意见").fill("外来车辆应当收费")
    page.get_by_role("button", name="提交意见").click()
    expect(page.get_by_text("谢谢！社区工作者审核后，大家就能对您的意见表态。")).to_be_visible()
    expect(page.get_by_text("外来车辆应当收费 — 等待审核")).to_be_visible()
    log_out(page)

    # The worker shows it, and hides another only with a reason.
    opinions.write_statement(topic, by=owner, text="三号楼的老张总乱停车")
    log_in(page, url, community_worker)
    page.goto(f"{url}/topics/{topic.pk}/opinions/")
    card = page.locator(".card", has_text="外来车辆应当收费")
    card.get_by_role("button", name="公开，供大家表态").click()
    expect(page.get_by_text("这条意见已公开，大家可以表态了。")).to_be_visible()
    card = page.locator(".card", has_text="三号楼的老张总乱停车")
    card.get_by_role("button", name="隐藏").click()
    expect(page.get_by_text("请填写隐藏这条意见的理由。", exact=True)).to_be_visible()
    card = page.locator(".card", has_text="三号楼的老张总乱停车")
    card.get_by_label("隐藏理由").fill("点名个人")
    card.get_by_role("button", name="隐藏").click()
    expect(page.get_by_text("这条意见已隐藏。")).to_be_visible()
    expect(page.get_by_text("三号楼的老张总乱停车 — 理由：点名个人")).to_be_visible()
    log_out(page)

    # An owner answers with big buttons, then changes the answer: the later one counts.
    log_in(page, url, owner)
    page.goto(f"{url}/topics/{topic.pk}/opinions/")
    expect(page.get_by_text("三号楼的老张总乱停车")).to_have_count(1)  # only in their own list
    expect(page.locator(".statement-card")).to_contain_text("外来车辆应当收费")
    agree = page.get_by_role("button", name="同意", exact=True)
    for button in (agree, page.get_by_role("button", name="不同意", exact=True)):
        size = button.bounding_box()
        assert size["height"] >= 48 and size["x"] + size["width"] <= PHONE["width"]
    agree.click()
    expect(page.get_by_text("您已对所有意见表态，谢谢！")).to_be_visible()
    page.get_by_text("您的表态（1 条，仅您本人可见）").click()
    page.locator("#my-answers").get_by_role("button", name="不同意").click()
    expect(page.get_by_text("您的表态已更改。")).to_be_visible()
    statement = Statement.objects.get(text="外来车辆应当收费")
    assert list(
        StatementVote.objects.filter(statement=statement).values_list("vote", flat=True)
    ) == [-1]

    # A statement hidden while the owner looks at it cannot be answered.
    late = opinions.moderate_statement(
        opinions.write_statement(topic, by=resident, text="夜间限速五公里"),
        by=community_worker,
        show=True,
    )
    page.goto(f"{url}/topics/{topic.pk}/opinions/")
    expect(page.locator(".statement-card")).to_contain_text("夜间限速五公里")
    opinions.moderate_statement(late, by=community_worker, show=False, reason="重复")
    page.get_by_role("button", name="同意", exact=True).click()
    expect(page.get_by_text("这条意见现在不能表态。")).to_be_visible()
    assert not StatementVote.objects.filter(statement=late).exists()
    log_out(page)

    # Residents answer; the task queue draws the map and the open page shows it by itself.
    run_tasks()
    build_camps(topic, community_worker, resident, [7, 6])
    log_in(page, url, resident)
    page.goto(f"{url}/topics/{topic.pk}/")
    page.get_by_role("link", name="查看意见地图").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("意见地图")
    expect(page.get_by_text("有新的表态正在统计，地图会自动更新。")).to_be_visible()
    run_tasks()
    expect(page.get_by_role("img", name="意见群体")).to_be_visible(timeout=10_000)
    expect(page.get_by_text("有新的表态正在统计")).to_have_count(0)
    expect(page.get_by_text(re.compile("^更新于"))).to_be_visible()
    expect(page.get_by_role("link", name="下载意见地图（xlsx）")).to_be_visible()  # came with it
    expect(page.get_by_role("heading", name="A 组 · 7 人")).to_be_visible()
    expect(page.get_by_role("heading", name="B 组 · 6 人")).to_be_visible()
    consensus = page.locator("section", has=page.get_by_role("heading", name="各群体的共识"))
    for text in SHARED:
        expect(consensus.get_by_text(f"同意：{text}")).to_be_visible()
    group_a = page.locator(".card", has=page.get_by_role("heading", name="A 组 · 7 人"))
    expect(group_a.get_by_text("这个群体的特点：")).to_be_visible()
    expect(group_a.get_by_role("listitem").first).to_contain_text(
        re.compile("|".join(CAMP_A + CAMP_B))
    )
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    expect(page.get_by_text("住户0")).to_have_count(0)
