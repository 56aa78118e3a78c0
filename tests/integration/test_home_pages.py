import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_an_owner_sees_their_flat_and_its_area(client, owner):
    client.force_login(owner)
    response = client.get(reverse("my_units"))
    assert response.status_code == 200
    assert "80.00 m²" in response.text


def test_the_home_page_lists_my_community(client, resident, community):
    client.force_login(resident)
    response = client.get(reverse("home"))
    assert community.name in response.text


def test_an_outsider_gets_404_for_a_community(client, outsider, community):
    client.force_login(outsider)
    assert client.get(reverse("community_detail", args=[community.pk])).status_code == 404
    assert client.get(reverse("registry", args=[community.pk])).status_code == 404


def test_a_resident_may_not_read_the_register(client, resident, community):
    client.force_login(resident)
    assert client.get(reverse("community_detail", args=[community.pk])).status_code == 200
    assert client.get(reverse("registry", args=[community.pk])).status_code == 403


def test_a_community_worker_reads_the_register_with_masked_ids(client, community_worker, community):
    client.force_login(community_worker)
    response = client.get(reverse("registry", args=[community.pk]))
    assert response.status_code == 200
    assert "业主1" in response.text


def test_the_register_uses_a_constant_number_of_queries(
    client, community_worker, community, django_assert_max_num_queries
):
    client.force_login(community_worker)
    with django_assert_max_num_queries(12):
        client.get(reverse("registry", args=[community.pk]))


def test_pages_are_chinese_by_default_and_english_on_request(client, resident):
    client.force_login(resident)
    assert "我的社区" in client.get(reverse("home")).text
    client.post(reverse("set_preferences"), {"language": "en", "next": "/"})
    assert "My communities" in client.get(reverse("home")).text


def test_large_text_is_remembered_on_the_device(client, resident):
    client.force_login(resident)
    client.post(reverse("set_preferences"), {"text_size": "large"})
    assert 'class="text-large"' in client.get(reverse("home")).text


def test_a_bad_preference_is_refused_with_a_message(client, resident):
    client.force_login(resident)
    response = client.post(reverse("set_preferences"), {"language": "xx"}, follow=True)
    assert "不可用" in response.text


def test_the_health_check_answers(client, db):
    assert client.get("/healthz").json() == {"status": "ok"}


def test_the_home_page_names_my_roles(client, committee_member):
    client.force_login(committee_member)
    page = client.get(reverse("home")).text
    assert "业委会委员" in page
    assert "业主" in page
