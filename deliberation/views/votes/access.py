"""Who reaches a vote's pages: the vote for a person (outsiders 404, no role 403), what the page
may offer them, and how a refusal is told."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect

from deliberation.access import (
    community_ids_of,
    raise_not_found,
)
from deliberation.permissions import ALLOWED, may
from deliberation.services import votes as svc
from deliberation.services.votes import VoteError


def vote_for(user, vote_id, action=None, related=("community", "estate")):
    """The vote if the user belongs to its community (else 404) and, given an action, holds a
    role that may ever do it (else 403). Whether the vote's state allows it now is answered by
    the service with a message. `related`: what to load with it (vote.community is ~25 columns
    a busy page may not need)."""
    vote = None
    if user.is_authenticated:  # nobody else belongs to a community
        vote = svc.vote_with_teller(int(vote_id), user.pk, tuple(related))
    return _vote_seen_by(user, vote, action)


def _vote_seen_by(user, vote, action=None):
    """vote_for's checks on a vote already read (None if there is none)."""
    if vote is None or vote.community_id not in community_ids_of(user):
        raise_not_found()
    svc.remember_teller(user, vote, vote.user_is_teller)
    if action:
        roles = svc.vote_roles(user, vote)
        if not any(allowed & roles for allowed in ALLOWED[action].values()):
            raise PermissionDenied
    return vote


def _can(request, vote, *actions):
    roles = svc.vote_roles(request.user, vote)
    state = vote.state
    return {a.split(".")[1]: may(roles, a, state) for a in actions}


def may_manage(user, vote):
    return bool(svc.vote_roles(user, vote) & (ALLOWED["vote.convene"]["*"]))


def _refuse_to(request, error, name, *args):
    """Say why (a VoteError's messages, or a text) and send the person to the page `name`."""
    for message in getattr(error, "messages", [error]):
        messages.error(request, message)
    return redirect(name, *args)


def _run(request, call, done, name, *args):
    """Call the service (`call()`), say `done` and send the person to the page `name`; refused,
    say why and send them there all the same."""
    try:
        call()
    except VoteError as error:
        return _refuse_to(request, error, name, *args)
    messages.success(request, done)
    return redirect(name, *args)
