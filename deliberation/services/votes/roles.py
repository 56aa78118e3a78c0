"""Who a person is in a vote, and what state the vote is in.

Roles (community roles plus the teller appointment) and the permission check of every vote
operation (`_require`); the holder a user votes as (`voter_of`, `head_of`); the queries every
vote page starts with; the vote's state messages, its row lock and the counting policy.
`VoteError` (a ValidationError whose message is ready for the user) is raised by all of them.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from deliberation import rules
from deliberation.access import remember_roles, roles_in_estate, roles_query
from deliberation.models import (
    AssemblyVote,
    BallotChoice,
    ElectorateEntry,
    MatterKind,
    VoteMatter,
    VoteState,
    VoteTeller,
)
from deliberation.permissions import ALLOWED, TELLER, may
from plumbing.prepared import Prepared, together

ORDINARY_CHOICES = (BallotChoice.YES, BallotChoice.NO, BallotChoice.ABSTAIN)


class VoteError(ValidationError):
    """The operation is refused; the message says why and what to do, in the user's language."""


# What this module works out about a person once per request, in accounts.User's
# `request_cache` under this key: "tellers" {vote id: appointed?}, "heads" {(vote id, holder
# id): the head key the holder votes under}.
_CACHE_KEY = "deliberation.votes.roles"


def _cache(user, part):
    return user.request_cache.setdefault(_CACHE_KEY, {}).setdefault(part, {})


def forget_tellers(user):
    """Drop the person's remembered teller appointments, after they change."""
    if user.is_authenticated:
        user.request_cache.get(_CACHE_KEY, {}).pop("tellers", None)


def is_teller(user, vote):
    if not user.is_authenticated:
        return False
    cache = _cache(user, "tellers")
    if vote.pk not in cache:
        cache[vote.pk] = VoteTeller.objects.filter(vote=vote, user=user).exists()
    return cache[vote.pk]


_VOTE_WITH_TELLER = {}


def vote_with_teller(vote_id, user_id, related):
    """The vote with `related` (select_related names) and `user_is_teller`, or None: the query
    every vote page starts with, precompiled per `related`."""
    return _vote_with_teller(related).first(vote_id, user_id)


def read_vote_page(user, vote_id, related):
    """What the vote page reads first, in one round trip: the vote as vote_with_teller gives
    it (or None), its matters (matters_of) and the user's holder (voter_of); the user's roles
    everywhere are remembered for roles_of. The caller still checks that the user may see the
    vote before showing any of it."""
    roles, role_values = roles_query(user)
    vote_rows, role_rows, matters, entries = together(
        (_vote_with_teller(related), "objects", (vote_id, user.pk)),
        (roles, "rows", role_values),
        (_MATTERS, "objects", (vote_id,)),
        (_VOTER_ENTRY, "objects", (vote_id, user.pk)),
    )
    remember_roles(user, role_rows)
    if not vote_rows:
        return None, [], None
    vote = vote_rows[0]
    for matter in matters:
        matter.vote = vote
    return vote, matters, _holder_of_entry(user, vote, entries[0] if entries else None)


def _vote_with_teller(related):
    prepared = _VOTE_WITH_TELLER.get(related)
    if prepared is None:
        prepared = _VOTE_WITH_TELLER.setdefault(
            related,
            Prepared(
                lambda vote_id, user_id: (
                    AssemblyVote.objects.select_related(*related)
                    .annotate(
                        user_is_teller=Exists(
                            VoteTeller.objects.filter(vote=OuterRef("pk"), user=user_id)
                        )
                    )
                    .filter(pk=vote_id)
                ),
                int,
                int,
            ),
        )
    return prepared


_MATTERS = Prepared(
    lambda vote_id: VoteMatter.objects.filter(vote=vote_id).order_by("position"), int
)


def matters_of(vote):
    """The vote's matters in notice order (each with .vote set)."""
    matters = _MATTERS.objects(vote.pk)
    for matter in matters:
        matter.vote = vote
    return matters


def remember_teller(user, vote, appointed):
    """Keep an answer read with the vote itself, so is_teller does not ask again."""
    if user.is_authenticated:
        _cache(user, "tellers").setdefault(vote.pk, bool(appointed))


def vote_roles(user, vote):
    """Community roles (a committee's only in its own estate) plus the teller appointment."""
    roles = set(roles_in_estate(user, vote.community_id, vote.estate_id))
    if is_teller(user, vote):
        roles.add(TELLER)
    return frozenset(roles)


def may_vote_action(user, vote, action, state=None):
    return may(vote_roles(user, vote), action, state or vote.state)


def _require(user, vote, action, state=None):
    """PermissionDenied for a role that may never do this; a message when it is the wrong time."""
    state = state or vote.state
    roles = vote_roles(user, vote)
    if may(roles, action, state):
        return
    if any(allowed & roles for allowed in ALLOWED[action].values()):
        raise VoteError(
            _("This step is not possible now: the vote is “%(state)s”.")
            % {"state": VoteState(state).label},
            code="state",
        )
    raise PermissionDenied


def _state_error(vote, now=None):
    state = vote.state_at(now)
    if state in (VoteState.DRAFT, VoteState.NOTICED):
        return VoteError(
            _("Voting has not opened yet: it opens on %(time)s.") % {"time": _when(vote.opens_at)},
            code="not_open",
        )
    if state == VoteState.CANCELLED:
        return VoteError(_("This vote was cancelled."), code="cancelled")
    return VoteError(
        _("Voting closed on %(time)s; no more ballots can be cast.")
        % {"time": _when(vote.closes_at)},
        code="closed",
    )


def _when(value):
    return date_format(timezone.localtime(value), "DATETIME_FORMAT")


def _lock(vote):
    # FOR NO KEY UPDATE: a ballot inserted meanwhile takes a key-share lock on this row (its
    # foreign key), which a plain FOR UPDATE would block, deadlocking against the ballot's
    # unique-index wait (online and paper casting at once).
    return (
        AssemblyVote.objects.select_for_update(no_key=True)
        .select_related("community", "estate")
        .get(pk=vote.pk)
    )


def policy_for(community, matter=None):
    min_size = 1
    if matter is not None and matter.kind == MatterKind.ELECTION:
        min_size = 3 if matter.seats <= 3 else 5
    return rules.Policy(
        deemed_votes=community.deemed_votes_policy,
        tiebreak=community.election_tiebreak,
        min_committee_size=min_size,
    )


def head_of(vote, holder, by=None):
    """The head key the holder votes under in this vote's snapshot, or None. `by`: the person
    acting, whose request may know it already (voter_of read it with the holder)."""
    if by is not None and by.is_authenticated:
        known = _cache(by, "heads")
        if (vote.pk, holder.pk) in known:
            return known[(vote.pk, holder.pk)]
    return (
        ElectorateEntry.objects.filter(vote=vote, holder=holder)
        .values_list("head", flat=True)
        .first()
    )


def voter_of(vote, user):
    """The holder the user votes for in this vote (real-name link to the frozen register), or
    None; one query, which also answers head_of for that holder during this request."""
    return _holder_of_entry(user, vote, _VOTER_ENTRY.first(vote.pk, user.pk))


def _holder_of_entry(user, vote, entry):
    if entry is None:
        return None
    holder = entry.holder
    _cache(user, "heads")[(vote.pk, holder.pk)] = entry.head
    return holder


_VOTER_ENTRY = Prepared(
    lambda vote_id, user_id: (
        ElectorateEntry.objects.filter(vote=vote_id, holder__user=user_id)
        .select_related("holder")
        .order_by("holder_id", "building_name", "unit_label")
        .only("head", "holder")[:1]
    ),
    int,
    int,
)
