from django.urls import path, re_path

from meetings import views

urlpatterns = [
    path("", views.meeting_list, name="meeting_list"),
    path("new/<int:community_id>/", views.meeting_create, name="meeting_create"),
    path("<int:meeting_id>/", views.meeting_detail, name="meeting_detail"),
    re_path(
        r"^(?P<meeting_id>[0-9]+)/(?P<step>items|invite|notice|rsvp|chair)/$",
        views.meeting_prepare,
        name="meeting_prepare",
    ),
    path("<int:meeting_id>/room/", views.meeting_room, name="meeting_room"),
    path("<int:meeting_id>/attendance/", views.meeting_attendance, name="meeting_attendance"),
    path("<int:meeting_id>/qr.svg", views.meeting_qr, name="meeting_qr"),
    path("<int:meeting_id>/checkin/<str:token>/", views.meeting_checkin, name="meeting_checkin"),
    path("<int:meeting_id>/minutes/", views.meeting_minutes, name="meeting_minutes"),
    path("<int:meeting_id>/minutes/paper/", views.meeting_paper, name="meeting_paper"),
    path("<int:meeting_id>/delivery/", views.meeting_delivery, name="meeting_delivery"),
    re_path(
        r"^(?P<meeting_id>[0-9]+)/delivery/(?P<message>invitation|draft|minutes)/print/$",
        views.meeting_delivery_print,
        name="meeting_delivery_print",
    ),
]

# Printed records (PDF), with the permission of the meeting page
from meetings import documents_views  # noqa: E402

urlpatterns += [
    path("<int:meeting_id>/minutes.pdf", documents_views.minutes_pdf, name="meeting_minutes_pdf"),
    path(
        "<int:meeting_id>/hearing-record.pdf",
        documents_views.hearing_record_pdf,
        name="meeting_hearing_record_pdf",
    ),
]
