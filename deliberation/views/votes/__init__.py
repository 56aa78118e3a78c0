"""Owners' assembly vote pages: thin views that parse, authorize, call a service, render.

One module per concept, each importing only ``access`` (and what it needs above it):

- ``access``: ``vote_for`` (outsiders 404, members without the role 403), what a page may offer
  (``_can``, ``may_manage``), ``_refuse_to`` (a refusal told on the page sent back to).
- ``convening``: the community's votes and a new one, the manage page (matters, their
  documents, tellers, the notice, cancelling), the electorate and its amendments.
- ``candidates``: an election's or selection's candidates, registered and vetted.
- ``casting``: the vote page where an owner casts a ballot, receipts, ``coverage_text``.
- ``turnout``: the figures while the vote is open, non-voters, reminders.
- ``paper``: the tellers' page for paper ballots entered twice.
- ``proxies``: mandates registered and cast as instructed.
- ``results``: the count, confirmations, the published result, by-elections, the export.

Every view is re-exported here: deliberation/urls.py names them as ``vote_views.<view>``.
"""

from deliberation.views.votes.access import (
    may_manage,
    vote_for,
)
from deliberation.views.votes.candidates import (
    vote_candidates,
    vote_vet_candidate,
)
from deliberation.views.votes.casting import (
    coverage_text,
    vote_detail,
    vote_receipt,
)
from deliberation.views.votes.convening import (
    vote_add_matter,
    vote_appoint_teller,
    vote_attach_document,
    vote_cancel,
    vote_electorate,
    vote_list,
    vote_manage,
    vote_matter_document,
    vote_publish_notice,
    vote_remove_document,
)
from deliberation.views.votes.paper import (
    vote_paper,
    vote_paper_clear,
)
from deliberation.views.votes.proxies import (
    vote_cast_as_proxy,
    vote_mandate_document,
    vote_mandates,
)
from deliberation.views.votes.results import (
    vote_ballots,
    vote_by_election,
    vote_confirm,
    vote_export,
    vote_publish_result,
    vote_result,
    vote_tally,
)
from deliberation.views.votes.turnout import (
    vote_turnout,
)

__all__ = [
    "coverage_text",
    "may_manage",
    "vote_add_matter",
    "vote_appoint_teller",
    "vote_attach_document",
    "vote_ballots",
    "vote_by_election",
    "vote_cancel",
    "vote_candidates",
    "vote_cast_as_proxy",
    "vote_confirm",
    "vote_detail",
    "vote_electorate",
    "vote_export",
    "vote_for",
    "vote_list",
    "vote_manage",
    "vote_mandate_document",
    "vote_mandates",
    "vote_matter_document",
    "vote_paper",
    "vote_paper_clear",
    "vote_publish_notice",
    "vote_publish_result",
    "vote_receipt",
    "vote_remove_document",
    "vote_result",
    "vote_tally",
    "vote_turnout",
    "vote_vet_candidate",
]
