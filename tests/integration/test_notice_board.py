"""The notice board (公示栏): current and past notices, masked, never edited, only superseded."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from deliberation.models import Notice, NoticeKind
from deliberation.notices import publish_notice, supersede_notice
from tests.topic_factories import decided

pytestmark = pytest.mark.django_db


def test_a_decision_appears_on_the_board_with_its_period(
    client, community, resident, owner, community_worker, chair
):
    topic = decided(community, resident, community_worker, chair)
    client.force_login(owner)
    html = client.get(reverse("notice_board", args=[community.pk])).content.decode()
    assert f"决定公示：{topic.title}" in html
    notice = Notice.objects.get(kind=NoticeKind.DECISION)
    detail = client.get(reverse("notice_detail", args=[community.pk, notice.pk])).content.decode()
    assert "由物业在两周内更换电梯主板" in detail
    assert "王某" in detail and "王芳" not in detail
    assert "js/notice_board.js" in detail  # the print button, without inline script


def test_phone_numbers_are_hidden_on_the_board(client, community, resident):
    publish_notice(
        community=community,
        kind=NoticeKind.OTHER,
        title="联系人",
        body="有事请打 13812345678",
    )
    client.force_login(resident)
    notice = Notice.objects.get()
    html = client.get(reverse("notice_detail", args=[community.pk, notice.pk])).content.decode()
    assert "13812345678" not in html and "138****5678" in html


def test_expired_notices_move_to_the_past_list(client, community, resident):
    old = publish_notice(
        community=community, kind=NoticeKind.OTHER, title="旧通知", body="x", days=1
    )
    Notice.objects.filter(pk=old.pk).update(
        published_at=timezone.now() - timedelta(days=10), ends_at=timezone.now() - timedelta(days=9)
    )
    publish_notice(community=community, kind=NoticeKind.OTHER, title="新通知", body="y")
    client.force_login(resident)
    response = client.get(reverse("notice_board", args=[community.pk]))
    current = [n.title for n in response.context["current"]]
    past = [n.title for n in response.context["past"]]
    assert current == ["新通知"] and past == ["旧通知"]


def test_a_published_notice_cannot_be_edited(community):
    notice = publish_notice(community=community, kind=NoticeKind.OTHER, title="原文", body="x")
    notice.body = "改过"
    with pytest.raises(ValidationError):
        notice.save()


def test_a_superseded_notice_links_to_its_correction(client, community, resident):
    old = publish_notice(community=community, kind=NoticeKind.OTHER, title="原通知", body="x")
    new = supersede_notice(old, title="更正通知", body="y")
    client.force_login(resident)
    html = client.get(reverse("notice_detail", args=[community.pk, old.pk])).content.decode()
    assert "已被更正" in html and reverse("notice_detail", args=[community.pk, new.pk]) in html
    board = client.get(reverse("notice_board", args=[community.pk]))
    assert [n.title for n in board.context["current"]] == ["更正通知"]


def test_a_notice_of_another_community_is_not_found(client, community, outsider, other_community):
    notice = publish_notice(community=community, kind=NoticeKind.OTHER, title="内部", body="x")
    client.force_login(outsider)
    url = reverse("notice_detail", args=[other_community.pk, notice.pk])
    assert client.get(url).status_code == 404


def test_the_board_keeps_a_constant_number_of_queries(
    client, community, resident, django_assert_max_num_queries
):
    for i in range(30):
        publish_notice(community=community, kind=NoticeKind.OTHER, title=f"通知{i}", body="x")
    client.force_login(resident)
    with django_assert_max_num_queries(10):
        client.get(reverse("notice_board", args=[community.pk]))


def test_the_bell_counts_unread_notifications_and_marking_read_clears_it(client, resident):
    from deliberation.models import Notification

    Notification.objects.create(user=resident, text="议题有新进展", url="/")
    client.force_login(resident)
    html = client.get(reverse("notifications")).content.decode()
    assert "条未读" in html
    client.post(reverse("notifications"))
    assert not Notification.objects.filter(user=resident, read_at__isnull=True).exists()
