"""Dates are written one way per language on every page and in every message:
2026年12月16日 14:00 in Chinese, 16 Dec 2026 14:00 in English."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from deliberation.models import Notification
from meetings.models import Status
from tests.factories_execution import topic_with_task
from tests.meeting_factories import make_meeting

pytestmark = pytest.mark.django_db

MOMENT = datetime(2026, 12, 16, 14, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


def in_english(client, user):
    user.language = "en"
    user.save(update_fields=["language"])
    client.cookies["django_language"] = "en"


@pytest.fixture
def meeting(community, chair):
    with time_machine.travel(MOMENT):
        return make_meeting(community, chair, status=Status.NOTICED)


def test_a_meeting_s_time_is_written_the_chinese_way(client, chair, meeting):
    client.force_login(chair)
    for url in (reverse("meeting_list"), meeting.get_absolute_url()):
        text = client.get(url).text
        assert "2026年12月16日 14:00" in text
        assert "2026-12-16" not in text


def test_a_meeting_s_time_is_written_the_english_way(client, chair, meeting):
    in_english(client, chair)
    client.force_login(chair)
    for url in (reverse("meeting_list"), meeting.get_absolute_url()):
        text = client.get(url).text
        assert "16 Dec 2026 14:00" in text
        assert "2026-12-16" not in text


def test_a_new_task_s_due_date_in_the_notification_is_written_the_chinese_way(
    client, community, resident, community_worker, django_capture_on_commit_callbacks
):
    with time_machine.travel(MOMENT), django_capture_on_commit_callbacks(execute=True):
        _topic, task = topic_with_task(community, resident, community_worker)
    due = task.due_date
    client.force_login(resident)
    text = client.get(reverse("notifications")).text
    assert f"{due.year}年{due.month}月{due.day}日" in text
    assert due.isoformat() not in text
    assert Notification.objects.filter(user=resident).exists()


def test_the_dashboard_names_its_months_the_way_of_each_language(
    client, community, community_worker
):
    url = reverse("dashboard", args=[community.pk]) + "?start=2026-11&end=2026-12"
    client.force_login(community_worker)
    text = client.get(url).text
    assert "2026年11月" in text and "2026年12月" in text
    assert "2026-11 " not in text
    in_english(client, community_worker)
    text = client.get(url).text
    assert "Nov 2026" in text and "Dec 2026" in text
