"""The chair's list of people in a large room: the console lists the first still absent, and
the whole list is a page of its own, found by name, a page at a time, each checked in there."""

from urllib.parse import urlencode

import pytest
from django.urls import reverse

from deliberation.models import AuditEntry
from meetings.models import Participant, SeatRole, Status
from meetings.rendering import CONSOLE_PEOPLE
from meetings.views import ATTENDANCE_PAGE
from tests.meeting_factories import make_meeting

pytestmark = pytest.mark.django_db


def seat_many(meeting, count, *, present=0):
    """`count` invited by name only (no account), the first `present` of them checked in."""
    Participant.objects.bulk_create(
        Participant(
            meeting=meeting,
            name=f"居民{n:05d}",
            role=SeatRole.OWNER,
            checked_in_at=meeting.starts_at if n < present else None,
        )
        for n in range(count)
    )


def room_people(html):
    section = html.split('id="room-attendance"', 1)[1].split("</section>", 1)[0]
    return section.count("<li>")


def listed(html):
    """The people on the attendance page."""
    return html.split('<ul class="room-people">', 1)[1].split("</ul>", 1)[0]


@pytest.fixture
def large_room(community, chair, community_worker):
    meeting = make_meeting(community, chair, secretary=community_worker)
    seat_many(meeting, 100, present=10)
    return meeting


def test_the_console_of_a_large_room_lists_the_first_not_checked_in_and_links_the_rest(
    client, large_room, chair
):
    client.force_login(chair)
    html = client.get(reverse("meeting_room", args=[large_room.pk])).content.decode()
    assert room_people(html) == CONSOLE_PEOPLE
    assert "居民00010" in html and "居民00009" not in html  # the present are not listed
    assert "尚未签到（90 人）" in html
    assert reverse("meeting_attendance", args=[large_room.pk]) in html
    assert "全部 100 位受邀人员" in html


def test_a_small_room_s_console_lists_everyone_with_no_link(client, community, chair, owner):
    meeting = make_meeting(community, chair, participants=[owner], checked_in=False)
    seat_many(meeting, 5, present=2)
    client.force_login(chair)
    html = client.get(reverse("meeting_room", args=[meeting.pk])).content.decode()
    assert room_people(html) == 6
    assert reverse("meeting_attendance", args=[meeting.pk]) not in html


def test_the_console_of_5000_seats_fits_a_websocket_message(client, community, chair):
    meeting = make_meeting(community, chair)
    seat_many(meeting, 5000)
    client.force_login(chair)
    page = client.get(reverse("meeting_room", args=[meeting.pk])).content
    assert len(page) < 200_000  # daphne carries a message of at most 1 MiB


def test_the_secretary_finds_a_person_by_name_and_checks_her_in(
    client, large_room, community_worker
):
    client.force_login(community_worker)
    url = reverse("meeting_attendance", args=[large_room.pk])
    found = client.get(url, {"q": " 居民00077 "}).content.decode()
    assert found.count('name="participant"') == 1
    assert "姓名含“居民00077”的有 1 人。" in found
    person = Participant.objects.get(meeting=large_room, name="居民00077")
    searched = f"{url}?{urlencode({'q': '居民00077'})}"
    response = client.post(searched, {"participant": str(person.pk)})
    assert response.status_code == 302 and response.url == searched
    person.refresh_from_db()
    assert person.checked_in_at is not None and person.checkin_method == "secretary"
    assert AuditEntry.objects.filter(verb="meeting.check_in").count() == 1
    again = client.get(response.url).content.decode()
    assert "已签到。" in again and "出席" in again


def test_the_list_goes_page_by_page(client, large_room, chair):
    client.force_login(chair)
    url = reverse("meeting_attendance", args=[large_room.pk])
    first = client.get(url).content.decode()
    last = client.get(url, {"page": "2"}).content.decode()
    assert listed(first).count("<li>") == ATTENDANCE_PAGE and "居民00000" in first
    assert listed(last).count("<li>") == 100 - ATTENDANCE_PAGE
    assert "居民00099" in last
    assert client.get(url, {"page": "nonsense"}).status_code == 200


@pytest.mark.parametrize("participant", ["", "abc", "-1", "99999999", "9" * 30])
def test_a_check_in_of_nobody_on_the_list_says_so_and_changes_nothing(
    client, large_room, chair, participant
):
    client.force_login(chair)
    url = reverse("meeting_attendance", args=[large_room.pk])
    response = client.post(url, {"participant": participant}, follow=True)
    assert "此人不在参会名单中。" in response.content.decode()
    assert Participant.objects.filter(meeting=large_room).exclude(checked_in_at=None).count() == 10


def test_after_the_meeting_the_list_reads_who_was_absent_and_checks_nobody_in(
    client, community, chair
):
    meeting = make_meeting(community, chair, status=Status.CLOSED)
    seat_many(meeting, 3)
    client.force_login(chair)
    url = reverse("meeting_attendance", args=[meeting.pk])
    html = client.get(url).content.decode()
    assert 'name="participant"' not in html and html.count("缺席") == 3
    person = Participant.objects.filter(meeting=meeting).first()
    assert client.post(url, {"participant": str(person.pk)}).status_code == 403
    person.refresh_from_db()
    assert person.checked_in_at is None


def test_a_name_nobody_has_says_so_instead_of_an_empty_list(client, large_room, chair):
    client.force_login(chair)
    url = reverse("meeting_attendance", args=[large_room.pk])
    html = client.get(url, {"q": "zzz<b>"}).content.decode()
    assert '<p class="empty">名单上没有这个姓名的人。</p>' in html
    assert '<ul class="room-people">' not in html and "zzz&lt;b&gt;" in html
