"""Which pages the accessibility audit visits, as whom, and which URL names it skips and why.

Every named URL in the URL conf must be in AUDITED or EXEMPT: test_accessibility.py fails on a
name in neither. URL kwargs come from tests/integration/url_rules.py (the permission matrix),
so a page is built the same way in both places; PATHS covers pages outside that table.

To add a page: put its name here with the personas who use it (the first is the main one,
audited at 360 px and 1280 px in normal and large text; the others at 360 px).
"""

# name -> personas who use the page ("anonymous" for visitors who have not signed in)
AUDITED = {
    # Foundation and accounts
    "home": ("resident", "anonymous", "community_worker"),
    "my_units": ("owner",),
    "flat_claim": ("resident",),
    "flat_claims": ("community_worker",),
    "community_detail": ("resident", "community_worker"),
    "registry": ("community_worker",),
    "profile": ("resident",),
    "my_data": ("owner",),
    "account_login": ("anonymous",),
    "account_signup": ("anonymous",),
    "account_reset_password": ("anonymous",),
    "account_change_password": ("resident",),
    "account_email": ("resident",),
    # Simple mode
    "simple_home": ("resident",),
    "simple_matters": ("resident",),
    "simple_propose": ("resident",),
    "simple_votes": ("owner",),
    "simple_notices": ("resident",),
    # Topics 提 → 议 → 定, the notice board and notifications
    "topic_list": ("resident", "community_worker"),
    "topic_new": ("resident", "grid_worker"),
    "topic_detail": ("resident", "community_worker"),
    "topic_edit": ("resident",),
    "topic_history": ("resident",),
    "topic_triage": ("community_worker",),
    "topic_decide": ("committee_member",),
    "topic_withdraw": ("resident",),
    "comment_report": ("resident",),
    "comment_hide": ("community_worker",),
    "opinions": ("resident", "community_worker"),
    "opinion_map": ("resident",),
    "notice_board": ("resident", "anonymous"),
    "notice_detail": ("resident",),
    "notifications": ("resident",),
    "document_verify": ("resident", "anonymous"),
    "document_lookup": ("resident", "anonymous"),
    # Register import
    "register_import": ("community_worker",),
    # Execution, evaluation and the dashboards
    "task_list": ("community_worker", "resident"),
    "task_detail": ("community_worker", "partner"),
    "topic_tasks": ("resident",),
    "task_new": ("community_worker",),
    "topic_rate": ("resident",),
    "visit_new": ("grid_worker",),
    "topic_reopen": ("community_worker",),
    "partner_list": ("community_worker", "resident"),
    "order_service": ("resident",),
    "dashboard": ("community_worker", "observer"),
    "street_dashboard": ("observer",),
    # Meetings and the live room
    "meeting_list": ("resident", "chair"),
    "meeting_create": ("chair",),
    "meeting_detail": ("resident", "chair"),
    "meeting_room": ("owner", "chair"),
    "meeting_attendance": ("chair",),
    "meeting_checkin": ("owner",),
    "meeting_minutes": ("resident", "community_worker"),
    "meeting_paper": ("chair",),
    "meeting_delivery": ("community_worker",),
    "meeting_delivery_print": ("chair",),
    # Owners' assembly votes and property selection
    "vote_list": ("owner", "committee_member"),
    "vote_detail": ("owner", "committee_member"),
    # Background work
    "job_list": ("committee_member",),
    "job_detail": ("committee_member",),
    "vote_manage": ("committee_member",),
    "vote_candidates": ("owner",),
    "vote_electorate": ("owner",),
    "vote_turnout": ("owner", "committee_member"),
    "vote_paper": ("community_worker",),
    "vote_delivery": ("grid_worker", "committee_member"),
    "vote_delivery_print": ("grid_worker",),
    "vote_ballots": ("community_worker",),
    "vote_mandates": ("committee_member",),
    "vote_receipt": ("owner",),
    "vote_result": ("owner",),
    "selection_list": ("owner",),
    "selection_detail": ("owner",),
}

# Pages that have no row in url_rules.py: name -> path
PATHS = {
    "account_login": "/accounts/login/",
    "account_signup": "/accounts/signup/",
    "account_reset_password": "/accounts/password/reset/",
    "account_change_password": "/accounts/password/change/",
    "account_email": "/accounts/email/",
}

NOT_A_PAGE = "an action or a file, not a page: "

EXEMPT = {
    "healthz": NOT_A_PAGE + "JSON for the reverse proxy's health check.",
    "sms_status": NOT_A_PAGE + "JSON for the SMS gateway's delivery reports.",
    "set_preferences": NOT_A_PAGE
    + "POST only; its buttons sit in the header of every audited page.",
    "my_data_download": NOT_A_PAGE + "a JSON or xlsx download of the person's data.",
    "register_template": NOT_A_PAGE + "an xlsx template download.",
    "register_export": NOT_A_PAGE + "an xlsx download of the register.",
    "task_photo": NOT_A_PAGE + "an image served through a permission check.",
    "set_language": "Django's i18n view, not linked: the header's language button posts to "
    "set_preferences.",
    "admin:": "Django admin: for the operator's staff, not for residents, and Django's own.",
    "account_*": "allauth's remaining account pages (email, phone and password changes, "
    "confirmations) render through the same templates/allauth/ layouts and "
    "includes/form.html as the audited log-in, sign-up and password-reset pages.",
}


def exemption_for(name):
    """The reason a URL name is not audited, or None.

    Rows of url_rules.py marked html=False (files, images, JSON) or without GET (actions whose
    form sits on an audited page) are exempt by that marking; everything else is listed here.
    """
    from tests.integration.url_rules import RULES

    rule = RULES.get(name)
    if rule is not None and name not in AUDITED:
        if not rule.html:
            return NOT_A_PAGE + "url_rules.py marks it html=False (a file, image or JSON)."
        if "get" not in rule.methods:
            return NOT_A_PAGE + "POST only; the page that holds its form is audited."
    for key, reason in EXEMPT.items():
        if key == name or (key.endswith(":") and name.startswith(key)):
            return reason
        if key.endswith("*") and name.startswith(key[:-1]):
            return reason
    return None
