"""A button that has done its work is replaced by what it did, so nobody presses it twice or
wonders whether it worked."""

from datetime import timedelta

import pytest
import time_machine
from playwright.sync_api import expect

from deliberation.models import Ballot, Holder, Phase, Rating
from deliberation.services import votes
from deliberation.services.execution import rating_window_end
from tests.browser.conftest import log_in
from tests.factories_execution import make_topic
from tests.vote_factories import open_vote

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_proxy_sees_the_instructions_then_what_was_cast(
    page, live_server, community, committee_member, resident
):
    vote = open_vote(community, committee_member)
    matter = vote.matters.get()
    holder = Holder.objects.filter(community=community, user__isnull=True).order_by("pk").first()
    votes.register_mandate(
        vote,
        holder=holder,
        agent=resident,
        instructions={matter: "no"},
        document="votes/mandates/x.pdf",
        document_type="application/pdf",
        by=committee_member,
    )
    log_in(page, live_server.url, resident)
    page.goto(f"{live_server.url}/votes/{vote.pk}/")
    mandate = page.locator(".mandate")
    expect(mandate).to_contain_text("业主的委托意见：")
    expect(mandate.get_by_role("listitem")).to_have_text(f"{matter.title}：反对")

    mandate.get_by_role("button", name="按委托意见投票").click()
    mandate = page.locator(".mandate")
    expect(mandate).to_contain_text("已按委托意见投票")
    expect(mandate.get_by_role("listitem")).to_contain_text(f"{matter.title}：反对")
    expect(page.get_by_role("button", name="按委托意见投票")).to_have_count(0)
    ballot = Ballot.objects.get(holder=holder)
    assert (ballot.choice, ballot.channel) == ("no", "proxy")


@pytest.mark.parametrize(
    ("phase", "reason"),
    [(Phase.CLOSED, "这个议题现在不接受评价。"), (Phase.EVALUATING, None)],
)
def test_the_rating_page_says_why_before_anything_is_typed(
    page, live_server, community, resident, phase, reason
):
    topic = make_topic(community, resident, phase=phase)
    log_in(page, live_server.url, resident)
    page.goto(f"{live_server.url}/topics/{topic.pk}/rate/")
    if reason is None:  # open for ratings: the form is there
        expect(page.get_by_role("button", name="提交评价")).to_be_visible()
        return
    expect(page.get_by_role("main")).to_contain_text(reason)
    expect(page.get_by_role("button", name="提交评价")).to_have_count(0)


def test_the_rating_page_after_the_window_closed(page, live_server, community, resident):
    topic = make_topic(community, resident, phase=Phase.EVALUATING)
    end = rating_window_end(topic)
    log_in(page, live_server.url, resident)
    with time_machine.travel(end + timedelta(minutes=1), tick=True):
        page.goto(f"{live_server.url}/topics/{topic.pk}/rate/")
        expect(page.get_by_role("main")).to_contain_text("评价期限已过。")
        expect(page.get_by_role("button", name="提交评价")).to_have_count(0)
    assert not Rating.objects.exists()


def test_simple_mode_says_a_vote_is_done_once_cast(
    page, live_server, community, committee_member, owner
):
    vote = open_vote(community, committee_member)
    log_in(page, live_server.url, owner)
    page.goto(f"{live_server.url}/simple/vote/")
    page.get_by_role("link", name="去填写表决票").click()
    page.get_by_label("同意").check()
    page.get_by_role("button", name="投票").click()
    expect(page.locator("[data-receipt]")).to_be_visible()
    page.goto(f"{live_server.url}/simple/vote/")
    card = page.locator(".card", has_text=vote.title)
    expect(card).to_contain_text("您已投票。")
    expect(card.get_by_role("link", name="去填写表决票")).to_have_count(0)
    expect(card.get_by_role("link", name="查看我的表决票")).to_be_visible()
