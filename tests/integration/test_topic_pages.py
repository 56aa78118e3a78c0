"""The topic pages as a person uses them: forms, bad input, htmx partials, photos, query counts."""

import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from deliberation.models import Comment, Phase, Topic, TopicPhoto
from deliberation.services import topics as services
from tests.topic_factories import collecting, discussing, in_triage, quick_residents, set_threshold

pytestmark = pytest.mark.django_db


def photo(name="lift.jpg", exif=True):
    image = Image.new("RGB", (40, 30), "red")
    out = io.BytesIO()
    if exif:
        data = Image.Exif()
        data[0x010F] = "PhoneMaker"  # Make
        data[0x8825] = {1: "N"}  # GPS info
        image.save(out, format="JPEG", exif=data)
    else:
        image.save(out, format="JPEG")
    return SimpleUploadedFile(name, out.getvalue(), content_type="image/jpeg")


def proposal(**extra):
    return {
        "title": "3号楼电梯坏了",
        "description": "电梯停了三天。",
        "category": "facilities",
        "scope": "community",
        **extra,
    }


def test_a_resident_proposes_with_a_photo_and_submits(client, community, resident):
    client.force_login(resident)
    response = client.post(
        reverse("topic_new", args=[community.pk]), proposal(photos=photo(), submit="1")
    )
    topic = Topic.objects.get()
    assert response.status_code == 302 and response.url == topic.get_absolute_url()
    assert topic.phase == Phase.COLLECTING
    stored = TopicPhoto.objects.get(topic=topic)
    served = client.get(reverse("topic_photo", args=[topic.pk, stored.pk]))
    assert served.status_code == 200 and served["Content-Type"] == "image/jpeg"
    body = b"".join(served.streaming_content)
    assert not Image.open(io.BytesIO(body)).getexif()  # EXIF (GPS, camera) stripped


def test_an_outsider_cannot_fetch_a_photo(client, community, resident, outsider):
    topic = services.propose_topic(
        community,
        by=resident,
        photos=[(photo().read(), "image/jpeg")],
        **proposal(),
    )
    stored = topic.photos.get()
    client.force_login(outsider)
    assert client.get(reverse("topic_photo", args=[topic.pk, stored.pk])).status_code == 404


@pytest.mark.parametrize(
    ("field", "value"),
    [("title", ""), ("title", "   "), ("title", "长" * 10_000), ("description", "")],
)
def test_bad_titles_and_texts_are_refused_with_a_message(client, community, resident, field, value):
    client.force_login(resident)
    response = client.post(reverse("topic_new", args=[community.pk]), proposal(**{field: value}))
    assert response.status_code == 200
    assert b"data-error-summary" in response.content
    assert not Topic.objects.exists()


def test_a_non_image_upload_is_refused_and_nothing_is_saved(client, community, resident):
    client.force_login(resident)
    fake = SimpleUploadedFile("lift.jpg", b"%PDF-1.4 not a photo", content_type="image/jpeg")
    response = client.post(reverse("topic_new", args=[community.pk]), proposal(photos=fake))
    assert b"data-error-summary" in response.content
    assert "不是照片" in response.content.decode() or "not a photo" in response.content.decode()
    assert not Topic.objects.exists() and not TopicPhoto.objects.exists()


def test_an_oversized_photo_is_refused(client, community, resident, settings):
    settings.UPLOAD_MAX_BYTES = 100
    client.force_login(resident)
    response = client.post(reverse("topic_new", args=[community.pk]), proposal(photos=photo()))
    assert b"data-error-summary" in response.content
    assert not Topic.objects.exists()


def test_a_double_submitted_proposal_makes_one_topic(client, community, resident):
    client.force_login(resident)
    url = reverse("topic_new", args=[community.pk])
    client.post(url, proposal(submit="1"))
    client.post(url, proposal(submit="1"))
    assert Topic.objects.count() == 1


def test_script_in_user_text_is_escaped(client, community, resident, community_worker):
    topic = discussing(community, resident, community_worker, title="<script>alert(1)</script>")
    services.add_comment(topic, by=resident, body="<img src=x onerror=alert(2)>", stance="oppose")
    client.force_login(resident)
    html = client.get(topic.get_absolute_url()).content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<img src=x" not in html


def test_co_signing_by_htmx_returns_the_progress_partial(client, community, resident, owner):
    set_threshold(community, 3)
    topic = collecting(community, resident)
    client.force_login(owner)
    response = client.post(reverse("topic_cosign", args=[topic.pk]), HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="cosign"' in html and "<html" not in html
    assert 'aria-valuenow="1"' in html


def test_a_second_co_sign_by_the_page_says_so(client, community, resident, owner):
    set_threshold(community, 3)
    topic = collecting(community, resident)
    client.force_login(owner)
    client.post(reverse("topic_cosign", args=[topic.pk]))
    response = client.post(reverse("topic_cosign", args=[topic.pk]), follow=True)
    assert "已经附议" in response.content.decode()
    assert Topic.objects.get(pk=topic.pk).cosign_count == 1


def test_a_stale_triage_form_changes_nothing(client, community, resident, community_worker, chair):
    topic = in_triage(community, resident)
    client.force_login(chair)
    form = {"version": topic.version, "outcome": "decline", "reason": "不属于社区事务"}
    services.triage_topic(topic, by=community_worker, outcome="accept")
    response = client.post(reverse("topic_triage", args=[topic.pk]), form)
    assert response.status_code == 400
    assert "刚刚" in response.content.decode() or "a moment ago" in response.content.decode()
    assert Topic.objects.get(pk=topic.pk).phase == Phase.DISCUSSING


def test_triage_from_the_wrong_state_says_so(client, community, resident, chair):
    topic = collecting(community, resident)
    services.withdraw_topic(topic, by=resident)
    client.force_login(chair)
    response = client.get(reverse("topic_triage", args=[topic.pk]), follow=True)
    assert response.redirect_chain
    assert Topic.objects.get(pk=topic.pk).phase == Phase.WITHDRAWN


def test_a_reply_to_a_reply_stays_on_the_second_level(
    client, community, resident, owner, community_worker
):
    topic = discussing(community, resident, community_worker)
    first = services.add_comment(topic, by=resident, body="一楼", stance="support")
    second = services.add_comment(topic, by=owner, body="二楼", stance="neutral", parent=first)
    client.force_login(resident)
    client.post(topic.get_absolute_url(), {"body": "三楼", "stance": "oppose", "parent": second.pk})
    assert Comment.objects.get(body="三楼").parent == first


def test_a_hidden_comment_shows_its_reason_but_not_its_text(
    client, community, resident, owner, community_worker
):
    topic = discussing(community, resident, community_worker)
    comment = services.add_comment(topic, by=owner, body="骂人的话", stance="oppose")
    client.force_login(resident)
    client.post(reverse("comment_report", args=[topic.pk, comment.pk]), {"reason": "人身攻击"})
    client.force_login(community_worker)
    client.post(reverse("comment_hide", args=[topic.pk, comment.pk]), {"reason": "人身攻击"})
    client.force_login(resident)
    html = client.get(topic.get_absolute_url()).content.decode()
    assert "骂人的话" not in html and "人身攻击" in html
    client.force_login(community_worker)
    assert "骂人的话" in client.get(topic.get_absolute_url()).content.decode()


def test_a_poll_counts_one_answer_per_member(
    client, community, resident, owner, chair, community_worker
):
    topic = discussing(community, resident, community_worker)
    client.force_login(chair)
    client.post(
        reverse("poll_create", args=[topic.pk]),
        {"question": "维修时间？", "options": "周末\n工作日"},
    )
    poll = topic.polls.get()
    option = poll.options.first()
    client.force_login(owner)
    url = reverse("poll_vote", args=[topic.pk, poll.pk])
    client.post(url, {"choice": option.pk})
    response = client.post(url, {"choice": option.pk}, follow=True)
    assert "已经" in response.content.decode()
    assert poll.votes.count() == 1


def test_the_list_filters_searches_and_returns_a_partial_for_htmx(
    client, community, resident, owner
):
    collecting(community, resident, title="电梯维修")
    collecting(community, owner, title="停车难", category="parking", description="车位不够。")
    client.force_login(resident)
    url = reverse("topic_list", args=[community.pk])
    html = client.get(url, {"q": "电梯"}).content.decode()
    assert "电梯维修" in html and "停车难" not in html
    html = client.get(url, {"category": "parking"}).content.decode()
    assert "停车难" in html and "电梯维修" not in html
    html = client.get(url, {"mine": "mine"}).content.decode()
    assert "电梯维修" in html and "停车难" not in html
    partial = client.get(url, HTTP_HX_REQUEST="true")
    assert 'id="results"' in partial.content.decode() and "<html" not in partial.content.decode()
    assert "HX-Request" in partial["Vary"]


def test_the_list_keeps_a_constant_number_of_queries(
    client, community, resident, django_assert_max_num_queries
):
    client.force_login(resident)
    url = reverse("topic_list", args=[community.pk])
    collecting(community, resident, title="第一个")
    client.get(url)
    for i in range(25):
        collecting(community, resident, title=f"议题{i}")
    with django_assert_max_num_queries(12):
        client.get(url)


def test_the_topic_page_keeps_a_constant_number_of_queries(
    client, community, resident, owner, community_worker, django_assert_max_num_queries
):
    set_threshold(community, 30)
    topic = collecting(community, resident)
    for supporter in quick_residents(community, 20):
        services.cosign_topic(topic, by=supporter)
    topic = services.triage_topic(topic, by=community_worker, outcome="accept")
    for i in range(15):
        parent = services.add_comment(topic, by=owner, body=f"意见{i}", stance="support")
        services.add_comment(topic, by=resident, body=f"回复{i}", stance="neutral", parent=parent)
        services.react(parent, by=resident, kind="agree")
    services.create_poll(topic, by=community_worker, question="何时？", options=["早", "晚"])
    client.force_login(resident)
    # 12, plus the poll options and answers, plus the member's own reactions (looked up apart
    # from the comment list, which is rendered once for everyone and cached).
    with django_assert_max_num_queries(15):
        response = client.get(topic.get_absolute_url())
    assert response.status_code == 200


def test_the_reply_link_prefills_the_comment_form_with_its_parent(
    client, community, resident, owner, community_worker
):
    topic = discussing(community, resident, community_worker)
    first = services.add_comment(topic, by=owner, body="一楼", stance="support")
    client.force_login(resident)
    html = client.get(topic.get_absolute_url(), {"reply": first.pk}).content.decode()
    assert f'name="parent" value="{first.pk}"' in html
    assert "回复 李明" in html


def test_workers_see_when_acceptance_is_overdue(client, community, resident, community_worker):
    from datetime import timedelta

    from django.utils import timezone

    topic = in_triage(community, resident)
    Topic.objects.filter(pk=topic.pk).update(submitted_at=timezone.now() - timedelta(days=5))
    client.force_login(community_worker)
    html = client.get(reverse("topic_list", args=[community.pk])).content.decode()
    assert "受理已超期" in html
    client.force_login(resident)
    html = client.get(reverse("topic_list", args=[community.pk])).content.decode()
    assert "受理已超期" not in html


def test_the_stage_filter_offers_no_stage_a_listed_topic_can_never_be_in(
    client, community, resident
):
    # Submitting goes straight to collecting co-signs, and drafts are never listed.
    topic = collecting(community, resident, title="电梯维修")
    assert topic.phase == Phase.COLLECTING
    client.force_login(resident)
    page = client.get(reverse("topic_list", args=[community.pk])).text
    select = page[page.index('name="phase"') :]
    select = select[: select.index("</select>")]
    offered = set(re.findall(r'<option value="([a-z_]*)"', select))
    assert "submitted" not in offered and "draft" not in offered
    assert {"", "collecting", "triage", "discussing", "closed"} <= offered
