"""Labels, hints and figures on forms and tables, as a reader in either language sees them."""

import re

from django.test import Client
from django.urls import reverse

from tests.topic_factories import discussing


def reader(user, language):
    client = Client()
    client.force_login(user)
    client.cookies["django_language"] = language
    return client


def words(response):
    assert response.status_code == 200
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


def test_the_statement_hint_follows_the_readers_language(community, resident, community_worker):
    topic = discussing(community, resident, community_worker)
    url = reverse("opinions", args=[topic.pk])
    english = words(reader(resident, "en").get(url))
    assert "One idea in a short sentence, up to 140 characters." in english
    assert "一句话说一个观点" not in english
    chinese = words(reader(resident, "zh-hans").get(url))
    assert "一句话说一个观点" in chinese


def test_the_new_meeting_form_is_labelled_in_chinese(community, chair):
    page = words(reader(chair, "zh-hans").get(reverse("meeting_create", args=[community.pk])))
    for label in ("小区", "主持人", "记录人"):
        assert f"{label}" in page
    for english in ("Estate", "Chair", "Secretary"):
        assert english not in page


def test_an_estates_area_is_written_with_two_decimals(community, resident):
    page = words(reader(resident, "zh-hans").get(reverse("community_detail", args=[community.pk])))
    assert "480.00 m²" in page  # six flats of 80.00 m²
    assert "480.000" not in page
