"""An evening of 200 flats, through the pages: the committee convenes a two-matter vote and
publishes its notice; fifteen days later voting opens; 120 owners vote online, two tellers
enter 60 paper ballots (three read differently, set aside and entered again), 10 agents vote
by written mandate; voting closes, the committee counts, the tellers confirm and the result
is published. The published figures must equal a recount of the stored ballots done here,
from the register and the ballot rows, without the project's counting code."""

import io
import random
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from deliberation.models import (
    AssemblyVote,
    Ballot,
    Holder,
    Notice,
    Ownership,
    PaperEntry,
    Role,
    Unit,
    VoteResult,
    VoteStatus,
)
from tests.factories import add_member, make_community, make_user
from tests.pdfs import make_pdf

SHANGHAI = ZoneInfo("Asia/Shanghai")
FLATS = 200
FUND, COMMON = "use_maintenance_fund", "change_common_use"  # more than 1/2; at least 3/4


@pytest.fixture
def estate_of_200(db):
    """200 flats of different areas; the owner of 1号楼-299 also owns 1号楼-300, so the two
    flats are one head with their areas summed (SPC interpretation art. 9)."""
    community = make_community(name="二百户社区", units=FLATS)
    for unit in Unit.objects.filter(building__estate__community=community):
        unit.area = Decimal(5000 + (int(unit.number) * 7919) % 9000) / 100
        unit.save(update_fields=["area"])
    ownership = Ownership.objects.get(
        unit__number="300", unit__building__estate__community=community
    )
    buyer = Ownership.objects.get(unit__number="299", unit__building__estate__community=community)
    ownership.holder = buyer.holder
    ownership.save(update_fields=["holder"])
    Holder.objects.filter(community=community, ownerships__isnull=True).delete()
    return community


def post(client, name, args, data=None, **extra):
    response = client.post(reverse(name, args=args), data or {}, **extra)
    assert response.status_code in (200, 302), (name, response.status_code)
    return response


def local(moment):
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


def test_an_evening_of_200_flats_publishes_what_a_recount_gives(client, estate_of_200):
    community = estate_of_200
    rng = random.Random(200)  # noqa: S311  (a repeatable evening)
    chair = add_member(community, Role.COMMITTEE, name="主任")
    tellers = [add_member(community, Role.COMMUNITY_WORKER, name=n) for n in ("计票甲", "计票乙")]
    holders = list(Holder.objects.filter(community=community).order_by("pk"))
    assert len(holders) == FLATS - 1
    online, paper, proxied = holders[:120], holders[120:180], holders[180:190]
    for n, holder in enumerate(online):
        holder.user = make_user(name=f"业主{n}")
        holder.save(update_fields=["user"])
    agents = [add_member(community, Role.RESIDENT, name=f"代理人{n}") for n in range(10)]

    evening = datetime(2026, 11, 2, 19, 0, tzinfo=SHANGHAI)
    with time_machine.travel(evening, tick=False) as clock:
        # Convene and notice.
        client.force_login(chair)
        opens = timezone.now() + timedelta(days=16)
        post(
            client,
            "vote_list",
            [community.pk],
            {
                "estate": community.estates.get().pk,
                "title": "电梯更新与架空层改建",
                "convened_by": "committee",
                "opens_at": local(opens),
                "closes_at": local(opens + timedelta(days=7)),
            },
        )
        vote = AssemblyVote.objects.get(community=community)
        for code, title in ((FUND, "使用维修资金更新电梯"), (COMMON, "架空层改建为活动室")):
            post(
                client,
                "vote_add_matter",
                [vote.pk],
                {"code": code, "kind": "ordinary", "title": title, "seats": 1},
            )
        for teller in tellers:
            post(client, "vote_tellers", [vote.pk], {"user": teller.phone})
        post(client, "vote_notice", [vote.pk])
        vote.refresh_from_db()
        assert vote.status == VoteStatus.NOTICED
        matters = list(vote.matters.order_by("position"))
        names = [f"m{m.pk}" for m in matters]

        # Fifteen days later, voting opens.
        clock.move_to(vote.opens_at + timedelta(hours=1))

        def pick(weights):
            return [rng.choices(("yes", "no", "abstain"), weights=w)[0] for w in weights]

        for holder in online:
            client.force_login(holder.user)
            choices = pick([(7, 2, 1), (8, 1, 1)])
            post(client, "vote_detail", [vote.pk], dict(zip(names, choices, strict=True)))

        # Proxies: the committee registers each written mandate, the agent casts it.
        for holder, agent in zip(proxied, agents, strict=True):
            client.force_login(chair)
            document = io.BytesIO(make_pdf("signed mandate"))
            document.name = "mandate.pdf"
            choices = pick([(1, 1, 0), (3, 1, 0)])
            unit = Unit.objects.filter(ownerships__holder=holder).first()
            post(
                client,
                "vote_mandates",
                [vote.pk],
                {
                    "unit": f"1号楼-{unit.number}",
                    "agent": agent.phone,
                    "document": document,
                    **dict(zip(names, choices, strict=True)),
                },
            )
            mandate = holder_mandate(vote, holder)
            client.force_login(agent)
            post(client, "vote_cast_as_proxy", [vote.pk, mandate.pk])

        # Paper ballots, handed in over the window and entered by two tellers, some after the
        # close; three are read differently the second time.
        clock.move_to(vote.closes_at - timedelta(hours=2))
        handed_in = vote.closes_at - timedelta(hours=3)
        misread = set(paper[:3])
        read = {}
        for holder in paper:
            choices = [
                rng.choices(("yes", "no", "abstain", "spoiled"), weights=(6, 2, 1, 1))[0],
                rng.choice(("yes", "no")),
            ]
            read[holder] = choices
            unit = f"1号楼-{Unit.objects.filter(ownerships__holder=holder).first().number}"
            data = {
                "unit": unit,
                "collected_at": local(handed_in),
                **dict(zip(names, choices, strict=True)),
            }
            client.force_login(tellers[0])
            post(client, "vote_paper", [vote.pk], data)
            if holder in misread:
                wrong = "no" if choices[0] != "no" else "yes"
                data = {**data, names[0]: wrong}
            client.force_login(tellers[1])
            post(client, "vote_paper", [vote.pk], data)
            if holder is paper[1]:
                clock.move_to(vote.closes_at + timedelta(hours=1))  # the rest after the close
        assert PaperEntry.objects.filter(mismatch=True).count() == 6

        # The count is refused while the three disagree; they are set aside and entered again.
        client.force_login(tellers[0])
        refused = client.post(reverse("vote_tally", args=[vote.pk]), follow=True)
        assert "不能开始计票" in refused.content.decode()
        for holder in misread:
            entry = PaperEntry.objects.get(
                holder=holder, entry=2, mismatch=True, cleared_at__isnull=True
            )
            post(
                client,
                "vote_paper_clear",
                [vote.pk, entry.matter_id, entry.head],
                {"reason": "两人核对原票"},
            )
            unit = f"1号楼-{Unit.objects.filter(ownerships__holder=holder).first().number}"
            for teller in tellers:
                client.force_login(teller)
                post(
                    client,
                    "vote_paper",
                    [vote.pk],
                    {"unit": unit, "collected_at": local(handed_in), names[0]: read[holder][0]},
                )
        assert not PaperEntry.objects.filter(mismatch=True, cleared_at__isnull=True).exists()

        # Count, confirm, publish.
        client.force_login(chair)
        post(client, "vote_tally", [vote.pk])
        for teller in tellers:
            client.force_login(teller)
            post(client, "vote_confirm", [vote.pk])
        client.force_login(chair)
        post(client, "vote_publish", [vote.pk])
        vote.refresh_from_db()
        assert vote.status == VoteStatus.PUBLISHED

    # Every paper ballot counts on both matters as the paper says.
    for holder, choices in read.items():
        stored = dict(
            Ballot.objects.filter(vote=vote, holder=holder).values_list("matter__code", "choice")
        )
        assert stored == {FUND: choices[0], COMMON: choices[1]}

    published = Notice.objects.get(pk=vote.result_notice_id)
    page = client.get(reverse("vote_result", args=[vote.pk])).content.decode()
    for matter in matters:
        expected = recount(community, vote, matter)
        figures = VoteResult.objects.get(matter=matter).figures
        shown = {key: figures[key] for key in expected}
        assert shown == expected, matter.code
        assert f"{expected['participating_area']} m²" in page
        assert matter.title in published.body
    assert expected_heads(community) == FLATS - 1


def holder_mandate(vote, holder):
    from deliberation.models import ProxyMandate

    return ProxyMandate.objects.get(vote=vote, holder=holder, revoked_at__isnull=True)


def expected_heads(community):
    return Holder.objects.filter(community=community, ownerships__isnull=False).distinct().count()


def recount(community, vote, matter):
    """The matter counted by hand from the register and the stored ballots: one head per
    holder with the areas of all their flats, every ballot received taking part, integer
    comparisons in hundredths of a square metre."""
    area = {}
    for holder_id, unit_area in Ownership.objects.filter(
        unit__building__estate=vote.estate
    ).values_list("holder_id", "unit__area"):
        area[holder_id] = area.get(holder_id, 0) + int(unit_area * 100)
    tally = {c: [0, 0] for c in ("yes", "no", "abstain", "spoiled")}
    for holder_id, choice in Ballot.objects.filter(matter=matter).values_list(
        "holder_id", "choice"
    ):
        tally[choice][0] += area[holder_id]
        tally[choice][1] += 1
    total_area, total_heads = sum(area.values()), len(area)
    part_area = sum(a for a, _h in tally.values())
    part_heads = sum(h for _a, h in tally.values())
    yes_area, yes_heads = tally["yes"]
    took_part = 3 * part_area >= 2 * total_area and 3 * part_heads >= 2 * total_heads
    if matter.code == COMMON:  # at least three quarters of those taking part
        approved = 4 * yes_area >= 3 * part_area and 4 * yes_heads >= 3 * part_heads
    else:  # more than half of those taking part
        approved = 2 * yes_area > part_area and 2 * yes_heads > part_heads

    def m2(hundredths):
        return f"{Decimal(hundredths) / 100:.2f}"

    return {
        "total_area": m2(total_area),
        "total_headcount": total_heads,
        "participating_area": m2(part_area),
        "participating_headcount": part_heads,
        "participation_met": took_part,
        **{f"{c}_area": m2(tally[c][0]) for c in tally},
        **{f"{c}_headcount": tally[c][1] for c in tally},
        "passed": took_part and approved,
    }
