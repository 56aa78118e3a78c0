"""公示 from the people's side: a visitor without an account reads the board and checks a
printed document; an owner objects during the notice period, a worker answers, and after the
period no objection is taken."""

from datetime import timedelta

import time_machine
from django.utils import timezone
from playwright.sync_api import expect

from deliberation.models import NoticeKind, Objection
from deliberation.notices import publish_notice
from tests.browser.conftest import log_in
from tests.document_factories import stored_notice


def test_a_visitor_reads_the_board_and_checks_a_document_code(page, live_server, community):
    notice = publish_notice(
        community=community,
        kind=NoticeKind.DECISION,
        title="决定公示：加装电梯",
        body="提议人王芳（13812345678），同意在3号楼加装电梯。",
    )
    publish_notice(
        community=community, kind=NoticeKind.MINUTES, title="议事会纪要", body="张伟发言"
    )
    document = stored_notice(notice)

    page.goto(live_server.url + "/")
    page.get_by_role("link", name=f"{community.name}公示栏").click()
    expect(page.get_by_role("heading", name="正在公示")).to_be_visible()
    expect(page.get_by_role("link", name="议事会纪要")).to_have_count(0)
    page.get_by_role("link", name="决定公示：加装电梯").click()
    expect(page.get_by_role("heading", name="决定公示：加装电梯")).to_be_visible()
    expect(page.get_by_text("138****5678", exact=False)).to_be_visible()
    expect(page.get_by_text("13812345678", exact=False)).to_have_count(0)
    expect(page.get_by_text("目前没有异议。")).to_be_visible()

    page.goto(live_server.url + "/")
    page.get_by_role("link", name="核验纸质文件").click()
    page.get_by_label("验证码").fill(document.verification_code.replace("-", " ").lower())
    page.get_by_role("button", name="核对").click()
    expect(page.get_by_role("heading", name="决定公示：加装电梯")).to_be_visible()
    expect(page.get_by_text(document.sha256)).to_be_visible()


def test_an_owner_objects_a_worker_answers_and_the_period_closes(
    page, live_server, community, owner, community_worker
):
    with time_machine.travel(timezone.now(), tick=True) as clock:
        notice = publish_notice(
            community=community,
            kind=NoticeKind.DECISION,
            title="决定公示：改建停车场",
            body="拟将中心绿地改建为停车场。",
            days=3,
        )
        log_in(page, live_server.url, owner)
        page.goto(live_server.url + notice.get_absolute_url())
        page.get_by_label("您的异议").fill("绿地是老人活动的地方，反对改建。")
        page.get_by_role("button", name="提交异议").click()
        expect(page.locator(".messages")).to_contain_text("您的异议已记录")
        expect(page.get_by_text("1 条异议，0 条已答复")).to_be_visible()
        expect(page.get_by_text("尚未答复。")).to_be_visible()
        assert Objection.objects.get().author == owner

        page.context.clear_cookies()
        log_in(page, live_server.url, community_worker)
        page.goto(live_server.url + notice.get_absolute_url())
        objection = page.locator("article.objection")
        expect(objection).to_contain_text("绿地是老人活动的地方")
        objection.get_by_label("答复").fill("将另选地块，绿地保留。")
        objection.get_by_role("button", name="提交答复").click()
        expect(page.get_by_text("1 条异议，1 条已答复")).to_be_visible()

        page.context.clear_cookies()
        log_in(page, live_server.url, owner)
        page.goto(live_server.url + notice.get_absolute_url())
        expect(page.locator(".objection-answer")).to_have_text("将另选地块，绿地保留。")
        expect(page.get_by_role("button", name="提交异议")).to_be_visible()

        # The notice period ends: the form gives way to a plain statement.
        clock.move_to(notice.ends_at + timedelta(minutes=5))
        page.reload()
        expect(page.get_by_text("公示期已结束，不再受理异议。")).to_be_visible()
        expect(page.get_by_role("button", name="提交异议")).to_have_count(0)
        assert Objection.objects.count() == 1
