"""A language is chosen by the person at the screen: it follows the browser session, and the
profile's language applies when someone logs in on a new device."""

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from accounts.phone import local_phone
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_limits():
    cache.clear()  # allauth's login rate limits live in the cache
    yield
    cache.clear()


def home_text(client):
    return client.get(reverse("home")).text


def log_in_by_form(client, user):
    response = client.post(
        reverse("account_login"), {"login": local_phone(user.phone), "password": PASSWORD}
    )
    assert response.status_code == 302


def test_one_persons_switch_leaves_others_on_the_same_login_in_their_language(resident):
    phone_a, phone_b = Client(), Client()
    log_in_by_form(phone_a, resident)
    log_in_by_form(phone_b, resident)

    phone_a.post(reverse("set_preferences"), {"language": "en", "next": "/"})

    assert "My communities" in home_text(phone_a)
    assert "我的社区" in home_text(phone_b)
    # Logging in again on a third device: still the default, nobody saved English.
    phone_c = Client()
    log_in_by_form(phone_c, resident)
    assert "我的社区" in home_text(phone_c)


def test_one_persons_large_text_does_not_enlarge_the_others(resident):
    phone_a, phone_b = Client(), Client()
    log_in_by_form(phone_a, resident)
    log_in_by_form(phone_b, resident)
    phone_a.post(reverse("set_preferences"), {"text_size": "large", "next": "/"})
    assert 'class="text-large"' in home_text(phone_a)
    assert 'class="text-large"' not in home_text(phone_b)


def test_the_language_saved_in_the_profile_applies_at_the_next_login(resident):
    phone_a = Client()
    log_in_by_form(phone_a, resident)
    page = phone_a.get(reverse("profile")).text
    assert 'name="language"' in page
    response = phone_a.post(
        reverse("profile"),
        {"real_name": resident.real_name, "language": "en", "text_size": "normal"},
        follow=True,
    )
    assert "Your profile was saved." in response.text

    new_phone = Client()
    assert "登录" in new_phone.get(reverse("account_login")).text
    log_in_by_form(new_phone, resident)
    assert "My communities" in home_text(new_phone)

    # A switch on that device is for that session, and the profile keeps English.
    new_phone.post(reverse("set_preferences"), {"language": "zh-hans", "next": "/"})
    assert "我的社区" in home_text(new_phone)
    resident.refresh_from_db()
    assert resident.language == "en"


def test_a_device_already_switched_keeps_its_language_at_login(resident):
    resident.language = "en"
    resident.save()
    phone = Client()
    phone.post(reverse("set_preferences"), {"language": "zh-hans", "next": "/"})
    log_in_by_form(phone, resident)
    assert "我的社区" in home_text(phone)


def test_a_bad_language_in_the_profile_is_refused_and_changes_nothing(resident):
    phone = Client()
    log_in_by_form(phone, resident)
    response = phone.post(
        reverse("profile"), {"real_name": "新名字", "language": "xx", "text_size": "normal"}
    )
    assert response.status_code == 200
    assert "data-error-summary" in response.text
    resident.refresh_from_db()
    assert resident.real_name != "新名字"
