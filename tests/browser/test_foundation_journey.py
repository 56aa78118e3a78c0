import re

from playwright.sync_api import expect

from tests.browser.conftest import log_in


def test_a_resident_logs_in_on_a_phone_and_sees_their_flat(page, live_server, owner, community):
    log_in(page, live_server.url, owner)
    expect(page.get_by_role("heading", level=1)).to_contain_text("您好")
    expect(page.get_by_role("link", name=community.name)).to_be_visible()
    page.get_by_role("link", name="我的房屋").click()
    expect(page.get_by_role("cell", name="80.00 m²").first).to_be_visible()


def test_switching_to_english_is_remembered(page, live_server, resident):
    log_in(page, live_server.url, resident)
    page.get_by_role("button", name="English").click()
    expect(page.get_by_role("heading", name="My communities")).to_be_visible()
    page.goto(live_server.url + "/my/units/")
    expect(page.get_by_role("heading", level=1)).to_have_text("My flats")
    page.get_by_role("button", name="中文").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("我的房屋")


def test_large_text_scales_the_page(page, live_server, resident):
    log_in(page, live_server.url, resident)
    page.get_by_role("button", name="大字模式").click()
    expect(page.locator("html")).to_have_class(re.compile("text-large"))
    size = page.evaluate("getComputedStyle(document.documentElement).fontSize")
    assert size == "22px"


def test_a_wrong_password_says_so_in_chinese(page, live_server, resident):
    page.goto(live_server.url + "/accounts/login/")
    page.locator("input[name=login]").fill(resident.phone)
    page.locator("input[name=password]").fill("wrong-password")
    page.locator("form button[type=submit]").click()
    expect(page.locator("[data-error-summary]")).to_be_visible()
    expect(page.locator("[data-error-summary]")).to_be_focused()
