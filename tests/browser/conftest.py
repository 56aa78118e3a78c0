"""Browser tests: Playwright driving Debian's chromium against a live server.

`live_server` (pytest-django) serves HTTP from a thread; pages that need websockets use
the ASGI server fixture in tests/browser/asgi_server.py.
"""

import os
import shutil

import pytest
from django.conf import settings
from django.test import Client

from accounts.phone import local_phone
from tests.browser.asgi_server import _asgi_child  # noqa: F401 - the fixture asgi_server uses
from tests.factories import PASSWORD

# Playwright's sync API runs an event loop in the test thread; Django's ORM calls made by the
# test itself (fixtures, assertions) are safe there because they are not concurrent.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]

PHONE = {"width": 360, "height": 740}


def pytest_addoption(parser):
    parser.addoption(
        "--screenshots",
        default=None,
        metavar="DIR",
        help="write phone-width screenshots of the main pages to DIR (make screenshots)",
    )


# Debian's build of Chromium's headless shell (package chromium-headless-shell), as Playwright
# itself runs headless tests: the same Blink and V8 as the `chromium` package without the
# desktop browser's compositing and UI, a third of its CPU for the same pages (the accessibility
# audit: 19 s of browser CPU instead of 63). What only the desktop browser does (asking for the
# site's icon) is tested with `chromium` itself (desktop_page).
HEADLESS_SHELL = "chromium-headless-shell"
DESKTOP = "chromium"


def debian_browser(name):
    executable = shutil.which(name)
    if executable is None:
        pytest.fail(f"Debian's {name} is missing: run `make system-test` (apt-get install {name}).")
    return executable


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    executable = debian_browser(HEADLESS_SHELL)
    return {**browser_type_launch_args, "executable_path": executable, "args": CHROMIUM_ARGS}


@pytest.fixture
def desktop_page(playwright, browser_type_launch_args):
    """A page in Debian's desktop chromium (headless), for what the headless shell leaves out."""
    browser = playwright.chromium.launch(
        **{**browser_type_launch_args, "executable_path": debian_browser(DESKTOP)}
    )
    try:
        yield browser.new_page(viewport=PHONE, locale="zh-CN")
    finally:
        browser.close()


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "viewport": PHONE, "locale": "zh-CN"}


def log_in(page, base_url, user, password=PASSWORD):
    """Sign in through the real login form, by mobile number."""
    page.goto(f"{base_url}/accounts/login/")
    page.locator("input[name=login]").fill(local_phone(user.phone))
    page.locator("input[name=password]").fill(password)
    page.locator("form button[type=submit]").click()


def sign_in_by_cookie(page, base_url, user):
    """Sign in without the form, for tests of a page rather than of signing in: a session made
    by Django's test client, handed to the browser as its cookie."""
    client = Client()
    client.force_login(user)
    name = settings.SESSION_COOKIE_NAME
    page.context.add_cookies([{"name": name, "value": client.cookies[name].value, "url": base_url}])
