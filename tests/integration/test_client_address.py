"""Forwarded headers are believed only from a configured proxy (TRUSTED_PROXIES).

From anyone else X-Forwarded-For and X-Forwarded-Proto are ignored, so a client cannot take a
fresh address for each request (and slip under the per-address log-in limits) nor claim HTTPS;
behind the trusted proxy each client keeps its own address, so one client's failures never
lock out the others behind the same proxy. uvicorn, run as in production, leaves the choice to
the application.
"""

import http.cookiejar
import re
import urllib.parse
import urllib.request

import pytest
from django.db import connection
from django.test import Client

from accounts.phone import local_phone
from tests.asgi_process import asgi_process
from tests.factories import PASSWORD, make_user

LOCKED = "登录失败次数过多"
PROXY = "10.0.0.2"


def fail_login(number, *, peer, forwarded=None):
    headers = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded else {}
    client = Client(REMOTE_ADDR=peer, **headers)
    response = client.post("/accounts/login/", {"login": number, "password": "guess-guess"})
    return response.content.decode()


def log_in(user, *, peer, forwarded):
    client = Client(REMOTE_ADDR=peer, HTTP_X_FORWARDED_FOR=forwarded)
    client.post("/accounts/login/", {"login": local_phone(user.phone), "password": PASSWORD})
    return "_auth_user_id" in client.session


@pytest.mark.django_db
def test_a_client_cannot_name_its_own_address(settings):
    settings.TRUSTED_PROXIES = [PROXY]
    pages = [
        fail_login(f"1370000{n:04d}", peer="203.0.113.9", forwarded=f"198.51.100.{n}")
        for n in range(11)
    ]
    assert LOCKED not in pages[9] and LOCKED in pages[10]  # ten a minute from one address


@pytest.mark.django_db
def test_behind_the_trusted_proxy_each_client_keeps_its_own_address(settings):
    settings.TRUSTED_PROXIES = [PROXY]
    person = make_user(name="王芳", phone="+8613900000001")
    for n in range(11):  # the attacker writes a fake address in front of the real one
        fail_login(f"1370000{n:04d}", peer=PROXY, forwarded=f"192.0.2.{n}, 203.0.113.9")
    assert LOCKED in fail_login("13700009999", peer=PROXY, forwarded="192.0.2.99, 203.0.113.9")
    assert log_in(person, peer=PROXY, forwarded="198.51.100.7")


@pytest.mark.django_db
def test_https_is_believed_only_from_the_trusted_proxy(settings):
    settings.TRUSTED_PROXIES = [PROXY]
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_REDIRECT_EXEMPT = []
    spoofed = Client(REMOTE_ADDR="203.0.113.9").get("/healthz", HTTP_X_FORWARDED_PROTO="https")
    assert spoofed.status_code == 301
    assert spoofed["Location"].startswith("https://")
    proxied = Client(REMOTE_ADDR=PROXY).get("/healthz", HTTP_X_FORWARDED_PROTO="https")
    assert proxied.status_code == 200


@pytest.mark.django_db(transaction=True)
def test_uvicorn_as_in_production_does_not_take_a_loopback_client_s_word():
    """Served as make serve-prod serves it, a client on 127.0.0.1 sending a new
    X-Forwarded-For each time is still one address to the log-in limits."""
    with asgi_process(connection.settings_dict, "uvicorn") as base:
        jar = http.cookiejar.CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        login = opener.open(base + "/accounts/login/", timeout=30).read().decode()
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', login).group(1)
        pages = []
        for n in range(11):
            body = urllib.parse.urlencode(
                {"login": f"1370000{n:04d}", "password": "guess", "csrfmiddlewaretoken": token}
            ).encode()
            request = urllib.request.Request(  # noqa: S310  (http://127.0.0.1 only)
                base + "/accounts/login/",
                data=body,
                headers={"X-Forwarded-For": f"198.51.100.{n}", "Referer": base + "/"},
            )
            pages.append(opener.open(request, timeout=30).read().decode())
    assert LOCKED not in pages[9] and LOCKED in pages[10]
