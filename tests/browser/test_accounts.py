"""Signing up by mobile number, logging out, and logging back in, on a phone, in Chinese."""

from playwright.sync_api import expect

from accounts.models import User

PASSWORD = "qing-shan-lv-shui-2026"


def test_a_person_signs_up_by_mobile_number_logs_out_and_back_in(page, live_server, db):
    page.goto(live_server.url + "/")
    page.get_by_role("link", name="注册").first.click()
    page.locator("input[name=phone]").fill("139 0000 0123")
    page.locator("input[name=password1]").fill(PASSWORD)
    page.locator("input[name=password2]").fill(PASSWORD)
    page.locator("form button[type=submit]").click()

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
    User.objects.create_user(phone="+8613900000124", password=PASSWORD)
    page.goto(live_server.url + "/accounts/login/")
    page.locator("input[name=login]").fill("13900000124")
    page.locator("input[name=password]").fill("not-the-password")
    page.locator("form button[type=submit]").click()
    summary = page.locator("[data-error-summary]")
    expect(summary).to_contain_text("您输入的电话号码和/或密码不正确")
    expect(summary).to_be_focused()


def test_the_login_box_asks_for_a_mobile_number_with_a_number_pad(page, live_server, db):
    User.objects.create_user(phone="+8613900000125", password=PASSWORD)
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
