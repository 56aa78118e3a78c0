"""Browser tests: Playwright driving Debian's chromium against a live server.

`live_server` (pytest-django) serves HTTP from a thread; pages that need websockets use
the ASGI server fixture in tests/browser/asgi_server.py.
"""

import os
import shutil

import pytest

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


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    executable = shutil.which("chromium")
    if executable is None:
        pytest.fail("Debian's chromium is missing: run `apt-get install -y chromium`.")
    return {**browser_type_launch_args, "executable_path": executable, "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "viewport": PHONE, "locale": "zh-CN"}


def log_in(page, base_url, user, password=PASSWORD):
    """Sign in through the real login form, by mobile number."""
    page.goto(f"{base_url}/accounts/login/")
    page.locator("input[name=login]").fill(local_phone(user.phone))
    page.locator("input[name=password]").fill(password)
    page.locator("form button[type=submit]").click()
