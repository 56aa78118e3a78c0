"""Accessibility in the HTML itself: live regions, error summaries, outcomes in words."""

import pytest
from django.urls import reverse

from tests.meeting_factories import live_consultation

pytestmark = pytest.mark.django_db

LIVE_SECTIONS = ("room-notice", "room-status", "room-queue", "room-vote", "room-attendance")


def opening_tag(html, element_id):
    start = html.index(f'id="{element_id}"')
    return html[html.rindex("<", 0, start) : html.index(">", start)]


def test_the_room_announces_quorum_queue_and_votes_politely(
    client, community, chair, community_worker, owner, resident
):
    meeting = live_consultation(community, chair, community_worker, owner, resident)
    client.force_login(owner)
    html = client.get(reverse("meeting_room", args=[meeting.pk])).text
    for section in LIVE_SECTIONS:
        assert 'aria-live="polite"' in opening_tag(html, section), section


def test_page_messages_are_announced_politely(client, resident):
    client.force_login(resident)
    response = client.post(
        reverse("profile"), {"real_name": "王芳芳", "text_size": "normal"}, follow=True
    )
    assert 'role="status" aria-live="polite"' in response.text


@pytest.mark.parametrize(
    ("language", "heading", "required"),
    [("zh-hans", "请更正以下内容", "这个字段是必填项。"), ("en", "Please correct", "This field")],
)
def test_form_errors_are_summarised_with_links_and_shown_beside_each_field(
    client, resident, community, language, heading, required
):
    client.force_login(resident)
    client.cookies["django_language"] = language
    resident.language = language
    resident.save()
    html = client.post(reverse("topic_new", args=[community.pk]), {"title": ""}).text
    summary = html[
        html.index("data-error-summary") : html.index("</div>", html.index("data-error-summary"))
    ]
    assert heading in summary
    assert 'href="#id_title"' in summary
    assert 'role="alert"' in html[html.rindex("<div", 0, html.index("data-error-summary")) :][:200]
    field = html[html.index('for="id_title"') : html.index('id="id_title"')]
    assert "errorlist" in field
    assert required in field


def test_no_field_relies_on_a_placeholder_for_its_label(client, resident, community):
    client.force_login(resident)
    for url in ("/accounts/login/", reverse("topic_new", args=[community.pk])):
        html = client.get(url).text
        assert 'placeholder="' not in html.replace('placeholder=""', ""), url
