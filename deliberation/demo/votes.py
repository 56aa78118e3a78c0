"""Demo owners' assembly votes in 阳光小区: an open committee election with candidates, an open
maintenance-fund vote where the demo owner 李明 can vote, and a published result. Each open
vote has two tellers (刘洋 and 张伟); one paper ballot of the fund vote awaits its second entry.

Everything goes through the real services; only the voting window is moved with a queryset
update after the notice, standing in for the fifteen days between notice and opening.
"""

import random
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from deliberation.models import (
    AssemblyVote,
    BallotChannel,
    Candidate,
    ElectorateEntry,
    Holder,
    HolderKind,
    MatterKind,
)
from deliberation.services import votes

ESTATE = "阳光小区"
ELECTION = "阳光小区第三届业主委员会选举"
FUND = "1号楼、2号楼电梯更新使用专项维修资金"
PUBLISHED = "阳光小区管理规约修订"
CANDIDATES = [
    ("王建国", Candidate.Nomination.PARTY, True, "退休工程师，曾任小区楼长，熟悉设施维护。"),
    (
        "李秀英",
        Candidate.Nomination.RESIDENTS_COMMITTEE,
        False,
        "社区志愿者，长期参与垃圾分类督导。",
    ),
    ("张海燕", Candidate.Nomination.OWNERS, False, "会计师，愿意负责维修资金账目公开。"),
    ("刘志文", Candidate.Nomination.OWNERS, True, "中学教师，关注停车与安全问题。"),
    ("陈桂兰", Candidate.Nomination.PARTY, True, "退休护士，关心老年人服务。"),
    ("赵磊", Candidate.Nomination.OWNERS, False, "律师，熟悉物业服务合同。"),
]


def seed(context):
    community = context["community"]
    users = context["users"]
    estate = community.estates.filter(name=ESTATE).first()
    if estate is None:
        return {}
    committee, teller = users["committee"], users["community_worker"]
    rng = random.Random(278)  # noqa: S311  (repeatable demo data, not security)
    with transaction.atomic():
        if not AssemblyVote.objects.filter(community=community, title=PUBLISHED).exists():
            _published(estate, committee, teller, rng)
        if not AssemblyVote.objects.filter(community=community, title=ELECTION).exists():
            _election(estate, committee, teller, rng)
        if not AssemblyVote.objects.filter(community=community, title=FUND).exists():
            _fund(estate, committee, teller, rng, users["owner"])
        _second_tellers(community, committee, teller, users["grid_worker"])
    return {}


def _second_tellers(community, committee, teller, second):
    """Two tellers on every vote still running, so a paper ballot can be entered twice; and,
    on the fund vote, one paper ballot entered once, waiting for the second teller."""
    for vote in AssemblyVote.objects.filter(community=community, status="noticed"):
        if vote.state in ("noticed", "open"):
            votes.appoint_teller(vote, second, by=committee)
    fund = AssemblyVote.objects.filter(community=community, title=FUND).first()
    if fund is None or fund.state != "open" or fund.paper_entries.exists():
        return
    holder = (
        Holder.objects.filter(pk__in=ElectorateEntry.objects.filter(vote=fund).values("holder"))
        .exclude(pk__in=fund.ballots.values("holder"))
        .exclude(user__isnull=False)
        .exclude(kind=HolderKind.DEVELOPER)
        .order_by("pk")
        .first()
    )
    if holder is not None:
        votes.enter_paper_ballot(fund, holder, {fund.matters.get(): "yes"}, by=teller)


def _convene(estate, title, by, teller, matters, description=""):
    now = timezone.now()
    opens = now + timedelta(days=estate.community.assembly_notice_days + 1)
    vote = votes.convene_vote(
        estate=estate,
        title=title,
        description=description,
        opens_at=opens,
        closes_at=opens + timedelta(days=14),
        by=by,
    )
    votes.appoint_teller(vote, teller, by=by)
    made = []
    for code, kind, seats, title_text, text in matters:
        made.append(
            votes.add_matter(
                vote, code=code, kind=kind, seats=seats, title=title_text, text=text, by=by
            )
        )
    return vote, made


def _move(vote, opens, closes):
    AssemblyVote.objects.filter(pk=vote.pk).update(opens_at=opens, closes_at=closes)
    vote.refresh_from_db()


def _holders(vote, skip_users=()):
    heads = (
        ElectorateEntry.objects.filter(vote=vote)
        .exclude(holder__user__in=[u.pk for u in skip_users])
        .values_list("holder_id", flat=True)
        .distinct()
    )
    return list(Holder.objects.filter(pk__in=set(heads)).order_by("pk"))


def _cast_in_meeting(vote, matter, holders, teller, choose):
    """Ballots handed in at an assembly session, entered by the teller (meeting channel)."""
    for holder in holders:
        choice = choose()
        if isinstance(choice, list):
            votes.cast_ballot(
                matter,
                holder,
                "list",
                candidates=choice,
                by=teller,
                channel=BallotChannel.MEETING,
            )
        else:
            votes.cast_ballot(matter, holder, choice, by=teller, channel=BallotChannel.MEETING)


def _published(estate, committee, teller, rng):
    vote, (matter,) = _convene(
        estate,
        PUBLISHED,
        committee,
        teller,
        [
            (
                "management_statute",
                MatterKind.ORDINARY,
                1,
                "修订《阳光小区管理规约》第十二条（电动自行车停放）",
                "电动自行车不得在楼道内停放、充电；小区增设集中充电车棚。",
            )
        ],
    )
    votes.publish_vote_notice(vote, by=committee)
    now = timezone.now()
    _move(vote, now - timedelta(days=20), now + timedelta(hours=1))
    holders = _holders(vote)
    rng.shuffle(holders)
    voters = holders[: len(holders) * 4 // 5]
    _cast_in_meeting(
        vote,
        matter,
        voters,
        teller,
        lambda: rng.choices(["yes", "no", "abstain"], weights=[7, 2, 1])[0],
    )
    _move(vote, now - timedelta(days=20), now - timedelta(days=2))
    votes.tally_vote(vote, by=teller)
    votes.confirm_result(vote, by=teller)
    votes.publish_result(vote, by=committee)


def _election(estate, committee, teller, rng):
    vote, (matter,) = _convene(
        estate,
        ELECTION,
        committee,
        teller,
        [
            (
                "elect_committee",
                MatterKind.ELECTION,
                5,
                "选举第三届业主委员会委员（5 名）",
                "每张选票最多勾选 5 名候选人；超过 5 名的选票为废票。",
            )
        ],
        description="由筹备组在街道、社区指导下组织。候选人名单经资格审查并报社区党组织。",
    )
    for name, nominated_by, party_member, profile in CANDIDATES:
        candidate = votes.register_candidate(
            matter,
            name=name,
            nominated_by=nominated_by,
            nominators=6 if nominated_by == Candidate.Nomination.OWNERS else 0,
            party_member=party_member,
            profile=profile,
            by=committee,
        )
        votes.vet_candidate(
            candidate,
            result=Candidate.Vetting.APPROVED,
            reasons="无欠缴物业费，与物业服务企业无利害关系。",
            party_opinion="同意列入候选人名单。",
            by=committee,
        )
    votes.publish_vote_notice(vote, by=committee)
    now = timezone.now()
    _move(vote, now - timedelta(days=3), now + timedelta(days=10))
    ids = list(matter.candidates.order_by("pk").values_list("pk", flat=True))
    holders = _holders(vote, skip_users=[committee])
    rng.shuffle(holders)
    _cast_in_meeting(
        vote, matter, holders[: len(holders) * 2 // 5], teller, lambda: rng.sample(ids, 5)
    )


def _fund(estate, committee, teller, rng, owner):
    vote, (matter,) = _convene(
        estate,
        FUND,
        committee,
        teller,
        [
            (
                "use_maintenance_fund",
                MatterKind.ORDINARY,
                1,
                "使用专项维修资金更新 1 号楼、2 号楼电梯",
                "预算 86 万元，由专项维修资金列支，按两栋楼业主的专有部分面积分摊。",
            )
        ],
    )
    votes.publish_vote_notice(vote, by=committee)
    now = timezone.now()
    _move(vote, now - timedelta(days=2), now + timedelta(days=12))
    holders = _holders(vote, skip_users=[owner, committee])
    rng.shuffle(holders)
    _cast_in_meeting(
        vote,
        matter,
        holders[: len(holders) // 3],
        teller,
        lambda: rng.choices(["yes", "no", "abstain"], weights=[6, 3, 1])[0],
    )
