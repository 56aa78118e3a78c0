"""The core journeys by keyboard alone: log in, propose a topic, cast a ballot.

No mouse clicks: Tab moves focus, Enter and Space act, arrow keys choose. Each step also
checks that the focused element shows a visible focus ring.
"""

import re

from django.conf import settings
from django.urls import reverse
from playwright.sync_api import expect

from accounts.phone import local_phone
from deliberation.models import Ballot, Phase, Topic
from tests import vote_factories as vf
from tests.browser.conftest import sign_in_by_cookie
from tests.factories import PASSWORD

MAX_TABS = 60

FOCUS_RING = """() => {
  const el = document.activeElement;
  const style = getComputedStyle(el);
  return style.outlineStyle !== "none" && parseFloat(style.outlineWidth) >= 2
    || style.boxShadow !== "none";
}"""


def tab_to(page, selector):
    """Press Tab until the element matching `selector` has focus; fail if it never does."""
    for _ in range(MAX_TABS):
        page.keyboard.press("Tab")
        if page.evaluate("(s) => document.activeElement.matches(s)", selector):
            assert page.evaluate(FOCUS_RING), f"{selector} has focus but no visible focus ring"
            return
    raise AssertionError(f"Tab never reached {selector}")


def test_the_skip_link_comes_first_and_jumps_to_the_content(page, live_server, db):
    page.goto(live_server.url + "/accounts/login/")
    page.keyboard.press("Tab")
    skip = page.locator(".skip-link")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()


def test_a_resident_logs_in_with_the_keyboard_alone(page, live_server, resident):
    page.goto(live_server.url + "/accounts/login/")
    tab_to(page, "input[name=login]")
    page.keyboard.type(local_phone(resident.phone))
    tab_to(page, "input[name=password]")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_contain_text("您好")


def test_a_failed_login_moves_focus_to_the_error_summary(page, live_server, resident):
    page.goto(live_server.url + "/accounts/login/")
    tab_to(page, "input[name=login]")
    page.keyboard.type(local_phone(resident.phone))
    tab_to(page, "input[name=password]")
    page.keyboard.type("wrong-password")
    page.keyboard.press("Enter")
    expect(page.locator("[data-error-summary]")).to_be_focused()


def test_a_resident_proposes_a_topic_with_the_keyboard_alone(
    page, live_server, resident, community
):
    sign_in_by_cookie(page, live_server.url, resident)
    page.goto(live_server.url + reverse("topic_new", args=[community.pk]))
    tab_to(page, "input[name=title]")
    page.keyboard.type("小区南门路灯不亮")
    tab_to(page, "textarea[name=description]")
    page.keyboard.type("南门两盏路灯一周没亮了，晚上老人出门看不清台阶。")
    tab_to(page, "select[name=category]")
    page.keyboard.press("ArrowDown")
    tab_to(page, "button[name=submit]")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("小区南门路灯不亮")
    topic = Topic.objects.get(title="小区南门路灯不亮")
    assert topic.proposer == resident
    assert topic.phase != Phase.DRAFT


def test_an_owner_casts_a_ballot_with_the_keyboard_alone(
    page, live_server, owner, committee_member, community
):
    vote = vf.open_vote(community, committee_member)
    sign_in_by_cookie(page, live_server.url, owner)
    page.goto(live_server.url + reverse("vote_detail", args=[vote.pk]))
    tab_to(page, "#ballot input[type=radio]")
    page.keyboard.press("Space")
    chosen = page.evaluate("document.activeElement.value")
    tab_to(page, "#ballot button[type=submit]")
    page.keyboard.press("Enter")
    expect(page.locator("#ballot")).to_contain_text(re.compile(r"[A-Z0-9]{5}-[A-Z0-9]{5}"))
    ballot = Ballot.objects.get(vote=vote)
    assert ballot.choice == chosen
    assert ballot.cast_by == owner


def test_a_dialog_keeps_focus_inside_and_returns_it_on_close(page):
    page.set_content(
        "<main><p><a href='#x'>before</a></p>"
        "<button data-dialog-open='confirm'>打开</button><a href='#y'>after</a>"
        "<dialog id='confirm' aria-labelledby='t'><h2 id='t'>确认</h2>"
        "<button>是</button><button data-dialog-close>否</button></dialog></main>"
    )
    page.add_script_tag(path=str(settings.BASE_DIR / "static" / "js" / "a11y.js"))
    opener = page.get_by_role("button", name="打开")
    opener.focus()
    page.keyboard.press("Enter")
    expect(page.locator("dialog")).to_be_visible()
    for _ in range(6):
        page.keyboard.press("Tab")
        inside = page.evaluate(
            "document.activeElement === document.body || !!document.activeElement.closest('dialog')"
        )
        assert inside, "focus left the open dialog"
    page.keyboard.press("Escape")
    expect(page.locator("dialog")).to_be_hidden()
    expect(opener).to_be_focused()
    opener.press("Enter")
    page.get_by_role("button", name="否").press("Enter")
    expect(opener).to_be_focused()
