"""Cached page fragments (plumbing/fragments.py): fresh at once after a change, never shared
where they differ, and cheap the second time."""

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from deliberation.models import NoticeKind, Phase
from deliberation.notices import notify, publish_notice, supersede_notice
from deliberation.services import topics as services
from tests.topic_factories import collecting, discussing, draft, set_threshold

pytestmark = pytest.mark.django_db

COMMENT_ROWS = 'FROM "deliberation_comment"'


def page(client, url, **params):
    response = client.get(url, params)
    assert response.status_code == 200
    return response.content.decode()


def pressed(html, kind, comment):
    """aria-pressed of the member's reaction button `kind` on `comment`."""
    block = html[html.index(f'id="comment-{comment.pk}"') :]
    found = re.search(rf'value="{kind}" aria-pressed="(\w+)"', block)
    return found.group(1)


def in_english(client):
    client.post(reverse("set_preferences"), {"language": "en", "next": "/"})


# ---- the topic page's comment list -------------------------------------------------------


@pytest.fixture
def topic(community, resident, community_worker):
    return discussing(community, resident, community_worker)


def test_a_new_comment_shows_at_once(client, topic, resident, owner):
    client.force_login(resident)
    assert "三楼的意见" not in page(client, topic.get_absolute_url())
    services.add_comment(topic, by=owner, body="三楼的意见", stance="support")
    assert "三楼的意见" in page(client, topic.get_absolute_url())


def test_a_hidden_comment_disappears_at_once(client, topic, resident, owner, community_worker):
    comment = services.add_comment(topic, by=owner, body="不当言论", stance="oppose")
    client.force_login(resident)
    assert "不当言论" in page(client, topic.get_absolute_url())
    services.hide_comment(comment, by=community_worker, reason="人身攻击")
    html = page(client, topic.get_absolute_url())
    assert "不当言论" not in html and "人身攻击" in html


def test_moderators_and_residents_never_share_a_comment_list(
    client, topic, resident, owner, community_worker
):
    comment = services.add_comment(topic, by=owner, body="不当言论", stance="oppose")
    services.hide_comment(comment, by=community_worker, reason="人身攻击")
    client.force_login(community_worker)
    assert "不当言论" in page(client, topic.get_absolute_url())  # moderators still read it
    client.force_login(resident)
    assert "不当言论" not in page(client, topic.get_absolute_url())


def test_reaction_counts_change_at_once(client, topic, resident, owner):
    comment = services.add_comment(topic, by=owner, body="好主意", stance="support")
    client.force_login(resident)
    page(client, topic.get_absolute_url())
    client.post(reverse("comment_react", args=[topic.pk, comment.pk]), {"kind": "agree"})
    html = page(client, topic.get_absolute_url())
    assert pressed(html, "agree", comment) == "true"
    assert re.search(r'value="agree" aria-pressed="true">\S+ 1<', html)


def test_a_second_member_does_not_see_the_first_ones_reactions(client, topic, resident, owner):
    comment = services.add_comment(topic, by=owner, body="好主意", stance="support")
    services.react(comment, by=resident, kind="agree")
    client.force_login(resident)
    mine = page(client, topic.get_absolute_url())
    client.force_login(owner)
    theirs = page(client, topic.get_absolute_url())
    assert pressed(mine, "agree", comment) == "true"
    assert pressed(theirs, "agree", comment) == "false"
    assert pressed(theirs, "thanks", comment) == "false"


def test_each_member_gets_their_own_csrf_token_in_the_comment_forms(client, topic, resident, owner):
    services.add_comment(topic, by=owner, body="好主意", stance="support")
    client.force_login(resident)
    html = page(client, topic.get_absolute_url())
    tokens = set(re.findall(r'name="csrfmiddlewaretoken" value="([^"]*)"', html))
    assert tokens and all(len(token) == 64 for token in tokens)
    assert "<csrf>" not in html and "<agree" not in html and "<thanks" not in html
    url = reverse("comment_react", args=[topic.pk, 1])
    assert url.removesuffix("1/react/") in html  # the form posting that token is there


def test_a_comment_forging_a_placeholder_stays_text(client, topic, resident, owner):
    services.add_comment(topic, by=owner, body="<csrf> <agree 1>", stance="neutral")
    client.force_login(resident)
    html = page(client, topic.get_absolute_url())
    assert "&lt;csrf&gt; &lt;agree 1&gt;" in html


def test_the_comment_list_follows_a_language_switch(client, topic, resident, owner):
    services.add_comment(topic, by=owner, body="好主意", stance="support")
    client.force_login(resident)
    assert "举报" in page(client, topic.get_absolute_url())
    in_english(client)
    html = page(client, topic.get_absolute_url())
    assert ">Report<" in html and "举报" not in html


def seen_by_two(client, url, first_person, second_person):
    """`url` viewed by one person, then by another: the queries of each view, and the page
    the second person got."""
    client.force_login(first_person)
    with CaptureQueriesContext(connection) as first:
        page(client, url)
    client.force_login(second_person)
    with CaptureQueriesContext(connection) as second:
        html = page(client, url)
    return first.captured_queries, second.captured_queries, html


def test_the_second_view_of_a_comment_list_does_not_query_the_comments(
    client, topic, resident, owner
):
    for n in range(3):
        services.add_comment(topic, by=owner, body=f"意见{n}", stance="support")
    first, second, html = seen_by_two(client, topic.get_absolute_url(), owner, resident)
    assert any(COMMENT_ROWS in q["sql"] for q in first)
    assert not any(COMMENT_ROWS in q["sql"] for q in second)
    assert '<ol class="comments">' in html and all(f"意见{n}" in html for n in range(3))


def decide_today(topic, chair):
    """The chair records the residents' meeting's decision (更换主板), dated today."""
    services.record_decision(
        topic,
        by=chair,
        text="更换主板",
        decided_by="residents_meeting",
        decided_on=timezone.localdate(),
    )


def test_a_phase_change_changes_what_the_comment_list_offers(
    client, community, resident, owner, community_worker, chair
):
    topic = discussing(community, resident, community_worker)
    services.add_comment(topic, by=owner, body="好主意", stance="support")
    client.force_login(owner)
    assert "?reply=" in page(client, topic.get_absolute_url())
    decide_today(topic, chair)
    assert "?reply=" not in page(client, topic.get_absolute_url())


def test_a_decision_and_its_history_show_on_the_topic_page_at_once(client, topic, resident, chair):
    client.force_login(resident)
    html = page(client, topic.get_absolute_url())
    assert "更换主板" not in html
    decide_today(topic, chair)
    html = page(client, topic.get_absolute_url())
    account, _sep, history = html.partition('id="history"')
    assert 'id="decision-title"' in account and "更换主板" in account
    assert 'aria-current="step" class="current">' + str(Phase.DECIDED.label) in account
    assert "更换主板" in history  # the phase change, with its reason


def test_a_new_poll_shows_on_the_topic_page_at_once(client, topic, resident, community_worker):
    client.force_login(resident)
    assert "何时开工？" not in page(client, topic.get_absolute_url())
    services.create_poll(topic, by=community_worker, question="何时开工？", options=["早", "晚"])
    assert "何时开工？" in page(client, topic.get_absolute_url())


def test_staff_deadlines_never_reach_residents(client, community, resident, community_worker):
    topic = collecting(community, resident)
    client.force_login(community_worker)
    assert "受理期限" in page(client, topic.get_absolute_url())
    client.force_login(resident)
    assert "受理期限" not in page(client, topic.get_absolute_url())


def test_the_second_view_of_a_topic_does_not_read_its_history_or_photos(
    client, topic, resident, owner
):
    first, second, html = seen_by_two(client, topic.get_absolute_url(), owner, resident)
    tables = ('FROM "deliberation_auditentry"', 'FROM "deliberation_topicphoto"')
    assert all(any(t in q["sql"] for q in first) for t in tables)
    assert not any(t in q["sql"] for q in second for t in tables)
    assert '<h1 id="topic-title">' in html and '<section id="history"' in html


def test_two_topics_never_share_their_cached_parts(
    client, community, resident, owner, community_worker
):
    first = discussing(community, resident, community_worker, title="第一个议题")
    second = discussing(community, resident, community_worker, title="第二个议题")
    services.add_comment(first, by=owner, body="只属于第一个", stance="support")
    client.force_login(owner)
    page(client, first.get_absolute_url())
    html = page(client, second.get_absolute_url())
    assert "第二个议题" in html and "第一个议题" not in html and "只属于第一个" not in html


# ---- the topic list ---------------------------------------------------------------------


def test_a_submitted_topic_shows_in_the_list_at_once(client, community, resident, owner):
    url = reverse("topic_list", args=[community.pk])
    client.force_login(owner)
    page(client, url)
    collecting(community, resident, title="新提的议题")
    assert "新提的议题" in page(client, url)


def test_co_signs_and_phase_show_in_the_list_at_once(client, community, resident, owner):
    set_threshold(community, 5)
    topic = collecting(community, resident, title="要附议的议题")
    url = reverse("topic_list", args=[community.pk])
    client.force_login(owner)
    assert f"附议 0 / {topic.cosign_target}" in page(client, url)
    services.cosign_topic(topic, by=owner)
    assert f"附议 1 / {topic.cosign_target}" in page(client, url)
    services.withdraw_topic(topic, by=resident, reason="已自行解决")
    html = page(client, url)
    assert str(Phase.WITHDRAWN.label) in html and "附议 1 /" not in html


def test_a_members_draft_is_shown_to_them_alone(client, community, resident, owner):
    url = reverse("topic_list", args=[community.pk])
    client.force_login(owner)
    page(client, url)  # caches the list everyone shares
    draft(community, resident, title="我的草稿")
    client.force_login(resident)
    assert "我的草稿" in page(client, url)
    client.force_login(owner)
    assert "我的草稿" not in page(client, url)
    draft(community, resident, title="又一份草稿")
    client.force_login(resident)  # the first to see the list after the change
    assert "又一份草稿" in page(client, url)
    client.force_login(owner)
    assert "又一份草稿" not in page(client, url)


def test_the_search_box_shows_what_each_member_typed(client, community, resident, owner):
    url = reverse("topic_list", args=[community.pk])
    client.force_login(owner)
    assert 'value="电梯"' in page(client, url, q="电梯")
    client.force_login(resident)
    html = page(client, url, q=" 电梯 ")
    assert 'value=" 电梯 "' in html


def test_the_topic_list_follows_a_language_switch(client, community, resident, owner):
    collecting(community, resident)
    url = reverse("topic_list", args=[community.pk])
    client.force_login(owner)
    assert "搜索" in page(client, url)
    in_english(client)
    html = page(client, url)
    assert "1 topic" in html and "Search" in html


def test_the_second_view_of_the_list_does_not_count_or_fetch_the_topics(
    client, community, resident, owner
):
    for n in range(3):
        collecting(community, resident, title=f"议题{n}")
    url = reverse("topic_list", args=[community.pk])
    client.force_login(resident)
    page(client, url)
    with CaptureQueriesContext(connection) as second:
        html = page(client, url, phase="")
        html = page(client, url)
    assert not any('FROM "deliberation_topic"' in q["sql"] for q in second.captured_queries)
    assert '<article class="card topic-card">' in html
    assert all(f"议题{n}" in html for n in range(3))


# ---- the notice board -------------------------------------------------------------------


def board(client, community, **params):
    return page(client, reverse("notice_board", args=[community.pk]), **params)


def sections(html):
    current, _sep, past = html.partition('id="past"')
    return current, past


def test_a_published_notice_shows_at_once(client, community, resident):
    client.force_login(resident)
    board(client, community)
    publish_notice(community=community, kind=NoticeKind.OTHER, title="停水通知", body="x")
    current, past = sections(board(client, community))
    assert "停水通知" in current and "停水通知" not in past


def test_a_superseded_notice_moves_to_the_past_at_once(client, community, resident):
    old = publish_notice(community=community, kind=NoticeKind.OTHER, title="原通知", body="x")
    client.force_login(resident)
    board(client, community)
    supersede_notice(old, title="更正通知", body="y")
    current, past = sections(board(client, community))
    assert "更正通知" in current and "原通知" in past and "原通知" not in current


def test_a_notice_moves_to_the_past_when_its_period_ends(client, community, resident, monkeypatch):
    publish_notice(community=community, kind=NoticeKind.OTHER, title="短期通知", body="x", days=1)
    client.force_login(resident)
    current, _past = sections(board(client, community))
    assert "短期通知" in current
    later = timezone.now() + timedelta(days=2)
    monkeypatch.setattr(timezone, "now", lambda: later)
    current, past = sections(board(client, community))
    assert "短期通知" in past and "短期通知" not in current


def test_the_notice_board_follows_a_language_switch(client, community, resident):
    publish_notice(community=community, kind=NoticeKind.OTHER, title="停水通知", body="x")
    client.force_login(resident)
    assert "正在公示" in board(client, community)
    in_english(client)
    assert "Now posted" in board(client, community)


def test_the_second_view_of_the_board_does_not_query_the_notices(client, community, resident):
    publish_notice(community=community, kind=NoticeKind.OTHER, title="停水通知", body="x")
    client.force_login(resident)
    board(client, community)
    with CaptureQueriesContext(connection) as second:
        html = board(client, community)
    assert not any('FROM "deliberation_notice"' in q["sql"] for q in second.captured_queries)
    assert '<article class="card notice-card">' in html and "停水通知" in html


# ---- the bell ---------------------------------------------------------------------------


def bell(html):
    found = re.search(r'class="badge warn count">(\d+)<', html)
    return int(found.group(1)) if found else 0


def test_the_bell_counts_new_and_read_notifications_at_once(
    client, resident, django_capture_on_commit_callbacks
):
    client.force_login(resident)
    assert bell(page(client, "/")) == 0
    with django_capture_on_commit_callbacks(execute=True):
        notify([resident], "您的议题有新回复")
    assert bell(page(client, "/")) == 1
    client.post(reverse("notifications"))
    assert bell(page(client, "/")) == 0
