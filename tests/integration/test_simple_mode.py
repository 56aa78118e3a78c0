from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from deliberation.models import AssemblyVote, Category, Topic
from deliberation.notices import publish_notice

pytestmark = pytest.mark.django_db


def make_topic(community, proposer, title="楼道灯坏了"):
    return Topic.objects.create(
        community=community,
        title=title,
        description="三楼楼道灯不亮",
        category=Category.FACILITIES,
        proposer=proposer,
    )


def open_vote(community, by, **extra):
    now = timezone.now()
    return AssemblyVote.objects.create(
        community=community,
        estate=community.estates.first(),
        title="续聘物业表决",
        status="noticed",
        opens_at=now - timedelta(days=1),
        closes_at=now + timedelta(days=5),
        created_by=by,
        **extra,
    )


def test_the_simple_home_offers_four_big_choices(client, resident):
    client.force_login(resident)
    response = client.get(reverse("simple_home"))
    assert response.text.count('class="button simple-choice"') == 4
    for label in ("我要提议", "我的事项", "去投票", "看公示"):
        assert label in response.text


def test_the_home_page_links_to_simple_mode(client, resident):
    client.force_login(resident)
    assert reverse("simple_home") in client.get(reverse("home")).text


def test_my_matters_lists_the_topics_i_raised_and_not_others(client, resident, owner, community):
    make_topic(community, resident, "我的议题")
    make_topic(community, owner, "别人的议题")
    client.force_login(resident)
    response = client.get(reverse("simple_matters"))
    assert "我的议题" in response.text
    assert "别人的议题" not in response.text


def test_an_owner_sees_the_open_vote_of_their_estate(client, owner, chair, community):
    open_vote(community, chair)
    client.force_login(owner)
    assert "续聘物业表决" in client.get(reverse("simple_votes")).text


def test_a_resident_who_owns_nothing_has_no_vote(client, resident, chair, community):
    open_vote(community, chair)
    client.force_login(resident)
    response = client.get(reverse("simple_votes"))
    assert "续聘物业表决" not in response.text
    assert 'class="empty"' in response.text


def test_notices_show_my_community_only_with_chinese_dates(
    client, resident, community, other_community
):
    publish_notice(community=community, kind="other", title="停水通知", body="周五停水")
    publish_notice(community=other_community, kind="other", title="别处通知", body="无关")
    client.force_login(resident)
    response = client.get(reverse("simple_notices"))
    assert "停水通知" in response.text
    assert "别处通知" not in response.text
    assert f"{timezone.localdate().year}年" in response.text


def test_simple_mode_escapes_what_people_typed(client, resident, community):
    make_topic(community, resident, "<script>alert(1)</script>")
    client.force_login(resident)
    response = client.get(reverse("simple_matters"))
    assert "<script>alert(1)" not in response.text
    assert "&lt;script&gt;" in response.text


def test_simple_lists_use_a_fixed_number_of_queries(
    client, resident, community, django_assert_max_num_queries
):
    for i in range(15):
        make_topic(community, resident, f"议题{i}")
        publish_notice(community=community, kind="other", title=f"通知{i}", body="正文")
    client.force_login(resident)
    for name in ("simple_matters", "simple_notices", "simple_votes"):
        with django_assert_max_num_queries(12):
            assert client.get(reverse(name)).status_code == 200
