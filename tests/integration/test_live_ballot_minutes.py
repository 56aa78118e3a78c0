"""What the minutes say about a vote taken in the live room, read through the pages.

In an owners' session a live vote writes real ballots into the assembly vote: the minutes must
report that vote's art. 278 result once published ("to be published" before), never a majority
of those in the room. A show of hands in a consultation meeting is minuted as not binding.
The clock moves across the assembly vote's dates.
"""

import html
from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from deliberation.models import Ballot, Building, Holder, Ownership, Unit
from deliberation.services import votes
from meetings import services
from meetings.rendering import room_state
from tests import pdf_checks
from tests.meeting_factories import live_consultation, owners_session_on

pytestmark = pytest.mark.django_db

ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}


def page_text(client, user, url):
    client.force_login(user)
    response = client.get(url, **ZH)
    assert response.status_code == 200
    return html.unescape(response.content.decode())


def pdf_text(client, user, url):
    client.force_login(user)
    response = client.get(url, **ZH)
    assert response.status_code == 200
    return pdf_checks.squeeze(pdf_checks.all_text(response.content))


def noticed_fund_vote(community, committee_member):
    """A maintenance-fund vote of the estate whose notice was published now, opening the day
    after the notice period: (vote, its matter, when voting opens)."""
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        opens = start + timedelta(days=community.assembly_notice_days + 1)
        vote = votes.convene_vote(
            estate=community.estates.get(),
            title="电梯更换维修资金表决",
            opens_at=opens,
            closes_at=opens + timedelta(days=7),
            by=committee_member,
        )
        matter = votes.add_matter(
            vote, code="use_maintenance_fund", title="使用维修资金更换电梯", by=committee_member
        )
        votes.appoint_teller(vote, committee_member, by=committee_member)
        votes.publish_vote_notice(vote, by=committee_member)
    return vote, matter, opens


def test_an_owners_session_minutes_the_assembly_result_not_the_rooms_majority(
    client, community, chair, committee_member, owner
):
    estate = community.estates.get()
    vote, matter, opens = noticed_fund_vote(community, committee_member)

    with time_machine.travel(opens + timedelta(hours=3), tick=False):
        meeting, item = owners_session_on(matter, chair, [owner, committee_member])
        services.open_item(meeting, by=chair, item_id=item.pk)
        live = services.open_live_vote(meeting, by=chair, item_id=item.pk, question=matter.title)
        for user in (owner, committee_member):
            services.cast_live_vote(meeting, by=user, vote_id=live.pk, choice="yes")
        services.close_live_vote(meeting, by=chair, vote_id=live.pk)
        # Both in the room agreed; that decides nothing. The ballots are real.
        assert Ballot.objects.filter(matter=matter, channel="meeting").count() == 2

        minutes = page_text(client, owner, reverse("meeting_minutes", args=[meeting.pk]))
        assert f"计入第 {vote.pk} 号业主大会表决，结果待公布" in minutes
        assert (
            f"2 位业主在会场投出表决票，计入第 {vote.pk} 号业主大会表决“电梯更换维修资金表决”"
            in minutes
        )
        assert "通过" not in minutes
        assert "同意 2 · 反对 0" not in minutes
        # The quorum of an owners' session in area and heads (6 flats of 80.00 m², 2 present).
        total = sum(Unit.objects.filter(building__estate=estate).values_list("area", flat=True))
        assert f"到会业主面积 160.00 ㎡ < 总面积 {total:,.2f} ㎡ × 2/3 = 320.00 ㎡ ✗ 不符合" in (
            minutes
        )
        assert "到会业主人数 2 人 < 总人数 6 人 × 2/3 = 4 人 ✗ 不符合" in minutes
        assert "2 / 2" not in minutes  # no headcount of those invited stands for the quorum

    with time_machine.travel(opens + timedelta(days=7, hours=2), tick=False):
        votes.tally_vote(vote, by=committee_member)
        votes.confirm_result(vote, by=committee_member)
        votes.publish_result(vote, by=committee_member)
        # Recount: 2 of 6 heads took part, 2 < 6 × 2/3: the art. 278 vote did not stand.
        assert 3 * 2 < 2 * 6
        expected = (
            f"第 {vote.pk} 号业主大会表决结果（民法典第二百七十八条）：未通过：参与表决未达三分之二"
        )
        minutes = page_text(client, owner, reverse("meeting_minutes", args=[meeting.pk]))
        assert expected in minutes
        assert pdf_checks.squeeze(expected) in pdf_text(
            client, owner, reverse("meeting_minutes_pdf", args=[meeting.pk])
        )


def test_a_show_of_hands_in_a_consultation_is_minuted_as_not_binding(
    client, community, chair, community_worker, owner, resident
):
    meeting = live_consultation(community, chair, community_worker, owner, resident)
    item = meeting.items.order_by("position").first()
    services.open_item(meeting, by=chair, item_id=item.pk)
    live = services.open_live_vote(meeting, by=chair, item_id=item.pk, question="先修2号楼电梯？")
    assert live.kind == "hands"
    services.cast_live_vote(meeting, by=owner, vote_id=live.pk, choice="yes")
    services.cast_live_vote(meeting, by=resident, vote_id=live.pk, choice="yes")
    services.close_live_vote(meeting, by=chair, vote_id=live.pk)

    minutes = page_text(client, owner, reverse("meeting_minutes", args=[meeting.pk]))
    # Recount: 2 agree of 2 who voted, 2 > 2 × 1/2 = 1.
    assert "举手表决，不具约束力：参加表决者过半数同意" in minutes
    assert "就“先修2号楼电梯？”举手表决（不具约束力）：参加表决者过半数同意。" in minutes
    assert "举手同意 2 人 > 参加举手表决 2 人 × 1/2 = 1 人 ✓ 符合" in minutes
    assert "举手表决只反映到会者的意见，不具约束力，不构成决定" in minutes
    assert ">通过<" not in minutes
    pdf = pdf_text(client, owner, reverse("meeting_minutes_pdf", args=[meeting.pk]))
    assert pdf_checks.squeeze("举手表决，不具约束力：参加表决者过半数同意") in pdf


def test_an_owners_session_counts_its_quorum_against_the_votes_frozen_electorate(
    community, chair, committee_member, owner
):
    """A flat sold or added after the notice changes the live register, not the vote: the room
    counts present owners against the same owners and area the assembly vote will count."""
    estate = community.estates.get()
    vote, matter, opens = noticed_fund_vote(community, committee_member)
    frozen_heads = vote.heads.count()
    frozen_area = sum(vote.electorate.values_list("area", flat=True))
    # After the notice the register gains a flat of 1,000 m² with an owner of its own.
    building = Building.objects.filter(estate=estate).first()
    unit = Unit.objects.create(building=building, number="9901", area=Decimal("1000.00"))
    Ownership.objects.create(
        unit=unit, holder=Holder.objects.create(community=community, name="新业主")
    )

    with time_machine.travel(opens + timedelta(hours=1), tick=False):
        meeting, item = owners_session_on(matter, chair, [owner])
        quorum = room_state(meeting)["quorum"]
    assert quorum["total_heads"] == frozen_heads
    assert quorum["total_area"] == f"{frozen_area:.2f}"
