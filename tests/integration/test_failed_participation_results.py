"""A matter and a company selection that fail for lack of participation, through the views.

Three of the six owners take part (3 < 6 × 2/3 = 4 heads, 240 < 320 m²) and all of them agree,
so the agreement is far above half. The published result must say the vote did not stand for
lack of participation, state both 2/3 lines in the units shown, and keep the agreement figures
as counted without letting them decide. The clock moves across the vote's dates.
"""

import html
from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from deliberation.models import Candidate, Holder, MatterKind, Notice, NoticeKind, Role
from deliberation.services import votes
from tests import pdf_checks
from tests.factories import add_member

pytestmark = pytest.mark.django_db

ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}


@pytest.fixture
def teller(community):
    return add_member(community, Role.COMMUNITY_WORKER, name="计票员")


def run_vote(client, community, committee_member, teller, matter_spec, cast):
    """Convene, notice, open, cast, close; count, confirm and publish through the pages."""
    start = timezone.now()
    clock = time_machine.travel(start, tick=False)
    clock.start()
    opens = start + timedelta(days=community.assembly_notice_days + 1)
    vote = votes.convene_vote(
        estate=community.estates.get(),
        title="年度业主大会表决",
        opens_at=opens,
        closes_at=opens + timedelta(days=7),
        by=committee_member,
    )
    code, kind, seats, names = matter_spec
    matter = votes.add_matter(
        vote, code=code, title="表决事项", kind=kind, seats=seats, by=committee_member
    )
    for name in names:
        candidate = votes.register_candidate(
            matter, name=name, nominated_by=Candidate.Nomination.PARTY, by=committee_member
        )
        votes.vet_candidate(candidate, result=Candidate.Vetting.APPROVED, by=committee_member)
    votes.appoint_teller(vote, teller, by=committee_member)
    votes.publish_vote_notice(vote, by=committee_member)
    clock.stop()
    with time_machine.travel(opens + timedelta(hours=2), tick=False):
        holders = Holder.objects.filter(community=community).order_by("pk")[:3]
        for holder in holders:
            cast(matter, holder)
    with time_machine.travel(opens + timedelta(days=7, hours=2), tick=False):
        client.force_login(teller)
        assert client.post(reverse("vote_tally", args=[vote.pk]), **ZH).status_code == 302
        assert client.post(reverse("vote_confirm", args=[vote.pk]), **ZH).status_code == 302
        client.force_login(committee_member)
        assert client.post(reverse("vote_publish", args=[vote.pk]), **ZH).status_code == 302
    return vote, matter


def read_as(client, resident, vote):
    client.force_login(resident)
    page = html.unescape(client.get(reverse("vote_result", args=[vote.pk]), **ZH).content.decode())
    notice = Notice.objects.get(kind=NoticeKind.VOTE_RESULT)
    board = html.unescape(
        client.get(
            reverse("notice_detail", args=[notice.community_id, notice.pk]), **ZH
        ).content.decode()
    )
    pdf = client.get(reverse("vote_result_pdf", args=[vote.pk]), **ZH)
    assert pdf.status_code == 200
    return page, board, pdf_checks.squeeze(pdf_checks.all_text(pdf.content))


# Six flats of 80.00 m²: the whole estate is 480.00 m² and 6 heads; three take part.
AREA_LINE = "参与表决面积 240.00 ㎡ < 总面积 480.00 ㎡ × 2/3 = 320.00 ㎡ ✗ 不符合"
HEADS_LINE = "参与表决人数 3 人 < 总人数 6 人 × 2/3 = 4 人 ✗ 不符合"


def test_a_matter_agreed_by_all_who_voted_is_not_passed_without_participation(
    client, community, committee_member, teller, resident
):
    def cast(matter, holder):
        votes.cast_ballot(matter, holder, "yes", by=teller, channel="meeting")

    vote, matter = run_vote(
        client,
        community,
        committee_member,
        teller,
        ("use_maintenance_fund", MatterKind.ORDINARY, 1, ()),
        cast,
    )
    page, board, pdf = read_as(client, resident, vote)
    # Recount: three ballots of 80.00 m², all agreeing.
    agree = "同意面积 240.00 ㎡ > 参与表决面积 240.00 ㎡ × 1/2 = 120.00 ㎡ ✓ 符合"
    for text in (page, board):
        assert "未通过：参与表决未达三分之二" in text
        assert AREA_LINE in text and HEADS_LINE in text
        assert agree in text
        assert "未通过：参与表决的面积和人数未达到三分之二，表决不成立" in text
    assert "表决不成立。各项票数照实列出，不产生决定" in page
    for line in (AREA_LINE, HEADS_LINE, "未通过：参与表决未达三分之二"):
        assert pdf_checks.squeeze(line) in pdf
    assert matter.result.passed is False

    english = html.unescape(
        client.get(
            reverse("vote_result", args=[vote.pk]), HTTP_ACCEPT_LANGUAGE="en"
        ).content.decode()
    )
    assert "Not passed: participation did not reach two thirds" in english
    assert "Participating area 240.00 m² < total area 480.00 m² × 2/3 = 320.00 m² ✗ not met" in (
        english
    )
    assert "Participating owners 3 < all owners 6 × 2/3 = 4 ✗ not met" in english
    assert "Agreeing area 240.00 m² > participating area 240.00 m² × 1/2 = 120.00 m² ✓ met" in (
        english
    )


def test_a_company_chosen_by_all_who_voted_is_not_hired_without_participation(
    client, community, committee_member, teller, resident
):
    firms = ("安居物业", "乐业物业")

    def cast(matter, holder):
        first = matter.candidates.get(name=firms[0])
        votes.cast_ballot(
            matter, holder, "list", candidates=[first.pk], by=teller, channel="meeting"
        )

    vote, matter = run_vote(
        client,
        community,
        committee_member,
        teller,
        ("hire_property_manager", MatterKind.SELECTION, 1, firms),
        cast,
    )
    page, board, pdf = read_as(client, resident, vote)
    for text in (page, board):
        assert "未通过：参与表决未达三分之二" in text
        assert AREA_LINE in text and HEADS_LINE in text
        assert "候选人 安居物业 得票人数 3 人 > 参与表决人数 3 人 × 1/2 = 1.50 人 ✓ 符合" in text
        assert "候选人 安居物业：未当选——参与表决未达三分之二" in text
        assert "候选人 乐业物业：未当选——参与表决未达三分之二" in text
        assert "无候选人获得过半数同意" not in text
    # The result table: the firm's own figures as counted, and why it is not hired.
    assert page.count("未当选：参与表决未达要求") == 2
    assert (
        '<span class="candidate-result">未当选：参与表决未达要求</span></th>'
        '<td class="num">3 ✓</td><td class="num">240.00 m² ✓</td>' in page
    )
    assert pdf_checks.squeeze("未当选：参与表决未达要求") in pdf
    assert matter.result.figures["elected"] == []
    assert Decimal(matter.result.figures["participating_area"]) == Decimal("240.00")
