"""Signing up by mobile number, logging out, and logging back in, on a phone, in Chinese."""

import re

import pytest
from django.core.cache import cache
from playwright.sync_api import expect

from accounts.models import User
from accounts.sms import LogSender
from deliberation.models import Holder, Unit
from deliberation.registry import identity_digest, mask_identity

PASSWORD = "qing-shan-lv-shui-2026"


def enter_the_sms_code(page, phone):
    """Read the code the log sender 'sent' to the phone and type it in, as its owner would."""
    expect(page.get_by_role("heading", level=1)).to_contain_text("验证")
    [text] = [text for to, text in LogSender.outbox if to == phone]
    code = re.search(r"是\s*(\S+?)。?$", text).group(1)
    page.get_by_role("textbox").last.fill(code)
    page.locator("main form button[type=submit]").first.click()


@pytest.fixture(autouse=True)
def _fresh_limits():
    cache.clear()
    LogSender.outbox.clear()
    yield
    cache.clear()


def test_a_person_signs_up_by_mobile_number_logs_out_and_back_in(page, live_server, db):
    page.goto(live_server.url + "/")
    page.get_by_role("link", name="注册").first.click()
    page.locator("input[name=phone]").fill("139 0000 0123")
    page.locator("input[name=password1]").fill(PASSWORD)
    page.locator("input[name=password2]").fill(PASSWORD)
    page.locator("form button[type=submit]").click()
    enter_the_sms_code(page, "+8613900000123")

    logout = page.get_by_role("button", name="退出登录")
    expect(logout).to_be_visible()
    assert User.objects.get(phone="+8613900000123").check_password(PASSWORD)

    logout.click()
    if page.url.endswith("/accounts/logout/"):  # allauth asks to confirm
        page.locator("main form button[type=submit]").click()
    nav_login = page.get_by_role("navigation").get_by_role("link", name="登录")
    expect(nav_login).to_be_visible()

    nav_login.click()
    page.locator("input[name=login]").fill("13900000123")
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("form button[type=submit]").click()
    expect(page.get_by_role("button", name="退出登录")).to_be_visible()


def test_a_wrong_password_on_the_phone_says_so_in_chinese(page, live_server, db):
    User.objects.create_user(phone="+8613900000124", phone_verified=True, password=PASSWORD)
    page.goto(live_server.url + "/accounts/login/")
    page.locator("input[name=login]").fill("13900000124")
    page.locator("input[name=password]").fill("not-the-password")
    page.locator("form button[type=submit]").click()
    summary = page.locator("[data-error-summary]")
    expect(summary).to_contain_text("您输入的电话号码和/或密码不正确")
    expect(summary).to_be_focused()


def test_the_login_box_asks_for_a_mobile_number_with_a_number_pad(page, live_server, db):
    User.objects.create_user(phone="+8613900000125", phone_verified=True, password=PASSWORD)
    page.goto(live_server.url + "/accounts/login/")
    box = page.get_by_label("手机号", exact=True)
    expect(box).to_have_attribute("inputmode", "tel")
    expect(box).to_have_attribute("type", "text")
    expect(box).to_have_attribute("autocomplete", "username")

    password = page.get_by_label("密码", exact=True)
    forgot = page.get_by_role("link", name="忘记密码？")
    assert forgot.bounding_box()["y"] > password.bounding_box()["y"]

    box.fill("13900000125")
    password.fill(PASSWORD)
    show = page.get_by_role("button", name="显示密码")
    assert show.bounding_box()["height"] >= 44
    show.click()
    expect(password).to_have_attribute("type", "text")
    expect(password).to_have_value(PASSWORD)
    page.get_by_role("button", name="隐藏密码").click()
    expect(password).to_have_attribute("type", "password")
    page.locator("form button[type=submit]").click()
    expect(page.get_by_role("button", name="退出登录")).to_be_visible()


def test_a_person_with_an_email_address_gets_an_email_keyboard(page, live_server, db):
    User.objects.create_user(
        email="wang@example.com", phone="+8613900000126", phone_verified=True, password=PASSWORD
    )
    page.goto(live_server.url + "/accounts/login/")
    page.get_by_role("link", name="改用邮箱登录").click()
    box = page.get_by_label("邮箱", exact=True)
    expect(box).to_have_attribute("inputmode", "email")
    box.fill("wang@example.com")
    page.get_by_label("密码", exact=True).fill("wrong-password-here")
    page.locator("form button[type=submit]").click()
    expect(page.locator("[data-error-summary]")).to_be_visible()
    # After a mistake the form keeps the email keyboard.
    expect(page.get_by_label("邮箱", exact=True)).to_have_attribute("inputmode", "email")
    page.get_by_label("密码", exact=True).fill(PASSWORD)
    page.locator("form button[type=submit]").click()
    expect(page.get_by_role("button", name="退出登录")).to_be_visible()


def test_a_new_owner_verifies_the_number_and_links_the_flat_the_register_names(
    page, live_server, community
):
    unit = Unit.objects.get(building__estate__community=community, number="104")
    holder = unit.ownerships.get().holder
    holder.name, holder.id_masked = "张桂兰", mask_identity("110101194805054321")
    holder.id_digest = identity_digest("110101194805054321")
    holder.save()

    page.goto(live_server.url + "/accounts/signup/")
    page.locator("input[name=phone]").fill("13900000321")
    page.locator("input[name=password1]").fill(PASSWORD)
    page.locator("input[name=password2]").fill(PASSWORD)
    page.locator("form button[type=submit]").click()
    enter_the_sms_code(page, "+8613900000321")

    page.get_by_role("link", name="我的房屋").click()
    page.get_by_role("link", name="关联我名下的房屋").click()
    page.get_by_label("楼栋").select_option(label="测试社区小区 1号楼")
    page.get_by_label("房号").fill("104")
    page.get_by_label("业主姓名").fill("张桂兰")
    page.get_by_label("身份证号码后四位").fill("4312")
    page.get_by_role("button", name="与登记册核对").click()
    summary = page.locator("[data-error-summary]")
    expect(summary).to_contain_text("与业主登记册不一致")
    expect(summary).to_be_focused()
    assert Holder.objects.get(pk=holder.pk).user is None

    page.get_by_label("身份证号码后四位").fill("4321")
    page.get_by_role("button", name="与登记册核对").click()
    expect(page.get_by_role("status")).to_contain_text("与登记册一致，房屋已关联")
    expect(page.get_by_role("table")).to_contain_text("1号楼-104")
    assert Holder.objects.get(pk=holder.pk).user.phone == "+8613900000321"
