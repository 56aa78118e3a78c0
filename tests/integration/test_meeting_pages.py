"""Meeting pages: preparing a meeting, the room without script, check-in by QR, minutes."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from meetings.models import ItemStatus, Meeting, Participant, Status
from tests.meeting_factories import live_consultation, make_meeting

pytestmark = pytest.mark.django_db


@pytest.fixture
def live_meeting(community, chair, community_worker, owner, resident):
    return live_consultation(community, chair, community_worker, owner, resident)


def test_the_chair_creates_a_meeting_and_prepares_its_agenda(client, community, chair, owner):
    client.force_login(chair)
    starts = (timezone.localtime() + timedelta(days=10)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(
        reverse("meeting_create", args=[community.pk]),
        {
            "kind": "hearing",
            "title": "加装电梯听证会",
            "chair": chair.pk,
            "place": "社区议事厅",
            "starts_at": starts,
            "speaking_time_s": 180,
        },
    )
    meeting = Meeting.objects.get()
    assert response.status_code == 302
    url = reverse("meeting_prepare", args=[meeting.pk, "items"])
    assert client.post(url, {"title": "加装电梯方案"}).status_code == 302
    url = reverse("meeting_prepare", args=[meeting.pk, "invite"])
    phone = owner.phone
    assert client.post(url, {"phone": phone, "role": "party"}).status_code == 302
    assert client.post(url, {"name": "王工程师", "role": "expert"}).status_code == 302
    assert client.post(reverse("meeting_prepare", args=[meeting.pk, "notice"])).status_code == 302
    meeting.refresh_from_db()
    assert meeting.status == Status.NOTICED
    assert list(meeting.participants.values_list("name", flat=True)) == ["李明", "王工程师"]
    page = client.get(meeting.get_absolute_url())
    assert "加装电梯方案" in page.content.decode()


def test_bad_input_when_creating_a_meeting_is_explained(client, community, chair):
    client.force_login(chair)
    response = client.post(
        reverse("meeting_create", args=[community.pk]),
        {"kind": "owners_session", "title": "", "chair": chair.pk, "starts_at": "yesterday"},
    )
    assert response.status_code == 200
    assert "data-error-summary" in response.content.decode()
    assert not Meeting.objects.exists()


def test_inviting_an_unknown_number_changes_nothing(client, community, chair):
    meeting = make_meeting(community, chair, status=Status.DRAFT)
    client.force_login(chair)
    url = reverse("meeting_prepare", args=[meeting.pk, "invite"])
    response = client.post(url, {"phone": "13999999999", "role": "owner"})
    assert response.status_code == 400
    assert not Participant.objects.exists()


def test_an_invited_person_replies(client, community, chair, owner):
    meeting = make_meeting(community, chair, participants=[owner], status=Status.NOTICED)
    client.force_login(owner)
    response = client.post(reverse("meeting_prepare", args=[meeting.pk, "rsvp"]), {"rsvp": "yes"})
    assert response.status_code == 302
    assert meeting.participants.get().rsvp == "yes"


def test_the_room_works_without_script(client, live_meeting, chair):
    client.force_login(chair)
    url = reverse("meeting_room", args=[live_meeting.pk])
    page = client.get(url)
    assert page.status_code == 200
    assert 'ws-connect="/ws/meetings/' in page.content.decode()
    assert page["Vary"].find("HX-Request") >= 0
    response = client.post(url, {"command": "next_item", "current": "0"})
    assert response.status_code == 302
    assert live_meeting.items.filter(status=ItemStatus.OPEN).count() == 1
    # The same command again is stale and explained, not applied twice.
    follow = client.post(url, {"command": "next_item", "current": "0"}, follow=True)
    assert "message error" in follow.content.decode()
    assert live_meeting.items.filter(status=ItemStatus.CLOSED).count() == 0


def test_a_participant_posting_a_chair_command_is_refused(client, live_meeting, owner):
    client.force_login(owner)
    url = reverse("meeting_room", args=[live_meeting.pk])
    assert client.post(url, {"command": "next_item", "current": "0"}).status_code == 403
    assert not live_meeting.items.filter(status=ItemStatus.OPEN).exists()


def test_the_door_qr_code_checks_a_participant_in(client, community, chair, owner):
    meeting = make_meeting(community, chair, participants=[owner], checked_in=False)
    client.force_login(chair)
    qr = client.get(reverse("meeting_qr", args=[meeting.pk]))
    assert qr["Content-Type"] == "image/svg+xml"
    client.force_login(owner)
    url = reverse("meeting_checkin", args=[meeting.pk, meeting.checkin_token])
    assert client.post(url).status_code == 302
    seat = meeting.participants.get()
    assert (seat.checked_in_at is not None, seat.checkin_method) == (True, "qr")
    wrong = reverse("meeting_checkin", args=[meeting.pk, "guessed"])
    assert client.post(wrong).status_code == 403


def test_the_public_display_is_large_and_read_only(client, live_meeting, chair):
    client.force_login(chair)
    page = client.get(reverse("meeting_room", args=[live_meeting.pk]) + "?view=display")
    html = page.content.decode()
    assert "room-display" in html
    assert 'value="next_item"' not in html
    assert "?view=display" in html


def test_an_outsider_watches_a_public_meeting_but_not_a_private_one(
    client, community, chair, outsider
):
    private = make_meeting(community, chair)
    public = make_meeting(community, chair, public_watch=True)
    client.force_login(outsider)
    assert client.get(reverse("meeting_room", args=[private.pk])).status_code == 404
    assert client.get(reverse("meeting_room", args=[public.pk])).status_code == 200


def test_the_meeting_list_needs_the_same_queries_for_more_meetings(
    client, community, chair, resident, django_assert_max_num_queries
):
    client.force_login(resident)
    make_meeting(community, chair)
    with django_assert_max_num_queries(12):
        client.get(reverse("meeting_list"))
    for _ in range(10):
        make_meeting(community, chair)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("meeting_list"))
    assert response.content.decode().count('class="card"') == 11


def test_minutes_page_walks_a_participant_through_a_correction(
    client, live_meeting, chair, community_worker, owner
):
    from meetings import services

    services.close_meeting(live_meeting, by=chair)
    services.send_for_corrections(live_meeting, by=community_worker)
    client.force_login(owner)
    url = reverse("meeting_minutes", args=[live_meeting.pk])
    assert client.post(url, {"action": "correct", "text": ""}).status_code == 400
    assert client.post(url, {"action": "correct", "text": "时间记错了"}).status_code == 302
    assert live_meeting.corrections.get().text == "时间记错了"
    assert client.post(url, {"action": "finalise"}).status_code == 403
    assert client.post(url, {"action": "bogus"}).status_code == 302
