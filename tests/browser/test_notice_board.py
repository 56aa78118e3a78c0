"""The notice board on a phone: current notices, a notice page, and the bell."""

from playwright.sync_api import expect

from deliberation.models import NoticeKind, Notification
from deliberation.notices import publish_notice, supersede_notice
from tests.browser.conftest import log_in


def test_a_resident_reads_the_board_and_follows_a_correction(
    page, live_server, community, resident
):
    old = publish_notice(
        community=community, kind=NoticeKind.OTHER, title="停水通知", body="联系电话 13812345678"
    )
    supersede_notice(old, title="停水通知（更正）", body="时间改为周六")
    log_in(page, live_server.url, resident)
    page.get_by_role("link", name="公示栏").first.click()
    expect(page.get_by_role("heading", name="正在公示")).to_be_visible()
    page.get_by_role("link", name="停水通知", exact=True).click()
    expect(page.get_by_text("138****5678")).to_be_visible()
    page.get_by_role("link", name="停水通知（更正）").click()
    expect(page.get_by_text("时间改为周六")).to_be_visible()


def test_the_bell_shows_unread_notifications(page, live_server, resident):
    Notification.objects.create(user=resident, text="议题“电梯”现在：讨论中", url="/")
    log_in(page, live_server.url, resident)
    expect(page.get_by_role("link", name="通知 1 条未读")).to_be_visible()
    page.get_by_role("link", name="通知 1 条未读").click()
    page.get_by_role("button", name="全部标为已读").click()
    expect(page.get_by_role("link", name="通知", exact=True)).to_be_visible()
