"""Proxies: a holder's written mandate, and the agent casting as it instructs."""

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from deliberation.audit import record_audit
from deliberation.messages import Message
from deliberation.models import (
    Ballot,
    BallotChannel,
    BallotChoice,
    ProxyMandate,
    VoteState,
)
from deliberation.notices import notify
from deliberation.services.votes.casting import _already_cast, _clean_choice, cast_ballots
from deliberation.services.votes.roles import VoteError, _lock, _require, _state_error, head_of


def register_mandate(vote, *, holder, agent, instructions, document, document_type, by):
    """Record a written mandate: `instructions` maps VoteMatter → choice (or candidate ids)."""
    if not instructions:
        raise VoteError(_("A mandate must name at least one matter and the owner's instruction."))
    with transaction.atomic():
        vote = _lock(vote)
        state = vote.state
        if state not in (VoteState.NOTICED, VoteState.OPEN):
            raise _state_error(vote)
        _require(by, vote, "vote.register_mandate", state)
        head = head_of(vote, holder, by)
        if head is None:
            raise VoteError(_("This holder is not in the electorate of this vote."))
        if agent.pk == holder.user_id:
            raise VoteError(_("An owner cannot be their own proxy."), code="self")
        cap = vote.community.proxy_cap_per_agent
        held = ProxyMandate.objects.filter(vote=vote, agent=agent, revoked_at__isnull=True)
        if cap is not None and held.count() >= cap:
            raise VoteError(
                _("This agent already holds %(n)s mandates in this vote, the most allowed.")
                % {"n": cap},
                code="cap",
            )
        if ProxyMandate.objects.filter(vote=vote, head=head, revoked_at__isnull=True).exists():
            raise VoteError(_("This owner has already given a mandate in this vote."))
        stored = {}
        for matter, choice in instructions.items():
            if matter.vote_id != vote.pk:
                raise VoteError(_("This matter is not in the notice of this vote."))
            if Ballot.objects.filter(matter=matter, head=head).exists():
                raise _already_cast(Ballot.objects.get(matter=matter, head=head))
            if matter.is_election:
                _unused, ids = _clean_choice(matter, BallotChoice.LIST, choice, "proxy")
                stored[str(matter.pk)] = sorted(ids)
            else:
                _clean_choice(matter, choice, None, "proxy")
                stored[str(matter.pk)] = choice
        mandate = ProxyMandate.objects.create(
            vote=vote,
            holder=holder,
            head=head,
            agent=agent,
            instructions=stored,
            document=document,
            document_type=document_type,
            registered_by=by,
        )
        mandate.matters.set(list(instructions))
        record_audit(
            actor=by,
            verb="vote.register_mandate",
            target=vote,
            community=vote.community,
            data={"mandate": mandate.pk, "head": head, "agent": agent.pk},
        )
    notify(
        [agent],
        Message(gettext_noop("You hold a written mandate in “%(title)s”."), title=vote.title),
        vote.get_absolute_url(),
    )
    return mandate


def cast_as_instructed(mandate, *, by, now=None):
    """The agent casts every matter of the mandate exactly as the owner instructed."""
    choices = {}
    for matter in mandate.matters.order_by("position"):
        choices[matter] = mandate.instructions[str(matter.pk)]
    return cast_ballots(
        mandate.vote,
        mandate.holder,
        choices,
        by=by,
        channel=BallotChannel.PROXY,
        mandate=mandate,
        now=now,
    )
