"""A committee member publishes an election's notice only once every candidate is vetted, and
confirms it knowingly when fewer candidates qualified than there are seats."""

import pytest
from playwright.sync_api import expect

from deliberation.models import AuditEntry, Candidate, MatterKind
from deliberation.services import votes
from tests.browser.conftest import log_in

pytestmark = pytest.mark.django_db(transaction=True)


def draft_election(community, by):
    vote = votes.convene_vote(
        estate=community.estates.get(),
        title="第二届业委会选举",
        opens_at=_days(community.assembly_notice_days + 1),
        closes_at=_days(community.assembly_notice_days + 8),
        by=by,
    )
    matter = votes.add_matter(
        vote,
        code="elect_committee",
        title="选举业委会委员",
        kind=MatterKind.ELECTION,
        seats=3,
        by=by,
    )
    for name in ("王建国", "李秀英", "张海燕"):
        votes.register_candidate(matter, name=name, nominated_by="party", by=by)
    votes.vet_candidate(matter.candidates.get(name="王建国"), result="approved", by=by)
    return vote, matter


def _days(n):
    from datetime import timedelta

    from django.utils import timezone

    return timezone.now() + timedelta(days=n)


def vet(page, name, result, reasons=""):
    card = page.locator("section.candidate", has=page.get_by_role("heading", name=name))
    card.get_by_text("记录资格审查").click()
    card.get_by_label(result, exact=True).check()
    if reasons:
        card.get_by_label("理由").fill(reasons)
    card.get_by_role("button", name="保存审查结果").click()


def test_unvetted_candidates_hold_the_notice_and_a_short_ballot_needs_a_confirmation(
    page, live_server, community, committee_member
):
    vote, matter = draft_election(community, committee_member)
    page.on("dialog", lambda dialog: dialog.accept())
    log_in(page, live_server.url, committee_member)
    page.goto(f"{live_server.url}/votes/{vote.pk}/manage/")
    checks = page.locator(".notice-checks")
    expect(checks).to_contain_text("3 个席位，1 名候选人通过资格审查")
    expect(checks.get_by_text("待资格审查")).to_contain_text("李秀英、张海燕")

    page.get_by_role("button", name="发布会议通知").click()
    expect(page.locator(".message.error").first).to_contain_text(
        "以下候选人仍在等待资格审查：李秀英、张海燕"
    )
    vote.refresh_from_db()
    assert vote.status == "draft"

    page.goto(f"{live_server.url}/votes/{vote.pk}/matters/{matter.pk}/candidates/")
    vet(page, "李秀英", "审查不合格", reasons="欠缴物业费")
    vet(page, "张海燕", "审查合格")
    page.goto(f"{live_server.url}/votes/{vote.pk}/manage/")
    expect(checks).to_contain_text("3 个席位，2 名候选人通过资格审查")
    expect(checks).to_contain_text("候选人少于席位数")

    page.get_by_role("button", name="发布会议通知").click()
    expect(page.get_by_text("只有 2 名候选人通过资格审查")).to_be_visible()
    vote.refresh_from_db()
    assert vote.status == "draft"

    page.get_by_label("我确认以少于席位数的候选人发布公告。").check()
    page.get_by_role("button", name="发布会议通知").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(vote.title)
    vote.refresh_from_db()
    assert vote.status == "noticed"
    assert "王建国" in vote.notice.body and "张海燕" in vote.notice.body
    assert "李秀英" not in vote.notice.body
    entry = AuditEntry.objects.filter(verb="vote.publish_notice").get()
    assert entry.data["fewer_candidates_than_seats"] == [
        {"matter": matter.pk, "qualified": 2, "seats": 3}
    ]
    assert set(matter.candidates.values_list("vetting_result", flat=True)) == {
        Candidate.Vetting.APPROVED,
        Candidate.Vetting.REJECTED,
    }
