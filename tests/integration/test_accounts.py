"""Signing up and logging in through django-allauth: by mobile number or email, in Chinese."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.core.cache import cache
from django.utils import timezone

from accounts.models import User
from accounts.sms import LogSender
from tests.factories import PASSWORD, make_user

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "qing-shan-lv-shui-2026"


@pytest.fixture(autouse=True)
def _fresh_limits():
    cache.clear()  # allauth's rate-limit counters and the SMS allowance live in the cache
    LogSender.outbox.clear()
    yield
    cache.clear()


@pytest.fixture
def li_ming(db):
    return make_user(name="李明", phone="+8613800000001")


def logged_in_user(client):
    user_id = client.session.get("_auth_user_id")
    return User.objects.get(pk=user_id) if user_id else None


def test_it_logs_in_by_a_mobile_number_typed_as_11_digits(client, li_ming):
    response = client.post("/accounts/login/", {"login": "13800000001", "password": PASSWORD})
    assert response.status_code == 302
    assert logged_in_user(client) == li_ming


def test_it_logs_in_by_a_mobile_number_typed_with_spaces(client, li_ming):
    client.post("/accounts/login/", {"login": "138 0000 0001", "password": PASSWORD})
    assert logged_in_user(client) == li_ming


def test_it_logs_in_by_email(client, li_ming):
    response = client.post("/accounts/login/", {"login": li_ming.email, "password": PASSWORD})
    assert response.status_code == 302
    assert logged_in_user(client) == li_ming


def test_a_wrong_password_is_refused_with_a_chinese_message(client, li_ming):
    response = client.post("/accounts/login/", {"login": "13800000001", "password": "nope-nope"})
    assert response.status_code == 200
    assert logged_in_user(client) is None
    assert "data-error-summary" in response.text
    assert "您输入的电话号码和/或密码不正确" in response.text


def test_a_wrong_password_is_refused_in_english_on_request(client, li_ming):
    client.cookies["django_language"] = "en"
    response = client.post("/accounts/login/", {"login": "13800000001", "password": "nope-nope"})
    assert "not correct" in response.text


def test_the_login_page_is_in_chinese_and_asks_for_a_mobile_number(client):
    response = client.get("/accounts/login/")
    assert response.status_code == 200
    assert '<html lang="zh-hans"' in response.text
    assert 'name="login"' in response.text
    assert "登录" in response.text


def test_signup_stores_the_mobile_number_as_plus_86(client):
    response = client.post(
        "/accounts/signup/",
        {"phone": "13900000009", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    assert response.status_code == 302
    user = User.objects.get(phone="+8613900000009")
    assert user.email == ""
    assert user.check_password(NEW_PASSWORD)


def sms_code_in(text):
    return re.search(r"是\s*(\S+?)。?$", text).group(1)


def test_a_new_account_cannot_act_until_the_sms_code_is_entered(client):
    response = client.post(
        "/accounts/signup/",
        {"phone": "13900000012", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    assert response["Location"] == "/accounts/phone/verify/"
    assert logged_in_user(client) is None
    assert client.get("/my/units/").status_code == 302  # sent to log in

    # Leaving and logging in with the password later asks for a (new) code again.
    with time_machine.travel(timezone.now() + timedelta(minutes=2)):
        # Redis expires the one-a-minute code counter on the real clock, which the test clock
        # does not move: let it lapse as two minutes would.
        cache.clear()
        other = type(client)()
        again = other.post("/accounts/login/", {"login": "13900000012", "password": NEW_PASSWORD})
        assert again["Location"] == "/accounts/phone/verify/"
        assert logged_in_user(other) is None
        [_first, second] = [text for to, text in LogSender.outbox]
        other.post(again["Location"], {"code": sms_code_in(second)})
    assert logged_in_user(other) == User.objects.get(phone="+8613900000012")
    assert User.objects.get(phone="+8613900000012").phone_verified


def test_signup_refuses_a_number_that_is_not_a_mobile_number(client):
    response = client.post(
        "/accounts/signup/",
        {"phone": "12345", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    assert response.status_code == 200
    assert "11 位手机号" in response.text
    assert not User.objects.exists()


def test_signup_with_a_registered_number_makes_no_account_and_reveals_nothing(client, li_ming):
    response = client.post(
        "/accounts/signup/",
        {"phone": "13800000001", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    # allauth answers as for a new number, so nobody can probe who has an account.
    assert response.status_code == 302
    assert User.objects.filter(phone="+8613800000001").count() == 1
    assert logged_in_user(client) is None


class TemplateOnlyGateway:
    """A gateway like Alibaba Cloud's: it sends registered templates only, never free text."""

    sent = []

    def send(self, phone, text):
        raise AssertionError("a gateway of templates cannot send free text")

    def send_template(self, phone, *, template, params, text, out_id="", language=""):
        TemplateOnlyGateway.sent.append((phone, template, params))
        return "biz-1"


def test_signup_sends_the_code_as_the_gateways_verification_template(client, settings):
    settings.SMS_SENDER = "tests.integration.test_accounts.TemplateOnlyGateway"
    TemplateOnlyGateway.sent = []
    response = client.post(
        "/accounts/signup/",
        {"phone": "13900000011", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    assert response.status_code == 302
    [(phone, template, params)] = TemplateOnlyGateway.sent
    assert (phone, template) == ("+8613900000011", "verification_code")
    assert set(params) == {"code"} and params["code"]


def test_signup_sends_a_code_through_the_log_sender(client, settings):
    settings.SMS_SENDER = "accounts.sms.LogSender"
    response = client.post(
        "/accounts/signup/",
        {"phone": "13900000010", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    assert response.status_code == 302
    [(phone, text)] = LogSender.outbox
    assert phone == "+8613900000010"
    assert text.startswith("您的共议验证码是")
    code = re.search(r"是\s*(\S+?)。?$", text).group(1)
    user = User.objects.get(phone="+8613900000010")
    assert not user.phone_verified

    page = client.get(response["Location"])
    assert page.status_code == 200
    wrong = client.post(response["Location"], {"code": "000000" if code != "000000" else "111111"})
    assert wrong.status_code == 200
    user.refresh_from_db()
    assert not user.phone_verified
    right = client.post(response["Location"], {"code": code})
    assert right.status_code == 302
    user.refresh_from_db()
    assert user.phone_verified


def test_with_verification_switched_off_no_code_is_sent(client, settings):
    settings.ACCOUNT_PHONE_VERIFICATION_ENABLED = False
    client.post(
        "/accounts/signup/",
        {"phone": "13900000011", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    assert LogSender.outbox == []
    assert User.objects.filter(phone="+8613900000011").exists()


def test_logging_out_needs_a_post_and_ends_the_session(client, li_ming):
    client.force_login(li_ming)
    client.get("/accounts/logout/")
    assert logged_in_user(client) == li_ming  # a GET only asks
    response = client.post("/accounts/logout/")
    assert response.status_code == 302
    assert logged_in_user(client) is None


def test_the_sms_code_is_six_digits_typed_on_the_number_pad(client):
    response = client.post(
        "/accounts/signup/",
        {"phone": "13900000013", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    [(_phone, text)] = LogSender.outbox
    assert re.fullmatch(r"\d{6}", sms_code_in(text))
    page = client.get(response["Location"]).text
    assert "短信验证码" in page
    assert 'inputmode="numeric"' in page
    assert 'autocomplete="one-time-code"' in page


def test_every_password_box_offers_the_show_password_button(client, li_ming):
    for url in ("/accounts/login/", "/accounts/signup/"):
        assert "data-password-reveal" in client.get(url).text, url
    client.force_login(li_ming)
    page = client.get("/accounts/password/change/").text
    assert page.count("data-password-reveal") == 3
    assert "js/password.js" in page
