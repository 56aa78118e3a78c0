"""The correction period of the draft minutes, walked by the secretary and the participants:
the text is fixed early only once everyone has confirmed it, otherwise when the period ends."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone
from playwright.sync_api import expect

from deliberation.models import AuditEntry
from meetings.models import Status
from tests.browser.conftest import log_in
from tests.meeting_factories import closed_consultation

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def meeting(community, chair, community_worker, owner, resident):
    return closed_consultation(community, chair, community_worker, owner, resident)


def as_user(page, live_server, user, meeting):
    page.context.clear_cookies()
    log_in(page, live_server.url, user)
    page.goto(f"{live_server.url}/meetings/{meeting.pk}/minutes/")


def press(page, name):
    page.get_by_role("button", name=name).click()


def test_the_draft_is_finalised_early_only_when_every_participant_confirmed_it(
    page, live_server, meeting, community_worker, owner, resident
):
    as_user(page, live_server, community_worker, meeting)
    press(page, "将草稿发给参会人征求更正")
    # Five days from tomorrow, ending at 24:00 of the fifth (Civil Code arts. 201, 203).
    fifth = timezone.localdate() + timedelta(days=5)
    expect(page.get_by_text("更正截止")).to_contain_text(
        f"更正截止 {fifth.year}年{fifth.month}月{fifth.day}日 24:00"
    )
    press(page, "定稿并进入签字")
    refused = page.locator(".message.error")
    expect(refused).to_contain_text("须每位参会人都确认草稿后才能定稿")
    expect(refused).to_contain_text("李明、王芳")

    as_user(page, live_server, resident, meeting)
    press(page, "我已阅读草稿，无需更正")
    expect(page.locator(".draft-confirmations")).to_contain_text("王芳：已确认草稿")

    as_user(page, live_server, owner, meeting)
    page.get_by_label("需要更正什么？").fill("应为3号楼电梯")
    press(page, "提交更正")

    as_user(page, live_server, community_worker, meeting)
    page.get_by_label("答复").fill("已核对录音")
    press(page, "采纳")
    # The accepted correction changed the text 王芳 confirmed: she is asked again.
    expect(page.locator(".draft-confirmations")).to_contain_text("王芳：确认的是早先的文本")
    press(page, "定稿并进入签字")
    expect(page.locator(".message.error")).to_contain_text("尚未确认：李明、王芳")

    for user in (owner, resident):
        as_user(page, live_server, user, meeting)
        press(page, "我已阅读草稿，无需更正")

    as_user(page, live_server, community_worker, meeting)
    expect(page.locator(".corrections")).to_contain_text("李明")
    expect(page.locator(".corrections")).to_contain_text("应为3号楼电梯 已采纳 — 已核对录音")
    press(page, "定稿并进入签字")
    expect(page.get_by_role("button", name="我确认本纪要")).to_be_visible()
    meeting.refresh_from_db()
    assert meeting.status == Status.SIGNED
    finalised = AuditEntry.objects.get(verb="meeting.finalise_minutes")
    assert finalised.data["before_deadline"] == "every participant confirmed the draft"


def test_without_every_confirmation_the_text_is_fixed_when_the_period_ends(
    page, live_server, meeting, community_worker, owner
):
    as_user(page, live_server, community_worker, meeting)
    press(page, "将草稿发给参会人征求更正")
    meeting.refresh_from_db()
    press(page, "定稿并进入签字")
    expect(page.locator(".message.error")).to_contain_text("尚未确认：李明、王芳")

    with time_machine.travel(meeting.corrections_until - timedelta(minutes=1), tick=False):
        as_user(page, live_server, owner, meeting)
        expect(page.get_by_role("button", name="提交更正")).to_be_visible()
        as_user(page, live_server, community_worker, meeting)
        press(page, "定稿并进入签字")
        expect(page.locator(".message.error")).to_contain_text("尚未确认：李明、王芳")

    with time_machine.travel(meeting.corrections_until, tick=False):
        as_user(page, live_server, owner, meeting)
        expect(page.get_by_text("更正期已届满")).to_be_visible()
        expect(page.get_by_role("button", name="提交更正")).to_have_count(0)
        as_user(page, live_server, community_worker, meeting)
        press(page, "定稿并进入签字")
        expect(page.get_by_role("button", name="我确认本纪要")).to_be_visible()
    meeting.refresh_from_db()
    assert meeting.status == Status.SIGNED
