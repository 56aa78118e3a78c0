"""Two tellers enter a two-matter paper ballot on their phones: the first opens it by the code
printed on it, the second from the list of ballots awaiting a second entry; they disagree on
one matter, set it aside, enter only that matter again, and the owner counts on both. After
the close the committee counts. Time moves on a test clock."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from playwright.sync_api import expect

from deliberation.documents.qr import ballot_short_code
from deliberation.models import Ballot, ElectorateEntry, Role, VoteResult
from deliberation.services import votes
from tests.browser.conftest import log_in
from tests.factories import add_member
from tests.vote_factories import convene, publish

pytestmark = pytest.mark.django_db(transaction=True)

SHANGHAI = ZoneInfo("Asia/Shanghai")


def switch_user(page, live_server, user):
    page.context.clear_cookies()
    log_in(page, live_server.url, user)


def save_entry(page, vote, choices):
    """Tick each matter shown (by title) and save the entry."""
    for title, choice in choices.items():
        page.get_by_role("group", name=title).get_by_label(choice, exact=True).check()
    page.get_by_role("button", name="保存本次录入").click()


def test_tellers_correct_one_matter_of_a_paper_ballot_and_it_counts_on_both(
    page, live_server, community, committee_member
):
    start = datetime(2026, 11, 2, 9, 0, tzinfo=SHANGHAI)
    with time_machine.travel(start, tick=True) as clock:
        vote = convene(
            community,
            committee_member,
            matters=[
                ("use_maintenance_fund", "ordinary", 1, []),
                ("other_major", "ordinary", 1, []),
            ],
        )
        first, second = (
            add_member(community, Role.COMMUNITY_WORKER, name=n) for n in ("计票甲", "计票乙")
        )
        for teller in (first, second):
            votes.appoint_teller(vote, teller, by=committee_member)
        publish(vote, committee_member)
        fund, other = (m.title for m in vote.matters.order_by("position"))
        entry = ElectorateEntry.objects.get(vote=vote, unit_label="1号楼-104")
        clock.move_to(vote.opens_at + timedelta(days=1))

        # The first teller types the entry code printed under the ballot's QR code.
        switch_user(page, live_server, first)
        page.goto(f"{live_server.url}/votes/{vote.pk}/")
        page.get_by_role("link", name="录入纸质表决票").click()
        page.get_by_label("表决票上的录入码或房屋").fill(ballot_short_code(vote.pk, entry.head))
        page.get_by_role("button", name="打开这张表决票").click()
        expect(page.get_by_role("heading", level=2, name="1号楼-104")).to_be_visible()
        expect(page.get_by_text("这是这张表决票的第一次录入。")).to_be_visible()
        save_entry(page, vote, {fund: "同意", other: "反对"})
        expect(page.locator(".message.success")).to_contain_text("须由另一位计票人再录入")

        # The second teller finds it in the list of ballots awaiting a second entry.
        switch_user(page, live_server, second)
        page.goto(f"{live_server.url}/votes/{vote.pk}/paper/")
        worklist = page.locator("[data-worklist-row]")
        expect(worklist).to_have_count(1)
        expect(worklist).to_contain_text("待第二次录入（第一次由 计票甲 录入）")
        worklist.get_by_role("link", name="1号楼-104").click()
        expect(
            page.get_by_text("这是这张表决票的第二次录入（第一次由 计票甲 录入）。")
        ).to_be_visible()
        save_entry(page, vote, {fund: "反对", other: "反对"})
        expect(page.locator(".message.warning")).to_contain_text("两次录入不一致")
        expect(page.locator("[data-worklist-row]")).to_contain_text("两次录入不一致")

        # They check the paper ballot together and set the disputed matter aside.
        page.get_by_label("理由").fill("两人核对原票：第 1 项勾选“同意”")
        page.get_by_role("button", name="搁置两次录入并重新录入").click()
        expect(page.locator("[data-worklist-row]")).to_contain_text("已搁置，待重新录入")

        # Only the disputed matter is entered again, by both tellers.
        page.locator("[data-worklist-row]").get_by_role("link", name="1号楼-104").click()
        expect(page.get_by_text("这是这张表决票的第一次录入。")).to_be_visible()
        expect(page.get_by_role("group", name=other)).to_have_count(0)
        expect(page.get_by_text("这张表决票已计入的事项：")).to_contain_text(other)
        save_entry(page, vote, {fund: "同意"})
        expect(page.locator(".message.success")).to_contain_text("须由另一位计票人再录入")
        switch_user(page, live_server, first)
        page.goto(f"{live_server.url}/votes/{vote.pk}/paper/")
        page.locator("[data-worklist-row]").get_by_role("link", name="1号楼-104").click()
        save_entry(page, vote, {fund: "同意"})
        expect(page.locator(".message.success")).to_contain_text("两次录入一致")
        expect(page.get_by_text("没有：已录入的纸质表决票都已完成。")).to_be_visible()

        counted = dict(
            Ballot.objects.filter(vote=vote, head=entry.head).values_list("matter__title", "choice")
        )
        assert counted == {fund: "yes", other: "no"}

        clock.move_to(vote.closes_at + timedelta(hours=1))
        switch_user(page, live_server, committee_member)
        page.goto(f"{live_server.url}/votes/{vote.pk}/result/")
        page.get_by_role("button", name="开始计票").click()
        expect(page.get_by_text("计票完成。")).to_be_visible()
        assert VoteResult.objects.filter(matter__vote=vote).count() == 2


# The phone's camera and the browser's QR reader, stood in for: the camera is a canvas
# stream, and the detector reads the payload the test puts on the window.
FAKE_CAMERA = """
window.BarcodeDetector = class {
  constructor(options) { this.formats = options.formats; }
  async detect() { return window.__ballotOnCamera ? [{ rawValue: window.__ballotOnCamera }] : []; }
};
Object.defineProperty(navigator, "mediaDevices", { value: {
  getUserMedia: async () => {
    const canvas = document.createElement("canvas");
    canvas.getContext("2d").fillRect(0, 0, 10, 10);
    return canvas.captureStream(5);
  },
}});
"""


def test_a_teller_scans_the_qr_code_of_a_ballot_with_the_phone_camera(
    page, live_server, community, committee_member
):
    from deliberation.documents.qr import ballot_qr_payload

    start = datetime(2026, 11, 2, 9, 0, tzinfo=SHANGHAI)
    with time_machine.travel(start, tick=True) as clock:
        vote = convene(community, committee_member)
        teller = add_member(community, Role.COMMUNITY_WORKER, name="计票甲")
        votes.appoint_teller(vote, teller, by=committee_member)
        publish(vote, committee_member)
        entry = ElectorateEntry.objects.get(vote=vote, unit_label="1号楼-102")
        clock.move_to(vote.opens_at + timedelta(hours=3))

        page.add_init_script(FAKE_CAMERA)
        switch_user(page, live_server, teller)
        page.goto(f"{live_server.url}/votes/{vote.pk}/paper/")
        page.evaluate(f"window.__ballotOnCamera = {ballot_qr_payload(vote.pk, entry.head)!r}")
        page.get_by_role("button", name="用摄像头扫描二维码").click()
        expect(page.get_by_role("heading", level=2, name="1号楼-102")).to_be_visible()
        expect(page.get_by_text("这是这张表决票的第一次录入。")).to_be_visible()
