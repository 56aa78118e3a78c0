"""A committee election that fails for lack of participation, read by a resident.

The clock moves from the notice to the opening and past the close; 21 of 30 owners take part,
enough heads but not enough area. The published result must say that the vote did not stand
for lack of participation, with the figures against the 2/3 lines, and show each candidate's
votes as counted, marked "not elected: participation not reached".
"""

from datetime import timedelta
from decimal import Decimal
from fractions import Fraction

import pytest
import time_machine
from django.utils import timezone
from playwright.sync_api import expect

from deliberation.models import Candidate, Holder, MatterKind, Unit
from deliberation.services import votes
from tests.browser.conftest import log_in

pytestmark = pytest.mark.django_db(transaction=True)

CANDIDATES = ("张三", "李四", "王五", "赵六")
VOTERS = 21  # of 30 owners: 21 ≥ 30 × 2/3 = 20 heads, but their small flats fall short in area


def grouped(value):
    return f"{value:,.2f}"


def up_to_hundredths(value: Fraction) -> Decimal:
    hundredths = -(-value.numerator * 100 // value.denominator)
    return Decimal(hundredths).scaleb(-2)


@pytest.fixture
def estate_of_thirty(community):
    """30 flats: the first 21 small (70-ish m²), the other 9 large (110-ish m²)."""
    building = community.estates.get().buildings.get()
    for n in range(7, 31):
        unit = Unit.objects.create(building=building, number=str(100 + n), area=Decimal("1"))
        owner = Holder.objects.create(community=community, name=f"业主{n}")
        unit.ownerships.create(holder=owner)
    areas = {}
    for n, unit in enumerate(Unit.objects.filter(building=building).order_by("pk"), start=1):
        base = 70 if n <= VOTERS else 110
        unit.area = Decimal(f"{base + n % 5}.{(n * 37) % 100:02d}")
        unit.save(update_fields=["area"])
        areas[unit.ownerships.get().holder_id] = unit.area
    return areas


def test_a_resident_reads_that_the_election_failed_for_lack_of_participation(
    page, live_server, community, committee_member, resident, estate_of_thirty
):
    areas = estate_of_thirty
    start = timezone.now()
    with time_machine.travel(start, tick=True) as clock:
        opens = start + timedelta(days=community.assembly_notice_days + 1)
        vote = votes.convene_vote(
            estate=community.estates.get(),
            title="第三届业主委员会选举",
            opens_at=opens,
            closes_at=opens + timedelta(days=7),
            by=committee_member,
        )
        matter = votes.add_matter(
            vote,
            code="elect_committee",
            title="选举业主委员会委员",
            kind=MatterKind.ELECTION,
            seats=3,
            by=committee_member,
        )
        ids = {}
        for name in CANDIDATES:
            candidate = votes.register_candidate(
                matter, name=name, nominated_by=Candidate.Nomination.PARTY, by=committee_member
            )
            votes.vet_candidate(candidate, result=Candidate.Vetting.APPROVED, by=committee_member)
            ids[name] = candidate.pk
        votes.appoint_teller(vote, committee_member, by=committee_member)
        votes.publish_vote_notice(vote, by=committee_member)

        clock.move_to(opens + timedelta(hours=1))
        holders = list(Holder.objects.filter(community=community).order_by("pk"))
        plan = {}
        for n, holder in enumerate(holders[:VOTERS], start=1):
            plan[holder.pk] = ["张三", "李四", "王五"] if n <= 19 else ["赵六"]
            votes.cast_ballot(
                matter,
                holder,
                "list",
                candidates=[ids[name] for name in plan[holder.pk]],
                by=committee_member,
                channel="meeting",
            )

        clock.move_to(opens + timedelta(days=7, hours=2))
        # The committee counts, confirms and publishes through the pages.
        log_in(page, live_server.url, committee_member)
        page.goto(f"{live_server.url}/votes/{vote.pk}/result/")
        page.get_by_role("button", name="开始计票").click()
        expect(page.get_by_text("计票完成。")).to_be_visible()
        page.get_by_role("button", name="我确认计票结果").click()
        page.get_by_role("button", name="公布结果").click()
        expect(page.get_by_text("表决结果已在公示栏公布。")).to_be_visible()

        # An independent recount of what was cast.
        total_area = sum(areas.values())
        part_area = sum(areas[pk] for pk in plan)
        total_heads, part_heads = len(areas), len(plan)
        assert 3 * part_area < 2 * total_area and 3 * part_heads >= 2 * total_heads
        area_line = up_to_hundredths(Fraction(total_area) * 2 / 3)
        heads_line = Fraction(total_heads * 2, 3)
        votes_for = {
            name: [pk for pk, names in plan.items() if name in names] for name in CANDIDATES
        }

        page.context.clear_cookies()
        log_in(page, live_server.url, resident)
        page.goto(f"{live_server.url}/c/{community.pk}/notices/")
        page.get_by_role("link", name="业主大会表决结果：第三届业主委员会选举").click()
        notice = page.locator(".notice-body")
        expect(notice).to_contain_text("未通过：参与表决未达三分之二")
        expect(notice).to_contain_text(
            f"参与表决面积 {grouped(part_area)} ㎡ < 总面积 {grouped(total_area)} ㎡ × 2/3 "
            f"≈ {grouped(area_line)} ㎡ ✗ 不符合"
        )
        expect(notice).to_contain_text(
            f"参与表决人数 {part_heads} 人 ≥ 总人数 {total_heads} 人 × 2/3 = {heads_line} 人 ✓ 符合"
        )
        expect(notice).to_contain_text("表决不成立：参与表决的面积未达到三分之二，无人当选")
        expect(notice).not_to_contain_text("无候选人获得过半数同意")
        for name in CANDIDATES:
            expect(notice).to_contain_text(f"候选人 {name}：未当选——参与表决未达三分之二")

        page.get_by_role("link", name="查看相关事项").click()
        page.get_by_role("link", name="计票与结果").click()
        expect(page.locator(".verdict")).to_have_text("未通过：参与表决未达三分之二")
        expect(page.locator(".participation")).to_contain_text(
            f"参与表决面积 {grouped(part_area)} ㎡ < 总面积 {grouped(total_area)} ㎡"
        )
        expect(page.locator(".participation [role=note]")).to_contain_text("无人当选")
        for name in CANDIDATES:
            row = page.get_by_role("row").filter(has=page.locator(".candidate-name", has_text=name))
            heads = len(votes_for[name])
            area = sum(areas[pk] for pk in votes_for[name])
            heads_mark = "✓" if 2 * heads > part_heads else "✗"
            area_mark = "✓" if 2 * area > part_area else "✗"
            expect(row.locator(".candidate-result")).to_have_text("未当选：参与表决未达要求")
            expect(row.get_by_role("cell")).to_have_text(
                [f"{heads} {heads_mark}", f"{area:.2f} m² {area_mark}"]
            )
        expect(page.get_by_text("个席位空缺")).to_have_count(0)
