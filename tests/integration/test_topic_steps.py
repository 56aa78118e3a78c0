"""The smaller steps of a topic through its pages: edit, withdraw, merge, follow, react, report."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from deliberation.models import CommentReaction, CommentReport, Follow, Notification, Phase, Topic
from deliberation.services import topics as services
from tests.factories_execution import make_topic
from tests.topic_factories import collecting, discussing, draft, in_triage

pytestmark = pytest.mark.django_db


def test_the_author_edits_a_draft_then_submits_it(client, community, resident):
    topic = draft(community, resident)
    client.force_login(resident)
    response = client.post(
        reverse("topic_edit", args=[topic.pk]),
        {
            "title": "3号楼2单元电梯坏了",
            "description": "更详细的说明",
            "category": "facilities",
            "scope": "building",
            "building": community.estates.first().buildings.first().pk,
            "version": topic.version,
        },
    )
    assert response.status_code == 302
    topic.refresh_from_db()
    assert topic.title == "3号楼2单元电梯坏了" and topic.building is not None
    assert topic.estate == topic.building.estate
    client.post(reverse("topic_submit", args=[topic.pk]), {"version": topic.version})
    assert Topic.objects.get(pk=topic.pk).phase == Phase.COLLECTING


def test_a_building_topic_needs_its_building(client, community, resident):
    client.force_login(resident)
    response = client.post(
        reverse("topic_new", args=[community.pk]),
        {"title": "楼道灯", "description": "不亮", "category": "safety", "scope": "building"},
    )
    assert b"data-error-summary" in response.content
    assert not Topic.objects.exists()


def test_a_submitted_topic_can_no_longer_be_edited(client, community, resident):
    topic = collecting(community, resident)
    client.force_login(resident)
    response = client.get(reverse("topic_edit", args=[topic.pk]), follow=True)
    assert "只有草稿可以修改" in response.content.decode()


def test_submitting_twice_says_so_and_changes_nothing(client, community, resident):
    topic = draft(community, resident)
    client.force_login(resident)
    url = reverse("topic_submit", args=[topic.pk])
    client.post(url, {"version": topic.version})
    response = client.post(url, {"version": topic.version}, follow=True)
    assert response.status_code == 200
    assert Topic.objects.get(pk=topic.pk).phase == Phase.COLLECTING
    assert "刚刚" in response.content.decode() or "已经提交" in response.content.decode()


def test_the_proposer_withdraws_with_a_reason(client, community, resident):
    topic = collecting(community, resident)
    client.force_login(resident)
    client.post(
        reverse("topic_withdraw", args=[topic.pk]),
        {"version": topic.version, "reason": "物业已修好"},
    )
    topic.refresh_from_db()
    assert topic.phase == Phase.WITHDRAWN and topic.phase_reason == "物业已修好"


def test_a_worker_merges_a_duplicate_through_the_triage_page(
    client, community, resident, owner, community_worker
):
    main = discussing(community, owner, community_worker, title="电梯维修")
    topic = in_triage(community, resident, title="电梯又坏了")
    client.force_login(community_worker)
    client.post(
        reverse("topic_triage", args=[topic.pk]),
        {"version": topic.version, "outcome": "merge", "merge_into": main.pk, "reason": "同一事"},
    )
    topic.refresh_from_db()
    assert topic.phase == Phase.MERGED and topic.merged_into == main
    html = client.get(main.get_absolute_url()).content.decode()
    assert "电梯又坏了" in html  # the merged topic is listed on the main one


def test_following_toggles_and_htmx_gets_the_button(client, community, resident, owner):
    topic = collecting(community, resident)
    client.force_login(owner)
    url = reverse("topic_follow", args=[topic.pk])
    response = client.post(url, {"follow": "1"}, HTTP_HX_REQUEST="true")
    assert 'aria-pressed="true"' in response.content.decode()
    assert Follow.objects.filter(topic=topic, user=owner).exists()
    client.post(url, {"follow": "0"})
    assert not Follow.objects.filter(topic=topic, user=owner).exists()


def test_a_reaction_toggles_and_an_unknown_one_is_refused(
    client, community, resident, owner, community_worker
):
    topic = discussing(community, resident, community_worker)
    comment = services.add_comment(topic, by=owner, body="好", stance="support")
    client.force_login(resident)
    url = reverse("comment_react", args=[topic.pk, comment.pk])
    client.post(url, {"kind": "agree"})
    assert CommentReaction.objects.count() == 1
    client.post(url, {"kind": "agree"})
    assert CommentReaction.objects.count() == 0
    client.post(url, {"kind": "<script>"})
    assert CommentReaction.objects.count() == 0


def test_reporting_twice_says_so_and_tells_the_staff_once(
    client, community, resident, owner, community_worker, django_capture_on_commit_callbacks
):
    topic = discussing(community, resident, community_worker)
    comment = services.add_comment(topic, by=owner, body="难听的话", stance="oppose")
    client.force_login(resident)
    url = reverse("comment_report", args=[topic.pk, comment.pk])
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, {"reason": "骂人"})
    response = client.post(url, {"reason": "骂人"})
    assert "已经举报" in response.content.decode()
    assert CommentReport.objects.count() == 1
    assert Notification.objects.filter(user=community_worker).count() == 1


def test_hiding_needs_a_reason(client, community, resident, owner, community_worker):
    topic = discussing(community, resident, community_worker)
    comment = services.add_comment(topic, by=owner, body="x", stance="oppose")
    client.force_login(community_worker)
    response = client.post(reverse("comment_hide", args=[topic.pk, comment.pk]), {"reason": ""})
    assert response.status_code == 400
    comment.refresh_from_db()
    assert comment.hidden_at is None


def test_a_reply_notifies_the_author_of_the_comment(
    community, resident, owner, community_worker, django_capture_on_commit_callbacks
):
    topic = discussing(community, resident, community_worker)
    first = services.add_comment(topic, by=owner, body="一楼", stance="support")
    with django_capture_on_commit_callbacks(execute=True):
        services.add_comment(topic, by=resident, body="回复", stance="neutral", parent=first)
    note = Notification.objects.get(user=owner)
    assert "#comment-" in note.url and topic.title in note.text


def test_the_merge_list_offers_open_topics_newest_first(
    client, community, resident, owner, community_worker
):
    start = timezone.now() - timedelta(days=30)
    with time_machine.travel(start):
        oldest_open = discussing(community, owner, community_worker, title="电梯维修")
    with time_machine.travel(start + timedelta(days=1)):
        closed = make_topic(community, owner, title="去年的路灯", phase=Phase.CLOSED)
    with time_machine.travel(start + timedelta(days=2)):
        newer_open = collecting(community, owner, title="电梯噪音")
    with time_machine.travel(start + timedelta(days=3)):
        draft(community, owner, title="还没提交")
    topic = in_triage(community, resident, title="电梯又坏了")
    client.force_login(community_worker)
    page = client.get(reverse("topic_triage", args=[topic.pk])).text
    select = page[page.index('name="merge_into"') : page.index("</select>")]
    offered = [int(pk) for pk in re.findall(r'<option value="(\d+)"', select)]
    assert offered == [newer_open.pk, oldest_open.pk]
    # A closed topic cannot take the matter in, whatever the form sends.
    response = client.post(
        reverse("topic_triage", args=[topic.pk]),
        {"version": topic.version, "outcome": "merge", "merge_into": closed.pk, "reason": "同一事"},
    )
    assert response.status_code == 400
    topic.refresh_from_db()
    assert topic.phase == Phase.TRIAGE
