"""Factories for owners' assembly votes: convene through the real services, then move the clock.

The window is shifted with a queryset update after the notice, standing in for the days that
would pass between the notice and the opening.
"""

from datetime import timedelta

from django.utils import timezone

from deliberation.models import AssemblyVote, Candidate, MatterKind
from deliberation.services import votes


def convene(
    community, by, *, title="维修资金使用表决", allow_change=False, matters=None, estate=None
):
    now = timezone.now()
    opens = now + timedelta(days=community.assembly_notice_days + 1)
    vote = votes.convene_vote(
        estate=estate or community.estates.order_by("pk").first(),
        title=title,
        opens_at=opens,
        closes_at=opens + timedelta(days=7),
        allow_change=allow_change,
        by=by,
    )
    for code, kind, seats, candidates in matters or [("use_maintenance_fund", "ordinary", 1, [])]:
        matter = votes.add_matter(
            vote, code=code, title=f"事项 {code}", kind=kind, seats=seats, by=by
        )
        for name in candidates:
            candidate = votes.register_candidate(
                matter, name=name, nominated_by=Candidate.Nomination.PARTY, by=by
            )
            votes.vet_candidate(candidate, result=Candidate.Vetting.APPROVED, by=by)
    return vote


def publish(vote, by, accept_short=False):
    from tests.queue import drop_queued_notices

    votes.publish_vote_notice(vote, by=by, accept_short=accept_short)
    drop_queued_notices()
    vote.refresh_from_db()
    return vote


def move_to(vote, state):
    """Shift the window so the vote is open (or closed) now."""
    now = timezone.now()
    if state == "open":
        opens, closes = now - timedelta(hours=1), now + timedelta(days=6)
    elif state == "closed":
        opens, closes = now - timedelta(days=8), now - timedelta(hours=1)
    else:
        raise ValueError(state)
    AssemblyVote.objects.filter(pk=vote.pk).update(opens_at=opens, closes_at=closes)
    vote.refresh_from_db()
    return vote


def open_vote(community, by, **kwargs):
    return move_to(publish(convene(community, by, **kwargs), by), "open")


def election(community, by, names=("甲", "乙", "丙", "丁", "戊", "己"), seats=5):
    return open_vote(
        community,
        by,
        title="业委会选举",
        matters=[("elect_committee", MatterKind.ELECTION, seats, list(names))],
    )
