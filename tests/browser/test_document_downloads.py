"""On a phone: download the minutes of the demo meeting and the ballots of the demo vote."""

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from accounts.models import User
from accounts.phone import normalise_phone
from deliberation.demo.registry import DEMO_PASSWORD
from deliberation.demo.votes import FUND
from deliberation.models import AssemblyVote
from deliberation.services import votes
from meetings.demo import LIFT_MEETING
from meetings.models import Meeting
from tests import pdf_checks
from tests.browser.conftest import log_in
from tests.browser.quick_polls import quick_polls  # noqa: F401 - the fixture
from tests.queue import queued_tasks_in_a_thread

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("quick_polls")]


@pytest.fixture
def demo(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # The seeders broadcast through async_to_sync, which Playwright's running event loop in
    # this thread forbids: seed from a worker thread (its own connection, committed data).
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(call_command, "seed_demo", verbosity=0).result()


def demo_user(phone):
    return User.objects.get(phone=normalise_phone(phone))


def download(page, link_name, timeout=30_000):
    with page.expect_download(timeout=timeout) as info:
        page.get_by_role("link", name=link_name).click()
    download = info.value
    assert download.suggested_filename.endswith(".pdf")
    return Path(download.path()).read_bytes()


def test_an_owner_downloads_the_minutes_and_the_committee_prints_the_ballots(
    page, live_server, demo
):
    """One demo for both (seeding it is most of a test's time)."""
    an_owner_downloads_the_minutes_of_the_demo_meeting(page, live_server)
    page.context.clear_cookies()
    the_committee_prints_the_ballots_of_the_demo_vote(page, live_server)


def an_owner_downloads_the_minutes_of_the_demo_meeting(page, live_server):
    meeting = Meeting.objects.get(title=LIFT_MEETING)
    log_in(page, live_server.url, demo_user("13800000001"), password=DEMO_PASSWORD)
    page.goto(f"{live_server.url}{meeting.get_absolute_url()}")
    pdf = download(page, "下载会议纪要（PDF）")
    pages = pdf_checks.page_texts(pdf)
    text = pdf_checks.squeeze("".join(pages))
    assert LIFT_MEETING in text
    assert "李明" in text and "赵书记" in text
    assert all("草稿" in p for p in pages)  # the meeting is still in session
    assert f"第1页共{len(pages)}页" in text
    assert pdf_checks.tofu(pdf) == []


def the_committee_prints_the_ballots_of_the_demo_vote(page, live_server):
    """Printing runs on the task worker: the page shows it waiting, then the bar fills and the
    files appear without a reload."""
    vote = AssemblyVote.objects.get(title=FUND)
    log_in(page, live_server.url, demo_user("13800000005"), password=DEMO_PASSWORD)
    page.goto(f"{live_server.url}/votes/{vote.pk}/")
    page.get_by_role("button", name="生成纸质表决票（PDF）").click()
    expect(page.get_by_text("正在排队，稍后开始。")).to_be_visible()
    job_page = page.url
    sheets = votes.ballot_sheets(vote)
    # The worker prints in a thread of its own while this one watches the page.
    with queued_tasks_in_a_thread():
        whole = page.get_by_role("link", name="全部楼栋 (PDF)")
        whole.wait_for(timeout=180_000)
    assert page.url == job_page  # the same page, updated in place
    expect(page.locator(".job-count")).to_have_text(f"已生成 {len(sheets):,} / {len(sheets):,} 份")
    pdf = download(page, "全部楼栋 (PDF)")
    pages = pdf_checks.reader(pdf).pages
    assert len(pages) == len(sheets)  # one sheet a page; the text of the first says what it is
    first = pdf_checks.squeeze(pages[0].extract_text())
    assert "表决票" in first
    assert pdf_checks.tofu(pdf) == []
    page.goto(f"{live_server.url}/notifications/")
    expect(page.get_by_text(f"已完成：纸质表决票：{FUND}")).to_be_visible()
