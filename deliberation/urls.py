from django.urls import path

from deliberation.views import dashboard as dashboard_views
from deliberation.views import execution as execution_views
from deliberation.views import home
from deliberation.views import notices as notice_views
from deliberation.views import notifications as notification_views
from deliberation.views import register as register_views
from deliberation.views import simple as simple_views
from deliberation.views import topics as topic_views

urlpatterns = [
    path("", home.home, name="home"),
    path("healthz", home.healthz, name="healthz"),
    path("my/units/", home.my_units, name="my_units"),
    path("c/<int:community_id>/", home.community_detail, name="community_detail"),
    path("c/<int:community_id>/registry/", home.registry, name="registry"),
    path(
        "c/<int:community_id>/registry/import/",
        register_views.register_import,
        name="register_import",
    ),
    path(
        "c/<int:community_id>/registry/template.xlsx",
        register_views.register_template,
        name="register_template",
    ),
    path(
        "c/<int:community_id>/registry/export.xlsx",
        register_views.register_export,
        name="register_export",
    ),
    # Topics 提 → 议 → 定, the notice board and notifications
    path("c/<int:community_id>/topics/", topic_views.topic_list, name="topic_list"),
    path("c/<int:community_id>/topics/new/", topic_views.topic_new, name="topic_new"),
    path("topics/<int:topic_id>/", topic_views.topic_detail, name="topic_detail"),
    path("topics/<int:topic_id>/edit/", topic_views.topic_edit, name="topic_edit"),
    path("topics/<int:topic_id>/submit/", topic_views.topic_submit, name="topic_submit"),
    path("topics/<int:topic_id>/cosign/", topic_views.topic_cosign, name="topic_cosign"),
    path("topics/<int:topic_id>/follow/", topic_views.topic_follow, name="topic_follow"),
    path("topics/<int:topic_id>/triage/", topic_views.topic_triage, name="topic_triage"),
    path("topics/<int:topic_id>/decide/", topic_views.topic_decide, name="topic_decide"),
    path("topics/<int:topic_id>/withdraw/", topic_views.topic_withdraw, name="topic_withdraw"),
    path("topics/<int:topic_id>/history/", topic_views.topic_history, name="topic_history"),
    path("topics/<int:topic_id>/polls/", topic_views.poll_create, name="poll_create"),
    path(
        "topics/<int:topic_id>/polls/<int:poll_id>/vote/",
        topic_views.poll_vote,
        name="poll_vote",
    ),
    path(
        "topics/<int:topic_id>/comments/<int:comment_id>/react/",
        topic_views.comment_react,
        name="comment_react",
    ),
    path(
        "topics/<int:topic_id>/comments/<int:comment_id>/report/",
        topic_views.comment_report,
        name="comment_report",
    ),
    path(
        "topics/<int:topic_id>/comments/<int:comment_id>/hide/",
        topic_views.comment_hide,
        name="comment_hide",
    ),
    path(
        "topics/<int:topic_id>/photos/<int:photo_id>/",
        topic_views.topic_photo,
        name="topic_photo",
    ),
    path("c/<int:community_id>/notices/", notice_views.notice_board, name="notice_board"),
    path(
        "c/<int:community_id>/notices/<int:notice_id>/",
        notice_views.notice_detail,
        name="notice_detail",
    ),
    path("notifications/", notification_views.notifications, name="notifications"),
    # Simple mode: one action per screen
    path("simple/", simple_views.simple_home, name="simple_home"),
    path("simple/matters/", simple_views.simple_matters, name="simple_matters"),
    path("simple/vote/", simple_views.simple_votes, name="simple_votes"),
    path("simple/notices/", simple_views.simple_notices, name="simple_notices"),
]

# 办 and 评: tasks, co-building units, ratings, visits, and the KPI dashboard
urlpatterns += [
    path("c/<int:community_id>/tasks/", execution_views.task_list, name="task_list"),
    path("tasks/<int:task_id>/", execution_views.task_detail, name="task_detail"),
    path(
        "tasks/<int:task_id>/photos/<int:photo_id>/",
        execution_views.task_photo,
        name="task_photo",
    ),
    path("topics/<int:topic_id>/tasks/", execution_views.topic_tasks, name="topic_tasks"),
    path("topics/<int:topic_id>/tasks/new/", execution_views.task_new, name="task_new"),
    path("topics/<int:topic_id>/rate/", execution_views.topic_rate, name="topic_rate"),
    path("topics/<int:topic_id>/visits/new/", execution_views.visit_new, name="visit_new"),
    path("c/<int:community_id>/partners/", execution_views.partner_list, name="partner_list"),
    path("c/<int:community_id>/dashboard/", dashboard_views.dashboard, name="dashboard"),
    path(
        "street/<int:street_office_id>/dashboard/",
        dashboard_views.street_dashboard,
        name="street_dashboard",
    ),
]
