from django.urls import path

from deliberation.views import claims as claim_views
from deliberation.views import dashboard as dashboard_views
from deliberation.views import execution as execution_views
from deliberation.views import home
from deliberation.views import notices as notice_views
from deliberation.views import notifications as notification_views
from deliberation.views import opinions as opinion_views
from deliberation.views import register as register_views
from deliberation.views import simple as simple_views
from deliberation.views import topics as topic_views

urlpatterns = [
    path("", home.home, name="home"),
    path("healthz", home.healthz, name="healthz"),
    path("my/units/", home.my_units, name="my_units"),
    path("my/units/claim/", claim_views.flat_claim, name="flat_claim"),
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
    path("c/<int:community_id>/registry/claims/", claim_views.flat_claims, name="flat_claims"),
    path(
        "c/<int:community_id>/registry/claims/<int:claim_id>/",
        claim_views.flat_claim_answer,
        name="flat_claim_answer",
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
    path("topics/<int:topic_id>/opinions/", opinion_views.opinions, name="opinions"),
    path("topics/<int:topic_id>/opinions/map/", opinion_views.opinion_map, name="opinion_map"),
    path(
        "topics/<int:topic_id>/opinions/map.xlsx",
        opinion_views.opinion_map_xlsx,
        name="opinion_map_xlsx",
    ),
    path(
        "topics/<int:topic_id>/opinions/write/",
        opinion_views.statement_write,
        name="statement_write",
    ),
    path(
        "topics/<int:topic_id>/opinions/<int:statement_id>/answer/",
        opinion_views.statement_answer,
        name="statement_answer",
    ),
    path(
        "topics/<int:topic_id>/opinions/<int:statement_id>/moderate/",
        opinion_views.statement_moderate,
        name="statement_moderate",
    ),
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
    path("simple/propose/", simple_views.simple_propose, name="simple_propose"),
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
    path("topics/<int:topic_id>/reopen/", execution_views.topic_reopen, name="topic_reopen"),
    path("c/<int:community_id>/partners/", execution_views.partner_list, name="partner_list"),
    path("offerings/<int:offering_id>/order/", execution_views.order_service, name="order_service"),
    path("c/<int:community_id>/dashboard/", dashboard_views.dashboard, name="dashboard"),
    path(
        "street/<int:street_office_id>/dashboard/",
        dashboard_views.street_dashboard,
        name="street_dashboard",
    ),
]

# Owners' assembly votes (业主大会表决) and property-company selection (物业选聘)
from deliberation.views import selection as selection_views  # noqa: E402
from deliberation.views import votes as vote_views  # noqa: E402

urlpatterns += [
    path("c/<int:community_id>/votes/", vote_views.vote_list, name="vote_list"),
    path("votes/<int:vote_id>/", vote_views.vote_detail, name="vote_detail"),
    path("votes/<int:vote_id>/manage/", vote_views.vote_manage, name="vote_manage"),
    path("votes/<int:vote_id>/matters/", vote_views.vote_add_matter, name="vote_add_matter"),
    path(
        "votes/<int:vote_id>/matters/<int:matter_id>/document/",
        vote_views.vote_matter_document,
        name="vote_matter_document",
    ),
    path(
        "votes/<int:vote_id>/matters/<int:matter_id>/document/attach/",
        vote_views.vote_attach_document,
        name="vote_attach_document",
    ),
    path(
        "votes/<int:vote_id>/matters/<int:matter_id>/document/remove/",
        vote_views.vote_remove_document,
        name="vote_remove_document",
    ),
    path("votes/<int:vote_id>/tellers/", vote_views.vote_appoint_teller, name="vote_tellers"),
    path("votes/<int:vote_id>/notice/", vote_views.vote_publish_notice, name="vote_notice"),
    path("votes/<int:vote_id>/cancel/", vote_views.vote_cancel, name="vote_cancel"),
    path(
        "votes/<int:vote_id>/matters/<int:matter_id>/candidates/",
        vote_views.vote_candidates,
        name="vote_candidates",
    ),
    path(
        "votes/<int:vote_id>/candidates/<int:candidate_id>/vet/",
        vote_views.vote_vet_candidate,
        name="vote_vet",
    ),
    path("votes/<int:vote_id>/electorate/", vote_views.vote_electorate, name="vote_electorate"),
    path("votes/<int:vote_id>/turnout/", vote_views.vote_turnout, name="vote_turnout"),
    path("votes/<int:vote_id>/paper/", vote_views.vote_paper, name="vote_paper"),
    path(
        "votes/<int:vote_id>/paper/<int:matter_id>/<str:head>/clear/",
        vote_views.vote_paper_clear,
        name="vote_paper_clear",
    ),
    path("votes/<int:vote_id>/mandates/", vote_views.vote_mandates, name="vote_mandates"),
    path(
        "votes/<int:vote_id>/mandates/<int:mandate_id>/document/",
        vote_views.vote_mandate_document,
        name="vote_mandate_document",
    ),
    path(
        "votes/<int:vote_id>/mandates/<int:mandate_id>/cast/",
        vote_views.vote_cast_as_proxy,
        name="vote_cast_as_proxy",
    ),
    path("votes/<int:vote_id>/result/", vote_views.vote_result, name="vote_result"),
    path("votes/<int:vote_id>/tally/", vote_views.vote_tally, name="vote_tally"),
    path("votes/<int:vote_id>/confirm/", vote_views.vote_confirm, name="vote_confirm"),
    path("votes/<int:vote_id>/publish/", vote_views.vote_publish_result, name="vote_publish"),
    path(
        "votes/<int:vote_id>/matters/<int:matter_id>/by-election/",
        vote_views.vote_by_election,
        name="vote_by_election",
    ),
    path("votes/<int:vote_id>/receipt/", vote_views.vote_receipt, name="vote_receipt"),
    path("votes/<int:vote_id>/ballots/", vote_views.vote_ballots, name="vote_ballots"),
    path("votes/<int:vote_id>/export.xlsx", vote_views.vote_export, name="vote_export"),
    path("c/<int:community_id>/selection/", selection_views.plan_list, name="selection_list"),
    path("selection/<int:plan_id>/", selection_views.plan_detail, name="selection_detail"),
    path(
        "selection/<int:plan_id>/<str:step>/",
        selection_views.plan_step,
        name="selection_step",
    ),
]

# Printed documents (PDF): each hangs from the page whose permission it checks
from deliberation.views import documents as document_views  # noqa: E402

urlpatterns += [
    path(
        "c/<int:community_id>/notices/<int:notice_id>/pdf",
        document_views.notice_pdf,
        name="notice_pdf",
    ),
    path("votes/<int:vote_id>/result.pdf", document_views.vote_result_pdf, name="vote_result_pdf"),
    path(
        "votes/<int:vote_id>/ballots.pdf", document_views.vote_ballots_pdf, name="vote_ballots_pdf"
    ),
    path("documents/verify/", document_views.document_lookup, name="document_lookup"),
    path("documents/verify/<str:code>/", document_views.document_verify, name="document_verify"),
]

from deliberation.views import jobs as job_views  # noqa: E402

urlpatterns += [
    path("jobs/", job_views.job_list, name="job_list"),
    path("jobs/<int:job_id>/", job_views.job_detail, name="job_detail"),
    path("jobs/<int:job_id>/retry", job_views.job_retry, name="job_retry"),
    path("jobs/<int:job_id>/files/<int:index>", job_views.job_file, name="job_file"),
    path(
        "votes/<int:vote_id>/ballots/print",
        document_views.vote_ballots_print,
        name="vote_ballots_print",
    ),
]

# Service of notice (送达): the SMS gateway's delivery reports
from deliberation.views import delivery as delivery_views  # noqa: E402

urlpatterns += [
    path("sms/status/<str:token>/", delivery_views.sms_status, name="sms_status"),
    path("votes/<int:vote_id>/delivery/", delivery_views.vote_delivery, name="vote_delivery"),
    path(
        "votes/<int:vote_id>/delivery.xlsx",
        delivery_views.vote_delivery_export,
        name="vote_delivery_export",
    ),
    path(
        "votes/<int:vote_id>/delivery.pdf",
        delivery_views.vote_delivery_pdf,
        name="vote_delivery_pdf",
    ),
    path(
        "votes/<int:vote_id>/delivery/<int:building_id>/print/",
        delivery_views.vote_delivery_print,
        name="vote_delivery_print",
    ),
]
