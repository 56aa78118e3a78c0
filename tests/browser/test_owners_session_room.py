"""An owners' session in the live room: a live vote there is a real ballot in the assembly vote.

The room (a separate ASGI process on the real clock) must never call the vote passed by the
majority of those in the room: it says the ballots count with the assembly vote and that its
art. 278 result is to be published; the quorum is shown by area and heads. The assembly vote is
noticed with the test clock moved back 20 days, so it is open on the real clock.
"""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone
from playwright.sync_api import expect

from deliberation.models import Ballot, Unit
from deliberation.services import votes
from tests.browser.asgi_server import asgi_server  # noqa: F401 - fixture
from tests.browser.room_pages import open_page  # noqa: F401 - fixture
from tests.meeting_factories import owners_session_on


@pytest.fixture
def assembly_vote(community, committee_member):
    now = timezone.now()
    with time_machine.travel(now - timedelta(days=20), tick=False):
        vote = votes.convene_vote(
            estate=community.estates.get(),
            title="电梯更换维修资金表决",
            opens_at=now - timedelta(hours=1),
            closes_at=now + timedelta(days=6),
            by=committee_member,
        )
        votes.add_matter(
            vote, code="use_maintenance_fund", title="使用维修资金更换电梯", by=committee_member
        )
        votes.publish_vote_notice(vote, by=committee_member)
    vote.refresh_from_db()
    return vote


def test_a_live_ballot_in_an_owners_session_is_counted_with_the_assembly_vote(
    asgi_server,  # noqa: F811
    open_page,  # noqa: F811
    community,
    chair,
    committee_member,
    owner,
    assembly_vote,
):
    matter = assembly_vote.matters.get()
    estate = community.estates.get()
    meeting, _item = owners_session_on(matter, chair, [owner, committee_member])
    room = f"/meetings/{meeting.pk}/room/"
    console = open_page(asgi_server, chair, room)
    phone = open_page(asgi_server, owner, room)
    other = open_page(asgi_server, committee_member, room)

    # The quorum by area and heads, against an independent sum of the register.
    areas = list(Unit.objects.filter(building__estate=estate).values_list("area", flat=True))
    total = sum(areas)
    quorum = phone.locator("#room-attendance")
    expect(quorum).to_contain_text(
        f"到会业主面积 160.00 ㎡ < 总面积 {total:,.2f} ㎡ × 2/3 = 320.00 ㎡ ✗ 不符合"
    )
    expect(quorum).to_contain_text(f"到会业主人数 2 人 < 总人数 {len(areas)} 人 × 2/3 = 4 人")
    expect(quorum).not_to_contain_text("应到")  # no headcount of those invited

    console.get_by_role("button", name="下一项").click()
    console.get_by_role("button", name="发起表决").click()
    expect(phone.locator("#room-vote")).to_contain_text(
        f"在此投出的每一票都是第 {assembly_vote.pk} 号业主大会表决"
        "“电梯更换维修资金表决”的正式表决票"
    )
    phone.get_by_role("button", name="同意").click()
    expect(phone.locator("#room-notice")).to_contain_text("已记录您的表决：同意")
    other.get_by_role("button", name="同意").click()
    expect(other.locator("#room-notice")).to_contain_text("已记录您的表决：同意")
    console.get_by_role("button", name="结束表决并计票").click()

    for page in (console, phone, other):
        result = page.locator("#room-vote .room-result")
        expect(result).to_contain_text(f"计入第 {assembly_vote.pk} 号业主大会表决，结果待公布")
        expect(result).to_contain_text("会场投出的 2 张表决票")
        expect(result).not_to_contain_text("通过")
        expect(result).not_to_contain_text("同意 2")
    expect(console.locator("#room-minutes")).to_contain_text(
        f"2 位业主在会场投出表决票，计入第 {assembly_vote.pk} 号业主大会表决"
    )
    expect(console.locator("#room-minutes")).to_contain_text("依民法典第二百七十八条计票后公布")
    choices = sorted(Ballot.objects.filter(matter=matter).values_list("channel", "choice"))
    assert choices == [("meeting", "yes"), ("meeting", "yes")]
