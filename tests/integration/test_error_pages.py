"""Error pages as people meet them with DEBUG off: in their language, in the site's layout,
with the way back; never Django's bare English pages or its debug page."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from tests.topic_factories import collecting

pytestmark = pytest.mark.django_db

TEXTS = {
    "zh-hans": {
        404: "找不到这个页面",
        403: "您不能执行此操作",
        500: "服务器出了问题",
        "csrf": "表单已过期",
        "home": "返回首页",
        "back": "返回上一页",
    },
    "en": {
        404: "Page not found",
        403: "You may not do this",
        500: "Something went wrong on our side",
        "csrf": "This form has expired",
        "home": "Go to the home page",
        "back": "Back to the previous page",
    },
}
CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture(autouse=True)
def _production(settings):
    settings.DEBUG = False
    settings.ALLOWED_HOSTS = ["testserver"]
    settings.SECURE_SSL_REDIRECT = False
    settings.ROOT_URLCONF = "tests.integration.error_urls"


def client_in(language, user=None, **kwargs):
    client = Client(**kwargs)
    client.cookies["django_language"] = language
    if user is not None:
        client.force_login(user)
    return client


def assert_error_page(response, status, language, key, user=None):
    assert response.status_code == status
    html = response.content.decode()
    texts = TEXTS[language]
    assert f"<h1>{texts[key]}</h1>" in html
    assert f'lang="{language}"' in html
    assert 'class="skip-link"' in html and '<main id="main"' in html  # the site's layout
    assert f">{texts['home']}</a>" in html
    assert "Traceback" not in html and "Forbidden" not in html
    if language == "en":  # nothing Chinese but names: the brand's, the language's, the person's
        for name in ("共议", "中文", user.display_name if user else "共议"):
            html = html.replace(name, "")
        assert not CJK.findall(html)


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_a_missing_page(language, resident):
    response = client_in(language, resident).get("/no-such-page/")
    assert_error_page(response, 404, language, 404, resident)


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_a_visitor_who_has_not_signed_in_gets_the_same_404(language, db):
    response = client_in(language).get("/no-such-page/")
    assert_error_page(response, 404, language, 404)


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_a_member_without_the_role(language, community, resident, owner):
    topic = collecting(community, owner)
    page = reverse("topic_detail", args=[topic.pk])
    response = client_in(language, resident).get(
        reverse("topic_triage", args=[topic.pk]), HTTP_REFERER=f"http://testserver{page}"
    )
    assert_error_page(response, 403, language, 403, resident)
    assert f'href="http://testserver{page}">{TEXTS[language]["back"]}</a>' in (
        response.content.decode()
    )


def test_a_referer_from_another_site_is_not_offered_as_the_way_back(community, resident, owner):
    topic = collecting(community, owner)
    response = client_in("zh-hans", resident).get(
        reverse("topic_triage", args=[topic.pk]), HTTP_REFERER="https://evil.example/"
    )
    assert response.status_code == 403
    assert "evil.example" not in response.content.decode()


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_a_failure_on_the_server(language, resident):
    client = client_in(language, resident, raise_request_exception=False)
    response = client.get("/test-fails/")
    assert_error_page(response, 500, language, 500, resident)
    assert "a failure the person must not see" not in response.content.decode()


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_a_form_sent_without_its_csrf_token(language, resident):
    client = client_in(language, resident, enforce_csrf_checks=True)
    response = client.post(reverse("set_preferences"), {"text_size": "large"})
    assert_error_page(response, 403, language, "csrf", resident)
    resident.refresh_from_db()
    assert resident.text_size != "large"
