"""The correction period and an early opening, through the pages: forged requests get 403, bad
input a message and no change."""

from datetime import timedelta

import pytest
import time_machine
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from deliberation.models import AuditEntry
from meetings.models import Kind, Meeting, MinutesEntry, Status
from tests.meeting_factories import closed_consultation, make_meeting
from tests.pdf_checks import all_text, squeeze

pytestmark = pytest.mark.django_db


@pytest.fixture
def closed(community, chair, community_worker, owner, resident):
    return closed_consultation(community, chair, community_worker, owner, resident)


def minutes(client, user, meeting, **data):
    client.force_login(user)
    return client.post(reverse("meeting_minutes", args=[meeting.pk]), data)


def test_only_a_participant_may_confirm_the_draft(client, closed, community_worker, observer):
    assert minutes(client, community_worker, closed, action="send").status_code == 302
    assert minutes(client, observer, closed, action="confirm").status_code == 403
    assert not closed.participants.exclude(draft_confirmed_digest="").exists()


def test_a_confirmation_after_the_period_is_refused_and_changes_nothing(
    client, closed, community_worker, owner
):
    minutes(client, community_worker, closed, action="send")
    closed.refresh_from_db()
    with time_machine.travel(closed.corrections_until, tick=False):
        response = minutes(client, owner, closed, action="confirm")
        assert response.status_code == 302
        texts = [str(m) for m in get_messages(response.wsgi_request)]
        assert texts[-1] == "更正期限已过。"
    assert not closed.participants.exclude(draft_confirmed_digest="").exists()
    assert not AuditEntry.objects.filter(verb="meeting.confirm_draft").exists()


def noticed_hearing(community, chair, days):
    hearing = make_meeting(community, chair, kind=Kind.HEARING, status=Status.NOTICED)
    Meeting.objects.filter(pk=hearing.pk).update(starts_at=timezone.now() + timedelta(days=days))
    return hearing


def room_post(client, user, meeting, **data):
    client.force_login(user)
    return client.post(reverse("meeting_room", args=[meeting.pk]), data, follow=True)


def test_opening_early_without_confirmation_or_reason_is_refused(client, community, chair):
    hearing = noticed_hearing(community, chair, days=10)
    for data in ({}, {"early_reason": "急需"}, {"confirm_early": "1"}):
        page = room_post(client, chair, hearing, command="open_meeting", **data)
        assert page.status_code == 200
        assert "请确认并填写理由" in page.content.decode() or "请勾选确认" in page.content.decode()
        hearing.refresh_from_db()
        assert hearing.status == Status.NOTICED and hearing.opened_at is None
    assert not AuditEntry.objects.filter(verb="meeting.open_meeting").exists()


def test_a_forged_early_opening_by_someone_not_chairing_gets_403(
    client, community, chair, community_worker
):
    hearing = noticed_hearing(community, chair, days=10)
    client.force_login(community_worker)
    response = client.post(
        reverse("meeting_room", args=[hearing.pk]),
        {"command": "open_meeting", "early_reason": "急需", "confirm_early": "1"},
    )
    assert response.status_code == 403
    hearing.refresh_from_db()
    assert hearing.status == Status.NOTICED


def test_opening_on_the_noticed_day_needs_no_reason(client, community, chair):
    hearing = noticed_hearing(community, chair, days=0)
    room_post(client, chair, hearing, command="open_meeting")
    hearing.refresh_from_db()
    assert hearing.status == Status.LIVE and hearing.early_opening_reason == ""
    assert AuditEntry.objects.get(verb="meeting.open_meeting").data == {}


def test_a_hearing_record_waits_for_the_correction_period_too(
    client, community, chair, community_worker, owner
):
    hearing = make_meeting(
        community,
        chair,
        secretary=community_worker,
        participants=[owner],
        kind=Kind.HEARING,
        status=Status.CLOSED,
    )
    MinutesEntry.objects.create(
        meeting=hearing, text="陈述人意见：反对收费", author=community_worker
    )
    minutes(client, community_worker, hearing, action="send")
    minutes(client, owner, hearing, action="correct", text="我说的是反对涨价")
    correction = hearing.corrections.get()
    minutes(
        client,
        community_worker,
        hearing,
        action="resolve",
        correction=correction.pk,
        accept="1",
        response="已改",
    )
    hearing.refresh_from_db()
    response = minutes(client, chair, hearing, action="finalise")
    assert "尚未确认：李明" in str(list(get_messages(response.wsgi_request))[-1])
    hearing.refresh_from_db()
    assert hearing.status == Status.CORRECTIONS
    with time_machine.travel(hearing.corrections_until, tick=False):
        minutes(client, chair, hearing, action="finalise")
    hearing.refresh_from_db()
    assert hearing.status == Status.SIGNED
    # The record names the period's last day and 24:00, as the law counts it, not the
    # midnight that follows it.
    last_day = timezone.localtime(hearing.corrections_until) - timedelta(days=1)
    client.force_login(owner)
    pdf = client.get(reverse("meeting_hearing_record_pdf", args=[hearing.pk])).content
    text = squeeze(all_text(pdf))
    assert f"{last_day.year}年{last_day.month}月{last_day.day}日24:00" in text
    assert "00:00" not in text
