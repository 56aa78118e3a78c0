"""Owners' assembly votes: convene, announce, cast on every channel, count, confirm, publish.

One module per concept, in the order they stand on each other (each imports only those above):

- ``roles``: VoteError; who a person is in a vote (roles, teller, the holder they vote as:
  ``voter_of``, ``head_of``), the permission check, the vote's state, lock and counting policy.
- ``electorate``: the register frozen at notice (``_freeze_electorate``), ``amend_electorate``.
- ``convening``: ``convene_vote``, matters and their documents, tellers, ``notice_checks``,
  ``publish_vote_notice``, ``cancel_vote``.
- ``casting``: ``cast_ballot``, the one way a ballot is cast on every channel (with the
  one-statement path on PostgreSQL behind it), ``cast_ballots``, receipts.
- ``paper``: paper ballots entered twice by tellers, mismatches, the worklist, ``ballot_sheets``.
- ``proxies``: ``register_mandate``, ``cast_as_instructed``.
- ``counting``: ``count_matter`` (aggregate queries handed to deliberation.rules), ``tally_vote``.
- ``elections``: candidates and their vetting, the new committee, by-elections.
- ``selection``: property-company selection (物业选聘): plans, applications, selection votes.
- ``results``: ``confirm_result``, ``publish_result``, ``result_context``, ``published_verdict``,
  ``vote_result_for_topic``.
- ``turnout``: turnout during the window, non-voters and the reminders sent to them.

The public names are re-exported here, so callers write ``votes.cast_ballot(...)``; private
helpers are imported from the module that defines them (and patched there in tests).
"""

from deliberation.services.votes.casting import (
    RECEIPT_ALPHABET,
    cast_ballot,
    cast_ballots,
    new_receipt_code,
    own_ballots,
    receipt_hash,
    verify_receipt,
)
from deliberation.services.votes.convening import (
    NoticeCheck,
    add_matter,
    appoint_teller,
    attach_matter_document,
    cancel_vote,
    convene_vote,
    notice_checks,
    publish_vote_notice,
    remove_matter_document,
)
from deliberation.services.votes.counting import (
    HeadHolding,
    count_matter,
    holdings_of,
    tally_vote,
)
from deliberation.services.votes.elections import (
    by_election_plan,
    register_candidate,
    start_by_election,
    vet_candidate,
)
from deliberation.services.votes.electorate import (
    amend_electorate,
    head_for_holder,
)
from deliberation.services.votes.paper import (
    PAPER_DISAGREE,
    PAPER_REENTER,
    PAPER_SECOND,
    ballot_sheets,
    clear_paper_mismatch,
    enter_paper_ballot,
    find_paper_ballot,
    paper_ballot_status,
    paper_entry_refusal,
    paper_mismatches,
    paper_worklist,
)
from deliberation.services.votes.proxies import (
    cast_as_instructed,
    register_mandate,
)
from deliberation.services.votes.results import (
    VERDICTS,
    building_breakdown,
    candidate_result_label,
    confirm_result,
    confirmations_needed,
    publish_result,
    published_verdict,
    result_context,
    vote_result_for_topic,
)
from deliberation.services.votes.roles import (
    ORDINARY_CHOICES,
    VoteError,
    forget_tellers,
    head_of,
    is_teller,
    matters_of,
    may_vote_action,
    policy_for,
    read_vote_page,
    remember_teller,
    vote_roles,
    vote_with_teller,
    voter_of,
)
from deliberation.services.votes.selection import (
    add_company_application,
    approve_selection_plan,
    create_selection_plan,
    publish_selection_plan,
    selection_round,
    shortlist_application,
    start_selection_vote,
)
from deliberation.services.votes.turnout import (
    non_voters,
    participation_gap,
    remind_non_voters,
    turnout,
    turnout_version,
)

__all__ = [
    "HeadHolding",
    "NoticeCheck",
    "ORDINARY_CHOICES",
    "PAPER_DISAGREE",
    "PAPER_REENTER",
    "PAPER_SECOND",
    "RECEIPT_ALPHABET",
    "VERDICTS",
    "VoteError",
    "add_company_application",
    "add_matter",
    "amend_electorate",
    "appoint_teller",
    "approve_selection_plan",
    "attach_matter_document",
    "ballot_sheets",
    "building_breakdown",
    "by_election_plan",
    "cancel_vote",
    "candidate_result_label",
    "cast_as_instructed",
    "cast_ballot",
    "cast_ballots",
    "clear_paper_mismatch",
    "confirm_result",
    "confirmations_needed",
    "convene_vote",
    "count_matter",
    "create_selection_plan",
    "enter_paper_ballot",
    "find_paper_ballot",
    "forget_tellers",
    "head_for_holder",
    "head_of",
    "holdings_of",
    "is_teller",
    "matters_of",
    "may_vote_action",
    "new_receipt_code",
    "non_voters",
    "notice_checks",
    "own_ballots",
    "paper_ballot_status",
    "paper_entry_refusal",
    "paper_mismatches",
    "paper_worklist",
    "participation_gap",
    "policy_for",
    "publish_result",
    "publish_selection_plan",
    "publish_vote_notice",
    "published_verdict",
    "read_vote_page",
    "receipt_hash",
    "register_candidate",
    "register_mandate",
    "remember_teller",
    "remind_non_voters",
    "remove_matter_document",
    "result_context",
    "selection_round",
    "shortlist_application",
    "start_by_election",
    "start_selection_vote",
    "tally_vote",
    "turnout",
    "turnout_version",
    "verify_receipt",
    "vet_candidate",
    "vote_result_for_topic",
    "vote_roles",
    "vote_with_teller",
    "voter_of",
]
