"""With JavaScript switched off, people still log in, read, co-sign, vote and read notices.

htmx only makes these pages nicer; every form is a plain HTML form posting to the same URL.
"""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from accounts.phone import local_phone
from deliberation.models import Ballot, CoSign
from deliberation.notices import publish_notice
from tests import topic_factories as tf
from tests import vote_factories as vf
from tests.browser.conftest import PHONE
from tests.factories import PASSWORD


@pytest.fixture
def plain_page(browser, live_server):
    context = browser.new_context(java_script_enabled=False, viewport=PHONE, locale="zh-CN")
    page = context.new_page()
    yield page
    context.close()


def log_in_plainly(page, base_url, user):
    page.goto(base_url + "/accounts/login/")
    page.locator("input[name=login]").fill(local_phone(user.phone))
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("form button[type=submit]").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("您好")


def test_a_resident_co_signs_a_topic_without_javascript(
    plain_page, live_server, resident, owner, community
):
    topic = tf.collecting(community, owner, title="垃圾站搬远一点")
    log_in_plainly(plain_page, live_server.url, resident)
    plain_page.goto(live_server.url + reverse("topic_list", args=[community.pk]))
    plain_page.get_by_role("link", name="垃圾站搬远一点").click()
    plain_page.get_by_role("button", name="附议").click()
    expect(plain_page.locator("#cosign")).to_be_visible()
    assert CoSign.objects.filter(topic=topic, user=resident).exists()


def test_an_owner_casts_a_ballot_without_javascript(
    plain_page, live_server, owner, committee_member, community
):
    vote = vf.open_vote(community, committee_member)
    log_in_plainly(plain_page, live_server.url, owner)
    plain_page.goto(live_server.url + reverse("vote_detail", args=[vote.pk]))
    plain_page.locator("#ballot input[type=radio]").first.check()
    plain_page.locator("#ballot button[type=submit]").click()
    expect(plain_page.locator("#ballot")).to_be_visible()
    assert Ballot.objects.filter(vote=vote, cast_by=owner).exists()


def test_a_resident_reads_a_notice_without_javascript(plain_page, live_server, resident, community):
    publish_notice(
        community=community, kind="other", title="周五停水通知", body="周五上午九点到十二点停水。"
    )
    log_in_plainly(plain_page, live_server.url, resident)
    plain_page.goto(live_server.url + reverse("simple_home"))
    plain_page.get_by_role("link", name="看公示").click()
    plain_page.get_by_role("link", name="周五停水通知").click()
    expect(plain_page.get_by_text("周五上午九点到十二点停水。")).to_be_visible()


def test_the_login_form_works_without_javascript_and_shows_no_dead_button(
    plain_page, live_server, resident
):
    plain_page.goto(live_server.url + "/accounts/login/")
    expect(plain_page.get_by_role("button", name="显示密码")).to_have_count(0)
    log_in_plainly(plain_page, live_server.url, resident)
