"""Service of a consultation meeting on a phone (390×844): the chair publishes the notice, sees
who is still to be served, a participant opens the meeting, the secretary prints the slips for
the rest and records a signed one; the page reads in Chinese and in English."""

import os
from pathlib import Path

import pytest
from playwright.sync_api import expect

from meetings.models import Participant, SeatRole, Status
from tests.browser.conftest import log_in
from tests.meeting_factories import make_meeting
from tests.queue import run_queued_tasks

pytestmark = pytest.mark.django_db(transaction=True)

PHONE_390 = {"width": 390, "height": 844}
# Where the screenshots go, to be looked at: MEETING_DELIVERY_SHOTS=/some/dir
SHOTS = os.environ.get("MEETING_DELIVERY_SHOTS", "")


def shot(page, name):
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=f"{SHOTS}/{name}.png", full_page=True)


def switch_user(page, live_server, user):
    page.context.clear_cookies()
    log_in(page, live_server.url, user)


def test_the_secretary_serves_each_participant_with_proof(
    page, live_server, community, chair, community_worker, owner, resident
):
    page.set_viewport_size(PHONE_390)
    meeting = make_meeting(
        community, chair, secretary=community_worker, participants=[owner, resident],
        status=Status.DRAFT, checked_in=False,
    )  # fmt: skip
    Participant.objects.create(
        meeting=meeting, name="张大爷", role=SeatRole.REPRESENTATIVE, phone="+8613900000001"
    )
    url = f"{live_server.url}/meetings/{meeting.pk}/"
    log_in(page, live_server.url, chair)
    page.goto(url)
    page.get_by_role("button", name="发布会议通知").click()
    run_queued_tasks()
    page.reload()
    coverage = page.locator(".coverage")
    expect(coverage).to_have_text("会议邀请：已送达 0 / 3 人；3 人待送达")
    expect(page.get_by_text("尚未送达：")).to_contain_text("张大爷")

    # 李明 opens the meeting from his bell: his invitation is served
    switch_user(page, live_server, owner)
    page.goto(f"{live_server.url}/notifications/")
    page.get_by_role("button", name=meeting.title).first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(meeting.title)

    # The secretary prints the slips for the other two and records the one 张大爷 signed
    switch_user(page, live_server, community_worker)
    page.goto(url)
    expect(coverage).to_have_text("会议邀请：已送达 1 / 3 人；2 人待送达")
    shot(page, "meeting-coverage-zh")
    page.get_by_role("link", name="打印纸质送达清单").click()
    slips = page.locator(".receipt-slip")
    expect(slips).to_have_count(2)
    slip = slips.filter(has_text="张大爷")
    code = slip.locator(".code").inner_text()
    shot(page, "meeting-slips-zh")
    page.go_back()
    page.get_by_role("link", name="送达清单与回执").click()
    page.get_by_label("已签收回执单上的编号").fill(code)
    page.get_by_role("button", name="登记回执").click()
    expect(page.get_by_text("回执已登记：张大爷 已送达。")).to_be_visible()
    expect(page.get_by_text("已送达 2 / 3 人；1 人待送达")).to_be_visible()
    shot(page, "meeting-delivery-zh")

    # The same page in English, for a secretary who reads it
    page.goto(url)
    page.get_by_role("button", name="English").click()
    expect(coverage).to_have_text("Invitation: Served 2 / 3 people; 1 still to be served")
    expect(page.get_by_text("Not yet served:")).to_contain_text(resident.display_name)
    shot(page, "meeting-coverage-en")
    page.get_by_role("link", name="Delivery lists and receipts").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Service on the participants")
    shot(page, "meeting-delivery-en")
