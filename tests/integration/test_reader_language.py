"""What the platform writes for later (notifications, 督办 notes, history) reads in the
reader's language, whatever language was active when it was written."""

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from deliberation.models import (
    Notification,
    Phase,
    Task,
    VisitChannel,
    VisitOutcome,
)
from deliberation.services import execution as svc
from tests.factories_execution import light_mended

pytestmark = pytest.mark.django_db


def reader(user, language):
    client = Client()
    client.force_login(user)
    client.cookies["django_language"] = language
    return client


@pytest.fixture
def reopened(
    community, resident, community_worker, grid_worker, django_capture_on_commit_callbacks
):
    """楼道灯不亮: fixed, then reopened after a failed follow-up visit, all written in Chinese."""
    with django_capture_on_commit_callbacks(execute=True):
        topic, task = light_mended(community, resident, community_worker)
        svc.record_visit(
            topic,
            by=grid_worker,
            visited_on=timezone.localdate(),
            channel=VisitChannel.HOME,
            outcome=VisitOutcome.FAILED,
            notes="灯又不亮了",
        )
        svc.reopen_topic(topic, by=grid_worker, tasks=[task])
    topic.refresh_from_db()
    assert topic.phase == Phase.EXECUTING
    return topic


def test_notifications_read_in_the_readers_language(reopened, resident):
    english = reader(resident, "en").get(reverse("notifications")).text
    assert "“楼道灯不亮” is now: Being carried out" in english
    assert "“楼道灯不亮” is now: Being rated" in english
    assert "现在：" not in english
    chinese = reader(resident, "zh-hans").get(reverse("notifications")).text
    assert "“楼道灯不亮”现在：办理中" in chinese
    assert "is now:" not in chinese


def test_a_notification_written_before_reads_as_it_was_written(resident):
    Notification.objects.create(user=resident, text="旧的通知：电梯检修", url="")
    page = reader(resident, "en").get(reverse("notifications")).text
    assert "旧的通知：电梯检修" in page


def test_the_reopened_task_and_its_supervision_note_read_in_english(reopened, community_worker):
    task = Task.objects.get(topic=reopened, round=2)
    assert task.title == "修灯"  # no generated prefix stored in what people wrote
    page = reader(community_worker, "en").get(reverse("task_detail", args=[task.pk])).text
    assert "The follow-up visit failed." in page
    assert "重新办理" not in page and "回访未通过" not in page
    chinese = reader(community_worker, "zh-hans").get(reverse("task_detail", args=[task.pk])).text
    assert "The follow-up visit failed." not in chinese


def test_the_history_says_each_event_in_words_in_both_languages(reopened, resident):
    url = reverse("topic_history", args=[reopened.pk])
    for language in ("en", "zh-hans"):
        page = reader(resident, language).get(url).text
        for code in ("topic.visit", "topic.rate", "topic.phase", "task.add", "task.complete"):
            assert code not in page, f"{code} shown raw in {language}"
    english = reader(resident, "en").get(url).text
    assert "Follow-up visit recorded" in english
    assert "The follow-up visit failed." in english


def test_a_declined_topics_notice_reads_in_the_readers_language(community, resident, chair):
    from deliberation.models import Notice
    from deliberation.services.topics import Outcome, triage_topic
    from tests import topic_factories as tf

    topic = tf.in_triage(community, resident, title="在小区里养鸡")
    triage_topic(topic, by=chair, outcome=Outcome.DECLINE, reason="不属于社区事务")
    notice = Notice.objects.get(kind="decline")
    url = reverse("notice_detail", args=[community.pk, notice.pk])

    english = reader(resident, "en").get(url).text
    assert "Not accepted: 在小区里养鸡" in english
    assert "Reason: 不属于社区事务" in english
    assert "不予受理" not in english
    chinese = reader(resident, "zh-hans").get(url).text
    assert "Not accepted" not in chinese
    assert "不属于社区事务" in chinese
    # The record as published stays in the site's language.
    assert "Not accepted" not in notice.title
