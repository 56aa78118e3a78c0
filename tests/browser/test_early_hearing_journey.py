"""A hearing host opens a hearing before its noticed date: only with a confirmation and a
reason, and the hearing record says when it actually sat."""

from datetime import timedelta

from django.utils import timezone
from playwright.sync_api import expect

from deliberation.models import AuditEntry
from meetings.models import Kind, Meeting, Status
from tests.browser.asgi_server import asgi_server  # noqa: F401 - fixture
from tests.browser.conftest import log_in
from tests.meeting_factories import make_meeting
from tests.pdf_checks import all_text, squeeze


def test_a_hearing_opened_early_needs_a_reason_and_its_record_shows_when_it_sat(
    asgi_server,  # noqa: F811
    page,
    community,
    chair,
    community_worker,
    owner,
):
    hearing = make_meeting(
        community,
        chair,
        secretary=community_worker,
        participants=[owner],
        kind=Kind.HEARING,
        status=Status.NOTICED,
        checked_in=False,
    )
    noticed_for = timezone.now() + timedelta(days=10)
    Meeting.objects.filter(pk=hearing.pk).update(starts_at=noticed_for, title="停车收费听证会")
    log_in(page, asgi_server, chair)
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    page.goto(f"{asgi_server}/meetings/{hearing.pk}/room/")
    expect(page.locator("[data-room][data-connected=true]")).to_be_attached()
    noticed = timezone.localtime(noticed_for).strftime("%Y-%m-%d %H:%M")
    expect(page.get_by_text(f"本次会议通知的日期是 {noticed}")).to_be_visible()

    page.get_by_role("button", name="宣布开会").click()
    expect(page.locator("#room-notice")).to_contain_text("请确认并填写理由")
    hearing.refresh_from_db()
    assert hearing.status == Status.NOTICED

    page.get_by_label("提前开会的理由").fill("供暖季前必须定价，经街道同意提前")
    page.get_by_label("我确认在通知日期之前开会").check()
    page.get_by_role("button", name="宣布开会").click()
    expect(page.get_by_role("button", name="宣布散会")).to_be_visible()
    hearing.refresh_from_db()
    assert hearing.status == Status.LIVE
    entry = AuditEntry.objects.get(verb="meeting.open_meeting")
    assert entry.data["early"] is True
    assert entry.data["reason"] == "供暖季前必须定价，经街道同意提前"

    pdf = page.request.get(f"{asgi_server}/meetings/{hearing.pk}/hearing-record.pdf").body()
    text = squeeze(all_text(pdf))
    sat = timezone.localtime(hearing.opened_at)
    assert f"实际召开{sat.year}年{sat.month}月{sat.day}日" in text
    notice_day = timezone.localtime(noticed_for)
    assert f"通知日期{notice_day.year}年{notice_day.month}月{notice_day.day}日" in text
    assert "供暖季前必须定价，经街道同意提前" in text
