"""Every form sent with htmx shows what went wrong where the person pressed.

Bad input comes back as the form with its errors (400) and is shown in place; a refusal,
a server failure or a lost connection leaves the page as it was and says so in the
person's language, next to the button.
"""

import re
from datetime import date, timedelta

import pytest
import time_machine
from django.conf import settings
from playwright.sync_api import expect

from accounts.phone import local_phone
from deliberation.models import Ballot, Comment, Follow
from deliberation.services import topics as topic_services
from tests.browser.conftest import log_in
from tests.factories import PASSWORD
from tests.integration.test_register_import import row, the_existing_six, xlsx
from tests.topic_factories import collecting, discussing
from tests.vote_factories import election, open_vote

pytestmark = pytest.mark.django_db(transaction=True)

NETWORK = {
    "zh": "无法连接服务器，什么也没有发出。请检查网络后再试。",
    "en": "Could not reach the server, so nothing was sent. Check your connection and try again.",
}
SERVER = "服务器出了问题。请先刷新页面，看看是否已经保存，再决定是否重试。"
REFUSED = "这一步现在已不能办理。请刷新页面查看最新情况。"


def test_a_ballot_with_nothing_chosen_says_so_and_casts_nothing(
    page, live_server, community, committee_member, owner
):
    vote = open_vote(community, committee_member)
    log_in(page, live_server.url, owner)
    page.goto(f"{live_server.url}/votes/{vote.pk}/")
    page.get_by_role("button", name="投票").click()
    summary = page.locator("#ballot [data-error-summary]")
    expect(summary).to_be_visible()
    expect(summary).to_contain_text("请更正以下内容")
    expect(summary).to_be_focused()
    assert not Ballot.objects.exists()


def test_six_names_for_five_seats_says_so_and_casts_nothing(
    page, live_server, community, committee_member, owner
):
    vote = election(community, committee_member)
    log_in(page, live_server.url, owner)
    page.goto(f"{live_server.url}/votes/{vote.pk}/")
    for name in ("甲", "乙", "丙", "丁", "戊", "己"):
        page.get_by_label(name, exact=True).check()
    page.get_by_role("button", name="投票").click()
    expect(page.locator("#ballot [data-error-summary]")).to_contain_text("最多勾选 5 名候选人")
    assert not Ballot.objects.exists()


def test_an_election_ballot_with_no_name_ticked_is_not_cast_until_the_owner_says_blank(
    page, live_server, community, committee_member, owner
):
    vote = election(community, committee_member)
    log_in(page, live_server.url, owner)
    page.goto(f"{live_server.url}/votes/{vote.pk}/")
    page.get_by_role("button", name="投票").click()
    expect(page.locator("#ballot [data-error-summary]")).to_contain_text("投空白票")
    assert not Ballot.objects.exists()

    page.get_by_label("以上候选人都不同意（空白票）").check()
    page.get_by_role("button", name="投票").click()
    expect(page.get_by_text("回执码")).to_be_visible()
    ballot = Ballot.objects.get()
    assert ballot.choice == "list" and not ballot.selections.exists()


def test_an_empty_comment_says_so_in_place(
    page, live_server, community, resident, community_worker
):
    topic = discussing(community, resident, community_worker)
    log_in(page, live_server.url, resident)
    page.goto(f"{live_server.url}/topics/{topic.pk}/")
    page.locator("#comment-form textarea").fill("   ")  # passes the browser's own check
    page.get_by_role("button", name="发表评论").click()
    summary = page.locator("#comments [data-error-summary]")
    expect(summary).to_be_visible()
    expect(summary).to_be_focused()
    assert not Comment.objects.exists()


def test_a_co_sign_after_the_topic_was_withdrawn_is_refused_visibly(
    page, live_server, community, resident, owner
):
    topic = collecting(community, owner)
    log_in(page, live_server.url, resident)
    page.goto(f"{live_server.url}/topics/{topic.pk}/")
    topic_services.withdraw_topic(topic, by=owner, reason="已自行解决")
    page.get_by_role("button", name="附议").click()
    expect(page.locator("#cosign")).to_contain_text("本议题目前不在征集附议。")
    topic.refresh_from_db()
    assert topic.cosign_count == 0


def test_a_ballot_sent_after_the_vote_closed_says_so_in_place(
    page, live_server, community, committee_member, owner
):
    vote = open_vote(community, committee_member)
    log_in(page, live_server.url, owner)
    page.goto(f"{live_server.url}/votes/{vote.pk}/")
    page.get_by_label("同意").check()
    with time_machine.travel(vote.closes_at + timedelta(minutes=1), tick=True):
        page.get_by_role("button", name="投票").click()
        expect(page.locator("#ballot [data-error-summary]")).to_contain_text("表决已于")
    assert not Ballot.objects.exists()


def test_a_comment_sent_after_the_decision_is_refused_and_kept(
    page, live_server, community, resident, community_worker, chair
):
    topic = discussing(community, resident, community_worker)
    log_in(page, live_server.url, resident)
    page.goto(f"{live_server.url}/topics/{topic.pk}/")
    page.locator("#comment-form textarea").fill("建议周末施工。")
    topic_services.record_decision(
        topic,
        by=chair,
        text="由物业在两周内更换电梯主板。",
        decided_by="residents_meeting",
        decided_on=date(2026, 11, 20),
    )
    page.get_by_role("button", name="发表评论").click()
    summary = page.locator("#comments [data-error-summary]")
    expect(summary).to_contain_text("本议题已停止评论。")
    expect(summary).to_be_focused()
    assert not Comment.objects.exists()


def test_following_after_moving_out_is_refused_visibly(
    page, live_server, community, resident, owner, community_worker
):
    topic = discussing(community, owner, community_worker)
    log_in(page, live_server.url, resident)
    page.goto(f"{live_server.url}/topics/{topic.pk}/")
    resident.memberships.all().delete()
    page.locator("#follow button").click()
    expect(page.locator("#follow [role=alert]")).to_have_text(REFUSED)
    assert not Follow.objects.filter(topic=topic, user=resident).exists()


def test_a_co_sign_after_the_session_ended_goes_to_login_and_back(
    page, live_server, community, resident, owner
):
    topic = collecting(community, owner)
    log_in(page, live_server.url, resident)
    page.goto(f"{live_server.url}/topics/{topic.pk}/")
    page.context.clear_cookies(name=settings.SESSION_COOKIE_NAME)  # signed out elsewhere
    page.get_by_role("button", name="附议").click()
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    page.locator("input[name=login]").fill(local_phone(resident.phone))
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("form button[type=submit]").click()
    expect(page).to_have_url(re.compile(rf"/topics/{topic.pk}/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(topic.title)


@pytest.mark.parametrize("language", ["zh", "en"])
def test_following_without_a_connection_says_so_in_the_persons_language(
    page, live_server, community, resident, community_worker, language
):
    topic = discussing(community, resident, community_worker)
    Follow.objects.filter(topic=topic).delete()
    log_in(page, live_server.url, resident)
    if language == "en":
        page.get_by_role("button", name="English").click()
    page.goto(f"{live_server.url}/topics/{topic.pk}/")
    page.route("**/follow/", lambda route: route.abort())
    page.locator("#follow button").click()
    expect(page.locator("#follow [role=alert]")).to_have_text(NETWORK[language])
    assert not Follow.objects.filter(topic=topic).exists()


def test_a_reaction_that_fails_on_the_server_says_so(
    page, live_server, community, resident, owner, community_worker
):
    topic = discussing(community, resident, community_worker)
    topic_services.add_comment(topic, by=owner, body="同意尽快修。", stance="support")
    log_in(page, live_server.url, resident)
    page.goto(f"{live_server.url}/topics/{topic.pk}/")
    page.route("**/react/", lambda route: route.fulfill(status=500, body="boom"))
    page.get_by_role("button", name="赞同").click()
    expect(page.locator("#comments .comment-actions [role=alert]")).to_have_text(SERVER)


def test_the_topic_filters_without_a_connection_say_so(page, live_server, community, resident):
    log_in(page, live_server.url, resident)
    page.goto(f"{live_server.url}/c/{community.pk}/topics/")
    page.route("**/topics/?*", lambda route: route.abort())
    page.get_by_role("button", name="搜索").click()
    expect(page.locator(".topic-filters [role=alert]")).to_have_text(NETWORK["zh"])


def test_applying_a_register_preview_that_is_gone_says_so(
    page, live_server, community, community_worker, tmp_path
):
    good = tmp_path / "名册.xlsx"
    good.write_bytes(xlsx(the_existing_six() + [row("202", "李四")]))
    log_in(page, live_server.url, community_worker)
    page.goto(f"{live_server.url}/c/{community.pk}/registry/import/")
    page.get_by_label("名册文件（.xlsx）").set_input_files(str(good))
    page.get_by_role("button", name="检查文件").click()
    apply = page.get_by_role("button", name="确认导入")
    expect(apply).to_be_visible()
    page.locator("input[name=token]").evaluate("el => { el.value = 'gone'; }")
    apply.click()
    expect(page.locator("#importer")).to_contain_text("此预览已过期或已经导入，请重新上传文件。")
