"""Security hardening: deploy checks, headers, inline code, cookies, rate limits, SMS throttle."""

import json
import os
import secrets
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
from allauth.core import context
from allauth.core.exceptions import ImmediateHttpResponse
from django.core.cache import cache
from django.test import Client, RequestFactory
from django.urls import reverse

from accounts.adapter import AccountAdapter, sms_allowed
from accounts.phone import local_phone
from accounts.sms import LogSender
from tests.integration import shared_world
from tests.integration.shared_world import client_for
from tests.integration.test_url_permissions import url_of
from tests.integration.url_rules import PERSONAS, RULES

pytestmark = pytest.mark.django_db

shared_world.use_in(globals())

ROOT = Path(__file__).resolve().parents[2]
PUBLIC_PAGES = ["/accounts/login/", "/accounts/signup/", "/accounts/password/reset/"]


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()  # rate-limit counters live in the cache
    yield
    cache.clear()


def production_env(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DEBUG"))}
    env.update(
        DEBUG="0",
        SECRET_KEY=secrets.token_urlsafe(60),
        ALLOWED_HOSTS="gongyi.example.cn",
        CSRF_TRUSTED_ORIGINS="https://gongyi.example.cn",
        SECURE_COOKIES="1",
        TRUSTED_PROXIES="127.0.0.1",
        DATABASE_URL=f"sqlite:///{tmp_path}/prod.sqlite3",
        GONGYI_VAR_DIR=str(tmp_path / "var"),
        DJANGO_SETTINGS_MODULE="config.settings",
    )
    env.pop("REDIS_URL", None)
    return env


def manage(tmp_path, *args, unset=()):
    """manage.py under the production settings, with the variables in `unset` left out."""
    env = production_env(tmp_path)
    for name in unset:
        del env[name]
    return subprocess.run(  # noqa: S603  (our own manage.py with fixed arguments)
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


# --- Production settings -------------------------------------------------------------------


def test_check_deploy_is_clean_under_production_settings(tmp_path):
    result = manage(tmp_path, "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_warns_when_no_proxy_is_trusted(tmp_path):
    """Behind nginx, an empty TRUSTED_PROXIES ignores its X-Forwarded-Proto: redirect loop."""
    result = manage(
        tmp_path, "check", "--deploy", "--fail-level", "WARNING", unset=["TRUSTED_PROXIES"]
    )
    assert result.returncode != 0
    assert "gongyi.W001" in result.stdout + result.stderr


PRODUCTION_DUMP = """
import json
from django.conf import settings as s
print(json.dumps({
    "debug": s.DEBUG,
    "session_secure": s.SESSION_COOKIE_SECURE,
    "session_httponly": s.SESSION_COOKIE_HTTPONLY,
    "csrf_secure": s.CSRF_COOKIE_SECURE,
    "language_secure": s.LANGUAGE_COOKIE_SECURE,
    "hsts": s.SECURE_HSTS_SECONDS,
    "ssl_redirect": s.SECURE_SSL_REDIRECT,
    "proxy_header": s.SECURE_PROXY_SSL_HEADER,
    "frame": s.X_FRAME_OPTIONS,
    "connect_src": s.CONTENT_SECURITY_POLICY["DIRECTIVES"]["connect-src"],
}))
"""


def test_production_cookies_are_secure_and_hsts_is_a_year(tmp_path):
    result = manage(tmp_path, "shell", "-c", PRODUCTION_DUMP)
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout.strip().splitlines()[-1])
    assert values["debug"] is False
    assert values["session_secure"] and values["session_httponly"]
    assert values["csrf_secure"] and values["language_secure"]
    assert values["hsts"] >= 31536000
    assert values["ssl_redirect"] is True
    assert values["proxy_header"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert values["frame"] == "DENY"
    assert values["connect_src"] == ["'self'", "wss://gongyi.example.cn"]


def test_production_refuses_to_start_without_a_secret_key(tmp_path):
    result = manage(tmp_path, "check", unset=["SECRET_KEY"])
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_hsts_is_sent_over_https_when_configured(client, settings):
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_SSL_REDIRECT = False
    response = client.get("/", secure=True)
    assert response["Strict-Transport-Security"].startswith("max-age=31536000")


# --- Headers on every page -------------------------------------------------------------------


def test_pages_carry_a_strict_content_security_policy(client):
    policy = client.get("/")["Content-Security-Policy"]
    directives = dict(
        (part.strip().split(" ", 1) + [""])[:2] for part in policy.split(";") if part.strip()
    )
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert directives["object-src"] == "'none'"
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy


def test_websockets_may_connect_only_to_this_site(client, settings):
    policy = client.get("/")["Content-Security-Policy"]
    sources = next(p.split()[1:] for p in policy.split(";") if p.split()[0] == "connect-src")
    for source in sources:
        if source == "'self'":
            continue
        scheme, _, rest = source.partition("://")
        host = rest.rsplit(":", 1)[0] if not rest.endswith("]") else rest
        assert scheme in ("ws", "wss") and host in settings.ALLOWED_HOSTS, source


def test_the_policy_follows_the_settings_and_each_response_s_own_policy(client, settings):
    from csp.constants import NONCE
    from csp.decorators import csp_update
    from django.http import HttpResponse
    from django.test import RequestFactory

    from config.csp import CachedCSPMiddleware

    assert "img-src 'self' data:" in client.get("/")["Content-Security-Policy"]
    settings.CONTENT_SECURITY_POLICY = {
        "DIRECTIVES": {"default-src": ["'self'"], "script-src": ["'self'", NONCE]}
    }
    parts = lambda policy: set(policy.split("; "))  # noqa: E731
    assert parts(client.get("/")["Content-Security-Policy"]) == {
        "default-src 'self'",
        "script-src 'self'",
    }

    middleware = CachedCSPMiddleware(lambda request: None)
    request = RequestFactory().get("/")
    middleware.process_request(request)
    view = csp_update({"img-src": "https://maps.example"})(lambda request: HttpResponse())
    response = middleware.process_response(request, view(request))
    assert parts(response["Content-Security-Policy"]) == {
        "default-src 'self'",
        "img-src https://maps.example",
        "script-src 'self'",
    }
    request = RequestFactory().get("/")
    middleware.process_request(request)
    nonce = str(request.csp_nonce)
    response = middleware.process_response(request, HttpResponse())
    assert f"script-src 'self' 'nonce-{nonce}'" in response["Content-Security-Policy"]


def test_pages_cannot_be_framed(client):
    response = client.get("/accounts/login/")
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"


# --- No inline code anywhere -----------------------------------------------------------------


class InlineCodeFinder(HTMLParser):
    """Collects inline <script>, on*= handlers, style= attributes and javascript: URLs."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.problems = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        line = self.getpos()[0]
        for name, value in attrs.items():
            if name.startswith(("on", "hx-on", "data-hx-on")):
                self.problems.append(f"line {line}: <{tag} {name}=…> event handler")
            if name == "style":
                self.problems.append(f"line {line}: <{tag} style=…> inline style")
            if name in ("href", "src", "action", "formaction") and (
                value or ""
            ).strip().lower().startswith("javascript:"):
                self.problems.append(f"line {line}: <{tag} {name}=javascript:…>")
        if tag == "script":
            if not attrs.get("src"):
                self._in_script = True
                kind = (attrs.get("type") or "").lower()
                if kind not in ("application/json", "application/ld+json"):
                    self.problems.append(f"line {line}: inline <script>")
        if tag == "style":
            self.problems.append(f"line {line}: <style> element")

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False


def inline_code_in(html):
    finder = InlineCodeFinder()
    finder.feed(html)
    return finder.problems


def test_the_inline_code_finder_catches_each_kind():
    html = (
        '<script>alert(1)</script><a href="javascript:x()">x</a>'
        '<p style="color:red" onclick="x()">y</p><style>p{}</style><script src="/s.js"></script>'
        '<button hx-on:click="x()">z</button>'
    )
    assert len(inline_code_in(html)) == 6


def html_pages(world):
    """(label, client, url) for every page of the URL rules, as the first persona allowed."""
    for name, rule in sorted(RULES.items()):
        if not rule.html or rule.method != "get":
            continue
        persona = next((p for p in PERSONAS if rule.expect[p] == 200), None)
        if persona is None:
            continue
        yield f"{name} as {persona}", client_for(world, persona), url_of(name, rule, world)


def test_no_page_has_inline_script_handlers_or_styles(world):
    problems = []
    pages = list(html_pages(world)) + [(url, Client(), url) for url in PUBLIC_PAGES]
    for label, client, url in pages:
        response = client.get(url)
        if "text/html" not in response.get("Content-Type", ""):
            continue
        problems += [f"{label} ({url}) {p}" for p in inline_code_in(response.text)]
    assert not problems, "\n".join(problems)


def test_every_form_on_every_page_carries_a_csrf_token(world):
    missing = []
    pages = list(html_pages(world)) + [(url, Client(), url) for url in PUBLIC_PAGES]
    for label, client, url in pages:
        response = client.get(url)
        if "text/html" not in response.get("Content-Type", ""):
            continue
        for form in response.text.split("<form")[1:]:
            head, body = form.split(">", 1)
            body = body.split("</form>", 1)[0]
            if 'method="post"' in head.lower() and "csrfmiddlewaretoken" not in body:
                missing.append(f"{label} ({url}): <form{head[:60]}>")
    assert not missing, "\n".join(missing)


def test_a_post_without_a_csrf_token_is_refused(resident):
    client = Client(enforce_csrf_checks=True)
    client.force_login(resident)
    response = client.post(reverse("profile"), {"real_name": "改名"})
    assert response.status_code == 403
    resident.refresh_from_db()
    assert resident.real_name == "王芳"


# --- Log-in and sign-up rate limits ----------------------------------------------------------


def fail_logins(client, user, times):
    response = None
    for _ in range(times):
        response = client.post(
            "/accounts/login/", {"login": local_phone(user.phone), "password": "wrong-password"}
        )
    return response


def test_too_many_failed_logins_lock_the_account_with_a_chinese_message(client, resident):
    response = fail_logins(client, resident, 6)
    assert "登录失败次数过多" in response.text
    good = client.post(
        "/accounts/login/",
        {"login": local_phone(resident.phone), "password": "correct-horse-battery"},
    )
    assert "登录失败次数过多" in good.text  # even the right password waits for the lockout
    assert "_auth_user_id" not in client.session


def test_the_lockout_message_is_english_on_request(client, resident):
    client.cookies["django_language"] = "en"
    response = fail_logins(client, resident, 6)
    assert "Too many failed login attempts" in response.text


def test_sign_ups_are_rate_limited_per_address(client, db, settings):
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "signup": "2/m/ip"}
    statuses = [
        client.post("/accounts/signup/", {"phone": f"1390000{i:04d}"}).status_code for i in range(3)
    ]
    assert statuses[-1] == 429


# --- SMS throttling per mobile number --------------------------------------------------------


def test_one_code_a_minute_per_number():
    assert sms_allowed("+8613900000001")
    assert not sms_allowed("+8613900000001")
    assert sms_allowed("+8613900000002")  # another number has its own allowance


def test_the_same_number_typed_differently_shares_its_allowance():
    assert sms_allowed("139 0000 0003")
    assert not sms_allowed("+8613900000003")


def test_five_codes_an_hour_per_number(settings):
    settings.SMS_PER_MINUTE = 100  # stand in for waiting a minute between requests
    allowed = [sms_allowed("+8613900000004") for _ in range(6)]
    assert allowed == [True] * 5 + [False]


def test_a_throttled_code_is_not_sent_and_the_person_is_told_in_chinese(resident):
    request = RequestFactory().post("/accounts/phone/")
    LogSender.outbox.clear()
    adapter = AccountAdapter()
    with context.request_context(request):
        adapter.send_verification_code_sms(user=resident, phone=resident.phone, code="123456")
        with pytest.raises(ImmediateHttpResponse) as refused:
            adapter.send_verification_code_sms(user=resident, phone=resident.phone, code="654321")
    assert [text for _, text in LogSender.outbox] == ["您的共议验证码是 123456。"]
    response = refused.value.response
    assert response.status_code == 429
    assert "每个手机号" in response.content.decode()


# --- Websocket commands: the handshake's Origin is checked ------------------------------


@pytest.mark.asyncio
@pytest.mark.parametrize("path", ["/ws/health/", "/ws/meetings/1/"])
@pytest.mark.parametrize(
    "origin", [b"http://evil.example", b"null", b"http://127.0.0.1.evil.example"]
)
async def test_a_socket_from_a_foreign_origin_is_refused(path, origin):
    from channels.testing import WebsocketCommunicator

    from config.asgi import application

    socket = WebsocketCommunicator(
        application, path, headers=[(b"origin", origin), (b"host", b"127.0.0.1")]
    )
    connected, _ = await socket.connect()
    assert not connected


def test_pages_that_answer_htmx_with_a_fragment_vary_on_hx_request(world):
    """A cache must never hand the fragment to a full page load, or the page to htmx."""
    missing = []
    for label, client, url in html_pages(world):
        full = client.get(url)
        fragment = client.get(url, headers={"HX-Request": "true"})
        if full.status_code != 200 or fragment.status_code != 200:
            continue
        if "<html" in full.text and "<html" not in fragment.text:
            vary = {v.strip().lower() for v in fragment.get("Vary", "").split(",")}
            if "hx-request" not in vary:
                missing.append(f"{label} ({url})")
    assert not missing, "No 'Vary: HX-Request' on: " + ", ".join(missing)
