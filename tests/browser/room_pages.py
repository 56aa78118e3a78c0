"""Pages on the live room, each in its own phone-sized browser context, for room tests that
watch several people at once (chair, phones, the public display)."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PHONE, log_in


@pytest.fixture
def open_page(browser):
    """open_page(base_url, user, path): a page signed in as `user` on the room at `path`."""
    contexts = []

    def open_as(base_url, user, path):
        context = browser.new_context(viewport=PHONE, locale="zh-CN")
        contexts.append(context)
        page = context.new_page()
        log_in(page, base_url, user)
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        page.goto(base_url + path)
        # The room is live once the socket's first snapshot has been swapped in.
        expect(page.locator("[data-room][data-connected=true]")).to_be_attached()
        return page

    yield open_as
    for context in contexts:
        context.close()
