"""An administrator appointing a committee member names the estate of the committee: without it
the role would give no rights anywhere, so the form says so and saves nothing."""

import pytest
from django.urls import reverse

from accounts.models import User
from deliberation.models import Membership, Role
from tests.factories import add_estate, make_community, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    admin = User.objects.create_superuser(
        email="admin@example.org", phone="+8613900000099", password="x-secret-9"
    )
    client.force_login(admin)
    return client


def add_membership(client, **data):
    return client.post(
        reverse("admin:deliberation_membership_add"), data, HTTP_ACCEPT_LANGUAGE="zh-hans"
    )


def test_a_committee_member_without_an_estate_is_refused_with_a_reason(admin_client, community):
    person = make_user(name="新委员")
    response = add_membership(
        admin_client, user=person.pk, community=community.pk, role=Role.COMMITTEE, estate=""
    )
    assert response.status_code == 200
    assert "请选择该委员所在业主委员会对应的小区。" in response.content.decode()
    assert not Membership.objects.filter(user=person).exists()


def test_a_committee_member_of_another_communitys_estate_is_refused(admin_client, community):
    other = add_estate(make_community(name="别的社区"), name="别处小区")
    person = make_user(name="新委员")
    response = add_membership(
        admin_client, user=person.pk, community=community.pk, role=Role.COMMITTEE, estate=other.pk
    )
    assert "该小区属于其他社区。" in response.content.decode()
    assert not Membership.objects.filter(user=person).exists()


def test_a_committee_member_with_the_estate_is_saved(admin_client, community):
    person = make_user(name="新委员")
    estate = community.estates.get()
    response = add_membership(
        admin_client, user=person.pk, community=community.pk, role=Role.COMMITTEE, estate=estate.pk
    )
    assert response.status_code == 302
    assert Membership.objects.get(user=person).estate == estate
