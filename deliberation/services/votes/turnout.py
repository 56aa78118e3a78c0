"""During the window: turnout, non-voters and the reminders sent to them."""

import hashlib
from decimal import Decimal
from fractions import Fraction

from django.db import transaction
from django.db.models import Count, Exists, Max, OuterRef
from django.utils.translation import gettext_noop

from deliberation import rules
from deliberation.audit import record_audit
from deliberation.delivery import queue_reminder
from deliberation.messages import Message
from deliberation.models import (
    Ballot,
    ElectorateAmendment,
    ElectorateEntry,
    Role,
)
from deliberation.notices import notify
from deliberation.services.votes.counting import count_matter, holdings_of
from deliberation.services.votes.electorate import _electorate_users
from deliberation.services.votes.roles import _lock, _require, vote_roles


def turnout(vote):
    """Participation per matter against the 2/3 lines, computed by the rules engine.

    Choices are not exposed here: only who took part, by area and by head.
    """
    holdings = holdings_of(vote)
    rows = []
    for matter in vote.matters.order_by("position"):
        outcome = count_matter(matter, holdings)
        total_area = outcome.total_area
        area_share = Fraction(outcome.participating_area) / Fraction(total_area or 1)
        head_share = Fraction(outcome.participating_headcount, outcome.total_headcount or 1)
        area_met, heads_met = (r.met for r in outcome.reasons[:2])
        rows.append(
            {
                "matter": matter,
                "total_area": total_area,
                "total_headcount": outcome.total_headcount,
                "area": outcome.participating_area,
                "headcount": outcome.participating_headcount,
                "area_percent": _percent(area_share),
                "head_percent": _percent(head_share),
                "area_met": area_met,
                "heads_met": heads_met,
            }
        )
    return rows


def turnout_version(vote):
    """A short token that changes whenever the turnout figures can: a ballot cast or changed
    (ballots are never deleted, and a change stamps changed_at), or an amendment of the
    electorate. Two index-only aggregates, so a page that polls can ask "anything new?"
    without the count behind turnout()."""
    ballots = Ballot.objects.filter(vote=vote).aggregate(
        n=Count("pk"), last=Max("pk"), changed=Max("changed_at")
    )
    amended = ElectorateAmendment.objects.filter(vote=vote).aggregate(last=Max("pk"))
    raw = f"{ballots['n']}|{ballots['last']}|{ballots['changed']}|{amended['last']}"
    return hashlib.sha256(raw.encode()).hexdigest()[:16]


def _percent(share):
    """Share as a whole percent for a progress bar (display only; never used to decide)."""
    return min(100, int(share * 100))


def non_voters(vote, user):
    """Units whose holder has not voted on any matter; a grid worker sees only their grid."""
    voted = Ballot.objects.filter(vote=vote, head=OuterRef("head"))
    entries = (
        ElectorateEntry.objects.filter(vote=vote).exclude(Exists(voted)).order_by("sort_key", "pk")
    )
    roles = vote_roles(user, vote)
    if not (roles & {Role.COMMITTEE, Role.COMMUNITY_WORKER, Role.PARTY_SECRETARY}):
        buildings = user.grids.filter(community=vote.community).values("buildings")
        entries = entries.filter(building_id__in=buildings)
    return entries


def remind_non_voters(vote, *, by):
    with transaction.atomic():
        vote = _lock(vote)
        _require(by, vote, "vote.remind")
        non_voting = set(non_voters(vote, by).values_list("head", flat=True))
        users = _electorate_users(vote, non_voting)
        record_audit(
            actor=by,
            verb="vote.remind",
            target=vote,
            community=vote.community,
            data={"reminded": len(users)},
        )
        heads, area = participation_gap(vote)
        unit_ids = ElectorateEntry.objects.filter(vote=vote, head__in=non_voting).values_list(
            "unit_id", flat=True
        )
        # And by SMS to every household that has not voted, account or not (the task worker).
        queue_reminder(vote, unit_ids=set(unit_ids), heads=heads, area=area, by=by)
        if heads or area:
            text = Message(
                gettext_noop(
                    "You have not voted yet in “%(title)s”. Voting closes on %(time)s. "
                    "%(heads)s owners / %(area)s m² more are needed to reach two thirds."
                ),
                title=vote.title,
                time=vote.closes_at,
                heads=f"{heads:,}",
                area=f"{area:,}",
            )
        else:
            text = Message(
                gettext_noop("You have not voted yet in “%(title)s”. Voting closes on %(time)s."),
                title=vote.title,
                time=vote.closes_at,
            )
        notify(users, text, vote.get_absolute_url())
    return len(users)


def participation_gap(vote):
    """The distance to the 2/3 participation lines (heads, area) of the matter furthest from
    them, by the rules engine; reminders state it and never reveal a choice."""
    heads, area = 0, Decimal("0.00")
    for row in turnout(vote):
        h, a = rules.quorum_gap(
            row["total_area"], row["total_headcount"], row["area"], row["headcount"]
        )
        heads, area = max(heads, h), max(area, a)
    return heads, area
