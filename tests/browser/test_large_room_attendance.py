"""The secretary of a room of a hundred on a phone: the console lists the first people not yet
checked in, and anyone else is found by name on the full list and checked in there."""

from playwright.sync_api import expect

from meetings.rendering import CONSOLE_PEOPLE
from tests.browser.asgi_server import asgi_server  # noqa: F401 - fixture
from tests.browser.room_pages import open_page  # noqa: F401 - fixture
from tests.integration.test_meeting_attendance import seat_many
from tests.meeting_factories import make_meeting

PHONE = {"width": 390, "height": 844}


def no_sideways_scroll(page):
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the page scrolls sideways: {width} px"


def test_the_secretary_finds_a_late_comer_by_name_and_checks_her_in(
    asgi_server,  # noqa: F811
    open_page,  # noqa: F811
    community,
    chair,
    community_worker,
):
    meeting = make_meeting(community, chair, secretary=community_worker)
    seat_many(meeting, 100, present=10)
    page = open_page(asgi_server, community_worker, f"/meetings/{meeting.pk}/room/")
    page.set_viewport_size(PHONE)
    attendance = page.locator("#room-attendance")
    expect(attendance).to_contain_text("尚未签到（90 人）")
    expect(attendance.locator(".room-people li")).to_have_count(CONSOLE_PEOPLE)
    page.get_by_role("link", name="全部 100 位受邀人员（可按姓名查找）").click()

    page.get_by_label("按姓名查找").fill("居民00077")
    page.get_by_role("button", name="查找", exact=True).click()
    expect(page.locator(".room-people li")).to_have_count(1)
    page.get_by_role("button", name="为 居民00077 签到").click()
    expect(page.get_by_text("已签到。")).to_be_visible()
    expect(page.locator(".room-people li")).to_contain_text("出席")
    assert "q=" in page.url  # still on the same search
    no_sideways_scroll(page)

    page.get_by_role("link", name="返回会场").click()
    expect(page.locator("#room-attendance")).to_contain_text("尚未签到（89 人）")
