"""On PostgreSQL a ballot, its selections and its sealed audit entry are stored by one
statement, which stores nothing when the vote has changed since the caller read it (the
transactional path then answers). Skipped on SQLite, which always takes that path."""

import hashlib
from datetime import timedelta

import pytest
import time_machine
from django.db import DataError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from deliberation.audit import content_digest, entry_values, verify_chain
from deliberation.models import AssemblyVote, AuditEntry, Ballot, BallotSelection, Holder
from deliberation.services import votes
from deliberation.services.votes import VoteError, casting
from tests.sql import round_trips
from tests.vote_factories import election, open_vote

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _postgresql_only():
    if connection.vendor != "postgresql":
        pytest.skip("the one-statement cast is PostgreSQL's: CI runs it there")


def matter_read_with_vote(vote):
    return votes.matters_of(AssemblyVote.objects.get(pk=vote.pk))[0]


def test_a_ballot_and_its_audit_entry_take_one_statement(community, committee_member, owner):
    vote = open_vote(community, committee_member)
    matter = matter_read_with_vote(vote)
    holder = Holder.objects.get(user=owner)
    votes.voter_of(matter.vote, owner)  # the view has read the voter too
    with CaptureQueriesContext(connection) as queries:
        ballot = votes.cast_ballot(matter, holder, "yes", by=owner, channel="online")
    statements = [sql.lstrip() for sql in round_trips(queries)]
    writes = [sql for sql in statements if sql.startswith(("WITH", "INSERT", "UPDATE", "DELETE"))]
    assert len(writes) == 1 and writes[0].startswith("WITH cast_vote")
    assert [sql for sql in statements if "FOR SHARE" in sql] == writes  # no locked re-read
    entry = AuditEntry.objects.get(verb="vote.cast", target_id=str(ballot.pk))
    assert entry.target_type == "deliberation.ballot" and not entry.public
    assert entry.data == {"vote": vote.pk, "matter": matter.pk, "channel": "online"}
    assert verify_chain() == (AuditEntry.objects.count(), None, "")


def test_the_database_hashes_the_entry_as_python_does(community, committee_member, owner):
    """The entry's content digest, computed by PostgreSQL around the new ballot's id, is the
    one verify_audit recomputes: the chain checks out after casts, elections included."""
    vote = open_vote(community, committee_member)
    holder = Holder.objects.get(user=owner)
    votes.cast_ballot(matter_read_with_vote(vote), holder, "no", by=owner, channel="online")
    chosen = election(community, committee_member)
    matter = matter_read_with_vote(chosen)
    ids = list(matter.candidates.order_by("pk").values_list("pk", flat=True)[:3])
    ballot = votes.cast_ballot(matter, holder, "list", candidates=ids, by=owner, channel="online")
    assert (
        sorted(BallotSelection.objects.filter(ballot=ballot).values_list("candidate_id", flat=True))
        == ids
    )
    assert verify_chain() == (AuditEntry.objects.count(), None, "")


def test_the_content_around_the_id_is_the_canonical_content():
    params = entry_values(
        actor=7,
        verb="vote.cast",
        target_type="deliberation.ballot",
        community=3,
        public=False,
        data={"vote": 1, "matter": 2, "channel": "online"},
    )
    prefix, suffix = params[-2:]
    created_at = AuditEntry._meta.get_field("created_at").to_python(params[0])
    assert hashlib.sha256((prefix + "4567" + suffix).encode()).hexdigest() == content_digest(
        created_at=created_at,
        actor_id=7,
        community_id=3,
        verb="vote.cast",
        target=("deliberation.ballot", "4567"),
        data={"vote": 1, "matter": 2, "channel": "online"},
        public=False,
    )


def test_a_vote_cancelled_after_it_was_read_takes_no_ballot(community, committee_member, owner):
    vote = open_vote(community, committee_member)
    matter = matter_read_with_vote(vote)  # read while open
    votes.cancel_vote(
        AssemblyVote.objects.get(pk=vote.pk), reason="业主大会延期", by=committee_member
    )
    with pytest.raises(VoteError) as refused:
        votes.cast_ballot(matter, Holder.objects.get(user=owner), "yes", by=owner, channel="online")
    assert refused.value.code == "cancelled"
    assert not Ballot.objects.filter(vote=vote).exists()
    assert not AuditEntry.objects.filter(verb="vote.cast").exists()


def test_a_window_closed_after_it_was_read_takes_no_ballot(community, committee_member, owner):
    vote = open_vote(community, committee_member)
    matter = matter_read_with_vote(vote)
    now = timezone.now()
    AssemblyVote.objects.filter(pk=vote.pk).update(
        opens_at=now - timedelta(days=8), closes_at=now - timedelta(minutes=1)
    )
    with pytest.raises(VoteError) as refused:
        votes.cast_ballot(matter, Holder.objects.get(user=owner), "yes", by=owner, channel="online")
    assert refused.value.code == "closed"
    assert not Ballot.objects.filter(vote=vote).exists()


def test_a_second_ballot_in_a_transaction_leaves_it_usable(community, committee_member, owner):
    vote = open_vote(community, committee_member)
    matter = matter_read_with_vote(vote)
    holder = Holder.objects.get(user=owner)
    with transaction.atomic():
        votes.cast_ballot(matter, holder, "yes", by=owner, channel="online")
        with pytest.raises(VoteError) as refused:
            votes.cast_ballot(matter, holder, "no", by=owner, channel="online")
        assert refused.value.code == "already_cast"
        assert Ballot.objects.filter(vote=vote).count() == 1  # the transaction still answers
    assert Ballot.objects.get(vote=vote).choice == "yes"


def test_strings_are_cast_to_text_so_a_value_too_long_is_refused_not_cut():
    from plumbing.prepared import typed

    assert typed(Ballot._meta.get_field("choice"), connection) == "%s::text"  # varchar(8)
    assert typed(Ballot._meta.get_field("vote"), connection) == "%s::bigint"
    entry = AuditEntry._meta.get_field("verb")  # varchar(60)
    with pytest.raises(DataError), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {AuditEntry._meta.db_table} (verb) SELECT {typed(entry, connection)}",
                ["x" * 61],
            )


def _next_ids_from(models):
    """Make each model's next id known (and the same again after a rollback)."""
    with connection.cursor() as cursor:
        for model in models:
            table = model._meta.db_table
            cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, 'id'))", [table])
            (number,) = cursor.fetchone()
            yield table, number


def _restart(ids):
    with connection.cursor() as cursor:
        for table, number in ids:
            cursor.execute(
                "SELECT setval(pg_get_serial_sequence(%s, 'id'), %s, false)", [table, number]
            )


def _stored(ballot):
    rows = Ballot.objects.filter(pk=ballot.pk).values()
    selections = BallotSelection.objects.filter(ballot=ballot.pk).values("id", "candidate_id")
    entries = AuditEntry.objects.filter(target_id=str(ballot.pk), verb="vote.cast").values()
    return list(rows), sorted(selections, key=lambda s: s["id"]), list(entries)


@pytest.mark.parametrize("kind", ["matter", "election"])
def test_both_ways_of_casting_store_the_same_rows_and_hashes(
    kind, community, committee_member, owner
):
    """The one statement and the transactional path, given the same ballot at the same moment
    in the same place of the audit chain, store the same ballot, selections and audit entry,
    to the last byte of the entry's hash."""
    vote = (
        open_vote(community, committee_member)
        if kind == "matter"
        else election(community, committee_member)
    )
    holder = Holder.objects.get(user=owner)
    matter = matter_read_with_vote(vote)
    choice, candidates = ("yes", None)
    if kind == "election":
        ids = list(matter.candidates.order_by("pk").values_list("pk", flat=True)[:2])
        choice, candidates = ("list", ids)
    code = votes.new_receipt_code()
    with time_machine.travel(timezone.now(), tick=False):
        now = timezone.now()
        ids = list(_next_ids_from([Ballot, BallotSelection, AuditEntry]))
        _restart(ids)
        savepoint = transaction.savepoint()
        one = casting._cast_in_one_statement(
            matter, holder, choice, candidates, owner, "online", None, code, now
        )
        assert one is not None  # the statement took it
        by_statement = _stored(one)
        transaction.savepoint_rollback(savepoint)
        _restart(ids)
        other = casting._cast_in_transaction(
            matter, holder, choice, candidates, owner, "online", None, code, now
        )
        by_transaction = _stored(other)
    assert other.pk == one.pk
    assert by_statement == by_transaction
    assert by_statement[2][0]["hash"] and len(by_statement[0]) == 1
    assert verify_chain() == (AuditEntry.objects.count(), None, "")
