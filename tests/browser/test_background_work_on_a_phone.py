"""A committee member on a phone (390 × 844) prints a vote's paper ballots in the background,
in Chinese and in English: the start, the job page while it waits, a job that failed (its
message in the reader's language, and the way on), and the files when it is done."""

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import log_in
from tests.browser.quick_polls import quick_polls  # noqa: F401 - the fixture
from tests.browser.test_accessibility import set_language
from tests.factories import add_building
from tests.queue import queued_tasks_in_a_thread
from tests.vote_factories import open_vote

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("quick_polls")]

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def vote(community, committee_member):
    add_building(community, name="2号楼")
    # Opening a vote broadcasts through async_to_sync, which Playwright's event loop in this
    # thread forbids: open it from another thread.
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(open_vote, community, committee_member).result()


@pytest.fixture
def shoot(request):
    folder = request.config.getoption("--screenshots")

    def shoot(page, name):
        if folder:
            Path(folder).mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(Path(folder) / f"jobs-{name}.png"), full_page=True)

    return shoot


def no_sideways_scroll(page):
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the page scrolls sideways: {width} px"


def amend(vote, by):
    from deliberation.models import ElectorateEntry
    from deliberation.services import votes

    entry = ElectorateEntry.objects.filter(vote=vote).order_by("pk").first()
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(
            votes.amend_electorate,
            vote,
            unit_id=entry.unit_id,
            area=entry.area + 1,
            reason="测绘报告更正",
            by=by,
        ).result()


def run_worker():
    """A worker empties the queue, in a thread of its own, while this one waits."""
    with queued_tasks_in_a_thread():
        pass  # nothing to watch meanwhile: leaving waits for the worker


WORDS = {
    "zh-hans": {
        "start": "生成纸质表决票（PDF）",
        "waiting": "正在排队",
        "failed": "失败",
        "amended": "开始生成后表决权人名册又有更正",
        "again": "重新生成表决票",
        "done": "已生成 9 / 9 份",
        "files": "全部楼栋 (PDF)",
    },
    "en": {
        "start": "Print paper ballots (PDF)",
        "waiting": "Waiting for its turn",
        "failed": "Failed",
        "amended": "The electorate was amended after printing was started",
        "again": "Start printing again",
        "done": "9 of 9 ballots printed",
        "files": "All buildings (PDF)",
    },
}


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_printing_ballots_on_a_phone_through_a_failure_in_the_readers_language(
    page, live_server, vote, committee_member, shoot, language
):
    words = WORDS[language]
    page.set_viewport_size(PHONE)
    set_language(page, live_server.url, committee_member, language)
    log_in(page, live_server.url, committee_member)
    page.goto(f"{live_server.url}/votes/{vote.pk}/")
    button = page.get_by_role("button", name=words["start"])
    button.scroll_into_view_if_needed()
    assert button.bounding_box()["height"] >= 44
    shoot(page, f"{language}-1-vote")
    button.click()
    expect(page.locator("#job-progress")).to_contain_text(words["waiting"])
    no_sideways_scroll(page)
    shoot(page, f"{language}-2-waiting")

    # The electorate is corrected before a worker gets to it: the job fails, and says so
    # in the reader's language, with the way to start again (the same job could not succeed).
    amend(vote, committee_member)
    run_worker()
    expect(page.get_by_role("heading", name=words["failed"])).to_be_visible(timeout=30_000)
    expect(page.get_by_role("alert")).to_contain_text(words["amended"])
    again = page.get_by_role("link", name=words["again"])
    assert again.bounding_box()["height"] >= 44
    expect(page.get_by_role("button", name=WORDS[language]["start"])).to_have_count(0)
    no_sideways_scroll(page)
    shoot(page, f"{language}-3-failed")

    again.click()
    page.get_by_role("button", name=words["start"]).click()
    run_worker()
    expect(page.locator(".job-count")).to_have_text(words["done"], timeout=30_000)
    expect(page.get_by_role("link", name=words["files"])).to_be_visible()
    no_sideways_scroll(page)
    shoot(page, f"{language}-4-done")
