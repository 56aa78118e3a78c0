"""Races: many casts for one flat at once, and two channels at once, leave exactly one ballot.

Each thread has its own database connection. The unique constraint (matter, head) decides;
every loser gets the "already cast" message. CI re-runs this file on PostgreSQL, where the
200-cast case runs (it is skipped on SQLite, which serialises writers anyway).
"""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection, connections

from deliberation.models import Ballot, Holder, Role
from deliberation.services import votes
from deliberation.services.votes import VoteError, roles
from tests.factories import add_member
from tests.vote_factories import open_vote

pytestmark = pytest.mark.django_db(transaction=True)


def race(count, attempts, workers=None):
    """Run `attempts` (callables) as simultaneously as threads allow; return outcomes."""
    parties = min(count, workers or count)
    barrier = threading.Barrier(parties)

    def run(numbered):
        index, attempt = numbered
        try:
            if index < parties:  # the first wave starts together; the rest follow at once
                barrier.wait(timeout=30)
            attempt()
            return "cast"
        except VoteError as error:
            return error.code
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=workers or count) as pool:
        return list(pool.map(run, enumerate(attempts)))


def same_owner_casts(community, committee_member, owner, count, workers=None):
    vote = open_vote(community, committee_member)
    matter = vote.matters.get()
    holder = Holder.objects.get(user=owner)

    def cast():
        votes.cast_ballot(matter, holder, "yes", by=owner, channel="online")

    outcomes = race(count, [cast] * count, workers)
    return vote, outcomes


def test_simultaneous_casts_by_one_owner_make_one_ballot(community, committee_member, owner):
    vote, outcomes = same_owner_casts(community, committee_member, owner, 8)
    assert outcomes.count("cast") == 1
    assert set(outcomes) == {"cast", "already_cast"}
    assert Ballot.objects.filter(vote=vote).count() == 1


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the 200-cast race runs on PostgreSQL in CI"
)
def test_two_hundred_simultaneous_casts_on_postgresql_make_one_ballot(
    community, committee_member, owner
):
    # 200 casts from 80 connections at once: PostgreSQL's default limit is 100 connections.
    vote, outcomes = same_owner_casts(community, committee_member, owner, 200, workers=80)
    assert outcomes.count("cast") == 1
    assert outcomes.count("already_cast") == 199
    assert Ballot.objects.filter(vote=vote).count() == 1


def test_online_and_paper_at_once_leave_one_ballot(community, committee_member, owner):
    vote = open_vote(community, committee_member)
    matter = vote.matters.get()
    holder = Holder.objects.get(user=owner)
    tellers = [add_member(community, Role.COMMUNITY_WORKER, name=n) for n in ("甲", "乙")]
    for teller in tellers:
        votes.appoint_teller(vote, teller, by=committee_member)
    votes.enter_paper_ballot(vote, holder, {matter: "no"}, by=tellers[0], entry=1)

    def online():
        votes.cast_ballot(matter, holder, "yes", by=owner, channel="online")

    def paper():
        votes.enter_paper_ballot(vote, holder, {matter: "no"}, by=tellers[1], entry=2)

    outcomes = race(2, [online, paper])
    assert sorted(outcomes) == ["already_cast", "cast"]
    assert Ballot.objects.filter(vote=vote).count() == 1


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks: runs on PostgreSQL in CI")
def test_a_ballot_cast_while_the_vote_is_being_cancelled_waits_and_is_refused(
    community, committee_member, owner
):
    from concurrent.futures import wait

    from django.db import transaction

    from deliberation.models import AssemblyVote, VoteStatus

    vote = open_vote(community, committee_member)
    matter = vote.matters.get()
    holder = Holder.objects.get(user=owner)
    cancelling, commit = threading.Event(), threading.Event()

    def cancel():  # what cancel_vote does, held open until the cast has had its chance
        try:
            with transaction.atomic():
                roles._lock(vote)
                AssemblyVote.objects.filter(pk=vote.pk).update(status=VoteStatus.CANCELLED)
                cancelling.set()
                commit.wait(timeout=30)
        finally:
            connections.close_all()

    def cast():
        cancelling.wait(timeout=30)
        try:
            votes.cast_ballot(matter, holder, "yes", by=owner, channel="online")
            return "cast"
        except VoteError as error:
            return error.code
        finally:
            connections.close_all()

    def cast_is_waiting_for_a_lock():
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND wait_event_type = 'Lock'"
            )
            return cursor.fetchone()[0] > 0

    with ThreadPoolExecutor(max_workers=2) as pool:
        cancelled = pool.submit(cancel)
        outcome = pool.submit(cast)
        # Commit the cancellation once the cast is blocked on it (or, without the lock, done).
        while not wait([outcome], timeout=0.05).done and not cast_is_waiting_for_a_lock():
            pass
        commit.set()
        cancelled.result(timeout=30)
        assert outcome.result(timeout=30) == "cancelled"
    assert not Ballot.objects.filter(vote=vote).exists()


def test_owners_casting_at_once_leave_one_unbroken_audit_chain():
    """Each ballot's audit entry links to the one before it, however the casts interleave
    (on PostgreSQL each cast is one statement that takes the chain's head in turn)."""
    from deliberation.audit import verify_chain
    from deliberation.models import AuditEntry
    from tests.factories import make_community

    community = make_community(name="同时投票社区", units=12)
    committee = add_member(community, Role.COMMITTEE, name="主任")
    add_member(community, Role.OWNER, user=committee)
    owners = [add_member(community, Role.OWNER, name=f"业主{n}") for n in range(10)]
    vote = open_vote(community, committee)
    matter = vote.matters.get()

    def caster(owner):
        holder = Holder.objects.get(user=owner, community=community)
        return lambda: votes.cast_ballot(matter, holder, "yes", by=owner, channel="online")

    outcomes = race(len(owners), [caster(owner) for owner in owners])
    assert outcomes == ["cast"] * len(owners)
    assert Ballot.objects.filter(vote=vote).count() == len(owners)
    assert verify_chain() == (AuditEntry.objects.count(), None, "")
