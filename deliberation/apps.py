from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DeliberationConfig(AppConfig):
    name = "deliberation"
    verbose_name = _("Deliberation")
    # What "download my data" exports (accounts/data_export.py): (key, title, model, lookups
    # tying a row to the person; the first that exists wins).
    personal_data = [
        ("memberships", _("Roles in communities"), "Membership", ["user"]),
        ("holdings", _("Holder records in the owners' register"), "Holder", ["user"]),
        ("ownerships", _("Units owned"), "Ownership", ["holder__user"]),
        ("flat_claims", _("Requests to link a flat"), "FlatClaim", ["user"]),
        ("topics", _("Topics proposed"), "Topic", ["proposer"]),
        ("cosigns", _("Co-signatures"), "CoSign", ["user"]),
        ("follows", _("Topics followed"), "Follow", ["user"]),
        ("comments", _("Comments"), "Comment", ["author"]),
        ("statements", _("Statements written for opinion maps"), "Statement", ["author"]),
        ("statement_answers", _("Your answers on statements"), "StatementVote", ["participant"]),
        ("ballots", _("Ballots cast for your units"), "Ballot", ["holder__user"]),
        ("proxy_mandates", _("Proxy mandates held"), "ProxyMandate", ["agent"]),
        ("ratings", _("Ratings"), "Rating", ["user"]),
        ("objections", _("Objections to notices"), "Objection", ["author"]),
        ("notifications", _("Notifications"), "Notification", ["user"]),
        ("deliveries", _("Notices served to you"), "Delivery", ["user"]),
    ]

    def ready(self):
        from deliberation import checks, receivers  # noqa: F401  (system checks, signal receivers)
        from deliberation.documents import published  # noqa: F401  (stores published results)
