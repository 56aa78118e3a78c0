"""Casting a ballot, on any channel.

`cast_ballot(matter, holder, choice, *, by, channel, candidates=None, mandate=None)` is the one
way a ballot is cast, whatever the channel (the live meeting calls it with
``channel=BallotChannel.MEETING``). It returns the Ballot with ``ballot.receipt_code`` set (the
code is shown once; only its keyed hash is stored) and raises ``VoteError`` when the ballot
cannot be cast; nothing is saved then. On PostgreSQL a first ballot is cast by one statement
(`_cast_in_one_statement`) that stores the same rows and audit hash as the ORM path
(`_cast_in_transaction`); tests/integration/test_cast_statement.py proves they agree.
"""

import hashlib
import hmac
import secrets
from contextlib import nullcontext

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from deliberation.audit import chain_ctes, record_audit
from deliberation.audit import entry_values as audit_entry_values
from deliberation.models import (
    AssemblyVote,
    AuditHead,
    Ballot,
    BallotChannel,
    BallotChoice,
    BallotSelection,
    Candidate,
    VoteState,
)
from deliberation.permissions import TELLER
from deliberation.services.votes.roles import (
    ORDINARY_CHOICES,
    VoteError,
    _state_error,
    _when,
    head_of,
    vote_roles,
)
from plumbing.prepared import Prepared, PreparedInsert, on_server, typed

RECEIPT_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"


def new_receipt_code():
    raw = "".join(secrets.choice(RECEIPT_ALPHABET) for _ in range(10))
    return f"{raw[:5]}-{raw[5:]}"


def receipt_hash(code):
    normalised = "".join(ch for ch in (code or "").upper() if ch.isalnum())
    key = settings.SECRET_KEY.encode()
    return hmac.new(key, normalised.encode(), hashlib.sha256).hexdigest()


def _already_cast(ballot):
    return VoteError(
        _("A ballot for this flat was already cast (%(channel)s, %(time)s).")
        % {"channel": BallotChannel(ballot.channel).label, "time": _when(ballot.created_at)},
        code="already_cast",
    )


def _clean_choice(matter, choice, candidates, channel):
    """Return (choice, [candidate names]) or raise VoteError."""
    if not matter.is_election:
        allowed = ORDINARY_CHOICES + ((BallotChoice.SPOILED,) if channel == "paper" else ())
        if choice not in allowed:
            raise VoteError(_("Choose agree, oppose or abstain."), code="choice")
        return choice, []
    if choice == BallotChoice.SPOILED and channel == BallotChannel.PAPER:
        return choice, []
    ids = [int(c) for c in (candidates or [])]
    approved = dict(
        matter.candidates.filter(pk__in=ids, vetting_result=Candidate.Vetting.APPROVED).values_list(
            "pk", "name"
        )
    )
    if len(set(ids)) != len(ids) or set(ids) - set(approved):
        raise VoteError(_("Mark only candidates on this ballot."), code="candidates")
    if len(ids) > matter.seats:
        if channel == BallotChannel.PAPER:  # an over-marked paper ballot is spoiled, not refused
            return BallotChoice.SPOILED, []
        raise VoteError(_("Mark at most %(n)s candidates.") % {"n": matter.seats}, code="too_many")
    return BallotChoice.LIST, ids


def cast_ballot(
    matter,
    holder,
    choice,
    *,
    by,
    channel,
    candidates=None,
    mandate=None,
    receipt_code=None,
    now=None,
):
    """Cast the holder's ballot on one matter; see the module docstring.

    `choice` is "yes" / "no" / "abstain" (and "spoiled" on paper) for an ordinary matter; for
    an election pass `choice="list"` and `candidates=[candidate ids]`. The unique constraint
    (matter, head) decides races between channels and double taps: the loser gets a VoteError.
    """
    now = now or timezone.now()
    code = receipt_code or new_receipt_code()
    if connection.vendor == "postgresql":
        ballot = _cast_in_one_statement(
            matter, holder, choice, candidates, by, channel, mandate, code, now
        )
        if ballot is not None:
            return ballot
    return _cast_in_transaction(matter, holder, choice, candidates, by, channel, mandate, code, now)


def _cast_in_transaction(matter, holder, choice, candidates, by, channel, mandate, code, now):
    try:
        with transaction.atomic():
            # Read afresh and share-locked until commit: the window is checked against the
            # vote as it stands when the ballot is stored.
            vote = _vote_for_casting(matter.vote_id)
            head, choice, candidate_ids = _check_ballot(
                vote, matter, holder, choice, candidates, by, channel, mandate, now
            )
            ballot = _INSERT_BALLOT.create(
                **_ballot_fields(vote, matter, head, holder, choice, channel, code, by, mandate)
            )
            if candidate_ids:
                BallotSelection.objects.bulk_create(
                    [BallotSelection(ballot=ballot, candidate_id=c) for c in candidate_ids]
                )
            _audit_ballot(by, vote, ballot, "vote.cast")
    except IntegrityError:
        existing = Ballot.objects.filter(matter=matter, head=head).first()
        if existing is None:
            raise
        return _change_ballot(vote, existing, choice, candidate_ids, by, channel, code, now)
    ballot.receipt_code = code
    return ballot


def _ballot_fields(vote, matter, head, holder, choice, channel, code, by, mandate):
    return {
        "vote": vote,
        "matter": matter,
        "head": head,
        "holder": holder,
        "choice": choice,
        "channel": channel,
        "receipt_hash": receipt_hash(code),
        "cast_by": by,
        "mandate": mandate,
    }


def _cast_in_one_statement(matter, holder, choice, candidates, by, channel, mandate, code, now):
    """The ballot, its selections and its sealed audit entry stored by one statement
    (PostgreSQL), or None when the transactional path must decide instead.

    The vote is checked as the caller read it; the statement then share-locks the vote's row
    and stores nothing unless its status and window are still the ones checked. Outside a
    transaction the statement is its own, so the audit head, which every audited write locks
    in turn, is held only while PostgreSQL runs it and commits, and not across the round trips
    of a separate transaction (five instead of one) to a worker that may be waiting for a CPU.
    None, and nothing stored, when the vote has changed since it was read, when the ballot is
    refused on the vote as read (the transactional path, reading it afresh, says why), when
    this head has a ballot already (a change, or a double tap) or before the audit head
    exists.
    """
    vote = matter.vote
    try:
        head, choice, candidate_ids = _check_ballot(
            vote, matter, holder, choice, candidates, by, channel, mandate, now
        )
    except (VoteError, PermissionDenied):
        return None  # the vote as read may be stale: the locked read gives the answer
    ballot = Ballot(
        **_ballot_fields(vote, matter, head, holder, choice, channel, code, by, mandate)
    )
    values = [f.get_db_prep_save(f.pre_save(ballot, True), connection) for f in _BALLOT_FIELDS]
    entry = audit_entry_values(
        actor=by,
        verb="vote.cast",
        target_type=Ballot._meta.label_lower,
        community=vote.community_id,
        public=False,
        data=_ballot_audit_data(vote, ballot),
    )
    guard = [
        vote.pk,
        vote.status,
        _VOTE_OPENS.get_db_prep_value(vote.opens_at, connection),
        _VOTE_CLOSES.get_db_prep_value(vote.closes_at, connection),
    ]
    try:
        # Inside a caller's transaction (several matters under one receipt), a savepoint lets
        # a refused statement leave that transaction usable.
        with transaction.atomic() if connection.in_atomic_block else nullcontext():
            with connection.cursor() as cursor:
                params = [*guard, *values, list(candidate_ids), *entry]
                cursor.execute(*on_server(connection, cursor, [(_cast_sql(), params)]))
                row = cursor.fetchone()
    except IntegrityError:
        return None
    if row is None:
        return None
    if row[1] is None:  # cannot happen while the audit head exists, which the statement checks
        raise RuntimeError(f"ballot {row[0]} was stored without its audit entry")
    ballot.pk = row[0]
    ballot._state.adding = False
    ballot._state.db = connection.alias
    ballot.receipt_code = code
    return ballot


_BALLOT_FIELDS = [f for f in Ballot._meta.concrete_fields if f is not Ballot._meta.auto_field]


_VOTE_OPENS = AssemblyVote._meta.get_field("opens_at")


_VOTE_CLOSES = AssemblyVote._meta.get_field("closes_at")


_CAST_SQL = {}


def _cast_sql():
    """SQL of _cast_in_one_statement; names come from the models. Parameters: the vote's id,
    status, opens_at and closes_at as read; the ballot's columns (_BALLOT_FIELDS); the
    candidate ids; the audit entry's (audit.entry_values)."""
    if connection.alias not in _CAST_SQL:
        quote = connection.ops.quote_name
        vote, ballot = AssemblyVote._meta, Ballot._meta
        selection, head = BallotSelection._meta, AuditHead._meta
        vote_table, vote_pk = quote(vote.db_table), quote(vote.pk.column)
        status, opens, closes = (
            quote(vote.get_field(name).column) for name in ("status", "opens_at", "closes_at")
        )
        columns = ", ".join(quote(f.column) for f in _BALLOT_FIELDS)
        values = ", ".join(typed(f, connection) for f in _BALLOT_FIELDS)
        selection_columns = ", ".join(
            quote(selection.get_field(name).column) for name in ("ballot", "candidate")
        )
        head_exists = f"SELECT 1 FROM {quote(head.db_table)} WHERE {quote(head.pk.column)} = 1"  # noqa: S608
        _CAST_SQL[connection.alias] = (
            f"WITH cast_vote AS (SELECT {vote_pk} FROM {vote_table} "  # noqa: S608 (model names)
            f"WHERE {vote_pk} = %s AND {status} = %s AND {opens} = %s AND {closes} = %s "
            f"AND EXISTS ({head_exists}) FOR SHARE), "
            f"cast_ballot AS (INSERT INTO {quote(ballot.db_table)} ({columns}) "
            f"SELECT {values} FROM cast_vote RETURNING {quote(ballot.pk.column)} AS id), "
            f"cast_selections AS (INSERT INTO {quote(selection.db_table)} ({selection_columns}) "
            f"SELECT cast_ballot.id, candidate "
            f"FROM cast_ballot, unnest(%s::bigint[]) AS candidate), "
            f"{chain_ctes(connection, source='cast_ballot')} "
            f"SELECT cast_ballot.id, audit_entry.id FROM cast_ballot "
            f"LEFT JOIN audit_entry ON true"
        )
    return _CAST_SQL[connection.alias]


def _check_ballot(vote, matter, holder, choice, candidates, by, channel, mandate, now):
    """Who may cast this ballot now: returns (head, choice, candidate ids) or raises."""
    state = vote.state_at(now)
    if state != VoteState.OPEN and not (
        channel == BallotChannel.PAPER and state == VoteState.CLOSED
    ):
        raise _state_error(vote, now)
    if holder is None:
        raise VoteError(
            _("Only owners on the register vote; tenants and other residents cannot."),
            code="not_owner",
        )
    head = head_of(vote, holder, by)
    if head is None:
        raise VoteError(
            _(
                "Your name is not on the register of this vote. Ask your community worker to "
                "check it."
            ),
            code="not_in_electorate",
        )
    roles = vote_roles(by, vote)
    if channel == BallotChannel.ONLINE:
        if holder.user_id != by.pk:
            raise VoteError(
                _("Your name does not match the register — ask your community worker."),
                code="real_name",
            )
    elif channel == BallotChannel.MEETING:
        if holder.user_id != by.pk and TELLER not in roles:
            raise PermissionDenied
    elif channel == BallotChannel.PAPER:
        if TELLER not in roles:
            raise PermissionDenied
    elif channel == BallotChannel.PROXY:
        _check_mandate(mandate, vote, head, matter, by, choice, candidates)
    else:
        raise VoteError(_("Unknown ballot channel."), code="channel")
    choice, candidate_ids = _clean_choice(matter, choice, candidates, channel)
    return head, choice, candidate_ids


def _vote_for_casting(vote_id):
    """The vote, read with a share lock held until the caller's transaction ends.

    Ballots share the lock with each other; a cancellation (FOR NO KEY UPDATE, see _lock)
    waits for the ballots in flight, and a ballot cast meanwhile waits for it and then sees
    the vote cancelled. Django's select_for_update has no FOR SHARE, hence the suffix (SQLite
    has no row locks: BEGIN IMMEDIATE serialises its writers anyway).
    """
    vote = _VOTE_FOR_CASTING.first(vote_id)
    if vote is None:
        raise AssemblyVote.DoesNotExist
    return vote


_INSERT_BALLOT = PreparedInsert(Ballot)


_VOTE_FOR_CASTING = Prepared(
    lambda vote_id: AssemblyVote.objects.filter(pk=vote_id),
    int,
    suffix=lambda connection: " FOR SHARE" if connection.features.has_select_for_update else "",
)


def _change_ballot(vote, existing, choice, candidate_ids, by, channel, code, now):
    changeable = (
        vote.allow_change
        and existing.channel == channel
        and channel in (BallotChannel.ONLINE, BallotChannel.MEETING)
        and existing.cast_by_id == by.pk
    )
    if not changeable:
        raise _already_cast(existing)
    with transaction.atomic():
        ballot = Ballot.objects.select_for_update().get(pk=existing.pk)
        ballot.choice = choice
        ballot.changed_at = now
        ballot.receipt_hash = receipt_hash(code)
        ballot.save(update_fields=["choice", "changed_at", "receipt_hash"])
        ballot.selections.all().delete()
        BallotSelection.objects.bulk_create(
            [BallotSelection(ballot=ballot, candidate_id=c) for c in candidate_ids]
        )
        _audit_ballot(by, vote, ballot, "vote.change_ballot")
    ballot.receipt_code = code
    return ballot


def _audit_ballot(by, vote, ballot, verb):
    record_audit(
        actor=by,
        verb=verb,
        target=ballot,
        community=vote.community_id,
        public=False,
        data=_ballot_audit_data(vote, ballot),
    )


def _ballot_audit_data(vote, ballot):
    # The choice stays out of the log: only tellers and the owner see it.
    return {"vote": vote.pk, "matter": ballot.matter_id, "channel": ballot.channel}


def _check_mandate(mandate, vote, head, matter, by, choice, candidates):
    if (
        mandate is None
        or mandate.vote_id != vote.pk
        or mandate.revoked_at is not None
        or mandate.head != head
        or mandate.agent_id != by.pk
    ):
        raise VoteError(_("No valid written mandate lets you vote for this owner."), code="mandate")
    if not mandate.matters.filter(pk=matter.pk).exists():
        raise VoteError(_("The mandate does not cover “%(title)s”.") % {"title": matter.title})
    instruction = mandate.instructions.get(str(matter.pk))
    given = sorted(int(c) for c in candidates or []) if matter.is_election else choice
    expected = sorted(instruction or []) if matter.is_election else instruction
    if given != expected:
        raise VoteError(
            _("A proxy must vote as the owner instructed in the mandate."), code="instruction"
        )


def cast_ballots(vote, holder, choices, *, by, channel, mandate=None, now=None):
    """Cast several matters at once under one receipt code, all or nothing.

    `choices` maps each VoteMatter to a choice string or, for an election, a list of candidate
    ids. Returns (receipt_code, [ballots]).
    """
    code = new_receipt_code()
    ballots = []
    # One matter needs no outer transaction: cast_ballot's own is the whole of it (and no
    # savepoint is spent on it).
    with transaction.atomic() if len(choices) > 1 else nullcontext():
        for matter, choice in choices.items():
            if matter.vote_id != vote.pk:
                raise VoteError(_("This matter is not in the notice of this vote."), code="matter")
            if matter.is_election:
                if choice == BallotChoice.SPOILED:
                    ballot_choice, candidates = choice, None
                else:
                    ballot_choice, candidates = BallotChoice.LIST, choice
            else:
                ballot_choice, candidates = choice, None
            ballots.append(
                cast_ballot(
                    matter,
                    holder,
                    ballot_choice,
                    candidates=candidates,
                    by=by,
                    channel=channel,
                    mandate=mandate,
                    receipt_code=code,
                    now=now,
                )
            )
    return code, ballots


def verify_receipt(vote, code):
    """Ballots counted under this receipt code: [(matter title, channel label, time)]."""
    digest = receipt_hash(code)
    rows = (
        Ballot.objects.filter(vote=vote, receipt_hash=digest)
        .select_related("matter")
        .order_by("matter__position")
    )
    found = [
        {
            "matter": b.matter.title,
            "channel": BallotChannel(b.channel).label,
            "at": b.changed_at or b.created_at,
        }
        for b in rows
    ]
    if not found:
        raise VoteError(
            _("No ballot in this vote has this receipt code. Check the code and try again."),
            code="receipt",
        )
    return found


def own_ballots(vote, holder):
    """The owner's own ballots in this vote (choices included: they are the owner's)."""
    if holder is None:
        return []
    return list(
        Ballot.objects.filter(vote=vote, holder=holder)
        .select_related("matter")
        .prefetch_related("selections__candidate")
        .order_by("matter__position")
    )
