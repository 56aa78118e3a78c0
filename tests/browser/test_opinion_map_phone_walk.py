"""The opinion pages on a 390 × 844 phone, in Chinese and in English, as a resident, the
community worker and the chair: write, moderate, answer with big buttons, see the map.

With --screenshots=DIR each step is also saved there (opinion-<language>-<step>.png).
"""

import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from playwright.sync_api import expect

from deliberation.models import Statement, StatementVote
from deliberation.services import opinions
from tests.browser.conftest import log_in
from tests.browser.quick_polls import quick_polls  # noqa: F401 - the fixture
from tests.integration.test_opinion_pages import build_camps
from tests.topic_factories import discussing

pytestmark = pytest.mark.usefixtures("quick_polls")

PHONE_390 = {"width": 390, "height": 844}

WORDS = {
    "zh-hans": {
        "write": "提交意见",
        "box": "您的意见",
        "thanks": "谢谢！社区工作者审核后，大家就能对您的意见表态。",
        "show": "公开，供大家表态",
        "agree": "同意",
        "disagree": "不同意",
        "pass": "跳过",
        "done": "您已对所有意见表态，谢谢！",
        "drawing": "正在根据已有的表态生成意见地图",
        "group_a": "A 组 · 7 人",
        "picture": "意见群体",
        "room_map": "本议程议题的意见地图",
    },
    "en": {
        "write": "Send the statement",
        "box": "Your statement",
        "thanks": "Thank you. A worker will check your statement before others answer it.",
        "show": "Show for answers",
        "agree": "Agree",
        "disagree": "Disagree",
        "pass": "Pass",
        "done": "You have answered every statement. Thank you.",
        "drawing": "The map is being drawn from the answers so far",
        "group_a": "Group A · 7 people",
        "picture": "Opinion groups",
        "room_map": "Opinion map of this item's topic",
    },
}


def fits_the_phone(page):
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE_390["width"]


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_opinion_pages_on_a_390_phone_as_resident_worker_and_chair(
    page,
    live_server,
    request,
    tmp_path,
    community,
    resident,
    owner,
    community_worker,
    chair,
    run_tasks,
    language,
):
    words = WORDS[language]
    folder = Path(request.config.getoption("screenshots", default=None) or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)

    def shot(name):
        fits_the_phone(page)
        page.screenshot(path=str(folder / f"opinion-{language}-{name}.png"), full_page=True)

    url = live_server.url
    page.set_viewport_size(PHONE_390)
    page.context.add_cookies([{"name": "django_language", "value": language, "url": url}])
    topic = discussing(community, resident, community_worker, title="小区停车怎么管")
    texts = ["外来车辆应当收费", "夜间禁止鸣笛", "增加充电桩"]

    # The resident writes a statement.
    log_in(page, url, resident)
    page.goto(f"{url}/topics/{topic.pk}/opinions/")
    page.get_by_label(words["box"]).fill(texts[0])
    page.get_by_role("button", name=words["write"]).click()
    expect(page.get_by_text(words["thanks"])).to_be_visible()
    shot("1-resident-wrote")
    # Nothing to answer yet: said once, not also as "0 of 0".
    expect(page.get_by_text(re.compile(r"\b0 (of|条意见，您已表态) 0"))).to_have_count(0)
    for text in texts[1:]:
        opinions.write_statement(topic, by=resident, text=text)

    # The worker shows the statements for answers.
    page.context.clear_cookies()
    page.context.add_cookies([{"name": "django_language", "value": language, "url": url}])
    log_in(page, url, community_worker)
    page.goto(f"{url}/topics/{topic.pk}/opinions/")
    shot("2-worker-queue")
    for text in texts:
        show = page.get_by_role("button", name=words["show"])
        card = page.locator(".card", has_text=text, has=show)
        card.get_by_role("button", name=words["show"]).click()
        expect(card).to_have_count(0)

    # The owner answers one statement at a time: agree, disagree, pass.
    page.context.clear_cookies()
    page.context.add_cookies([{"name": "django_language", "value": language, "url": url}])
    log_in(page, url, owner)
    page.goto(f"{url}/topics/{topic.pk}/opinions/")
    shot("3-owner-answers")
    for answer in ("agree", "disagree", "pass"):
        button = page.get_by_role("button", name=words[answer], exact=True).first
        box = button.bounding_box()
        assert box["height"] >= 44 and box["width"] >= 88
        assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE_390["width"]
        button.click()
    expect(page.get_by_text(words["done"])).to_be_visible()
    shot("4-owner-done")
    # Done: the next step is the map, one big button away.
    next_step = page.locator("[data-next-step]")
    assert next_step.bounding_box()["height"] >= 44
    assert sorted(
        StatementVote.objects.filter(participant=owner).values_list("vote", flat=True)
    ) == [-1, 0, 1]

    # Before the queue has drawn it, the map says it is coming; then it appears by itself.
    build_camps(topic, community_worker, resident, [7, 6])
    next_step.click()
    expect(page.get_by_text(words["drawing"])).to_be_visible()
    shot("5-map-being-drawn")
    run_tasks()
    expect(page.get_by_role("img", name=words["picture"])).to_be_visible(timeout=10_000)
    expect(page.get_by_role("heading", name=words["group_a"])).to_be_visible()
    shot("6-owner-map")

    # The chair sees the map from the topic and in the live room's open item.
    from meetings import services as room
    from meetings.models import AgendaItem
    from tests.meeting_factories import live_consultation

    meeting = live_consultation(community, chair, community_worker, owner, resident)
    item = AgendaItem.objects.create(meeting=meeting, position=3, title="停车管理", topic=topic)
    with ThreadPoolExecutor(max_workers=1) as pool:  # its broadcast needs a thread of its own
        pool.submit(room.open_item, meeting, by=chair, item_id=item.pk).result()
    page.context.clear_cookies()
    page.context.add_cookies([{"name": "django_language", "value": language, "url": url}])
    log_in(page, url, chair)
    page.goto(f"{url}/topics/{topic.pk}/opinions/map/")
    expect(page.get_by_role("heading", name=words["group_a"])).to_be_visible()
    shot("7-chair-map")
    page.goto(f"{url}/meetings/{meeting.pk}/room/")
    section = page.locator("#room-opinions")
    expect(section.get_by_role("heading", name=words["room_map"])).to_be_visible()
    expect(section).to_contain_text(words["group_a"])
    # The group and its most telling statement on lines of their own; one link to the map.
    first = section.get_by_role("listitem").first
    assert first.locator("strong").inner_text() == words["group_a"]
    expect(page.locator(f'a[href="/topics/{topic.pk}/opinions/map/"]')).to_have_count(1)
    section.scroll_into_view_if_needed()
    shot("8-chair-room")
    assert not re.search("住户0", section.inner_text())
    assert Statement.objects.filter(topic=topic).count() == 3 + 14
