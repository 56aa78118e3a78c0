"""Topic pages: list, propose, the topic page with its htmx partials, and each lifecycle step.

Thin views: parse with a form, check access with `topic_for` / `community_for` (outsiders 404,
members without the role 403), call one service, render. A service's `ValidationError` (wrong
phase, stale form, already done) becomes a message on the page and changes nothing.

One module per concept: ``history`` (the public history in words), ``listing`` (the list and
its cached rows), ``page`` (the topic page, its cached fragments, listed at its head, and
adding a comment), ``proposing`` (new topic, draft edited), ``steps`` (submit, co-sign,
follow, triage, decide, withdraw), ``comments`` (react, report, hide), ``polls``. Every view
is re-exported here: deliberation/urls.py names them as ``topic_views.<view>``.
"""

from deliberation.views.topics.comments import (
    comment_hide,
    comment_react,
    comment_report,
)
from deliberation.views.topics.history import (
    OTHER_EVENT,
    TASK_VERBS,
    VERBS,
    describe,
    describe_all,
    history_with_tasks,
    topic_history,
)
from deliberation.views.topics.listing import (
    LIST_FILTERS,
    LIST_PAGE_SIZE,
    PHASE_BADGE,
    topic_list,
)
from deliberation.views.topics.page import (
    COMMENT_PAGE_SIZE,
    HISTORY_ON_PAGE,
    WORKFLOW,
    detail_context,
    topic_detail,
    topic_photo,
)
from deliberation.views.topics.polls import (
    poll_create,
    poll_vote,
)
from deliberation.views.topics.proposing import (
    topic_edit,
    topic_new,
)
from deliberation.views.topics.steps import (
    topic_cosign,
    topic_decide,
    topic_follow,
    topic_submit,
    topic_triage,
    topic_withdraw,
)

__all__ = [
    "COMMENT_PAGE_SIZE",
    "HISTORY_ON_PAGE",
    "LIST_FILTERS",
    "LIST_PAGE_SIZE",
    "OTHER_EVENT",
    "PHASE_BADGE",
    "TASK_VERBS",
    "VERBS",
    "WORKFLOW",
    "comment_hide",
    "comment_react",
    "comment_report",
    "describe",
    "describe_all",
    "detail_context",
    "history_with_tasks",
    "poll_create",
    "poll_vote",
    "topic_cosign",
    "topic_decide",
    "topic_detail",
    "topic_edit",
    "topic_follow",
    "topic_history",
    "topic_list",
    "topic_new",
    "topic_photo",
    "topic_submit",
    "topic_triage",
    "topic_withdraw",
]
