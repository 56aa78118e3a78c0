"""An owner links their account to a flat only when the register agrees, or a worker confirms."""

import pytest
from django.core.cache import cache
from django.urls import reverse

from deliberation.models import AuditEntry, FlatClaim, Holder, Unit
from deliberation.registry import identity_digest, mask_identity
from tests.factories import add_member, make_user

pytestmark = pytest.mark.django_db

ID_NUMBER = "11010119500101123X"


@pytest.fixture(autouse=True)
def _fresh_limits():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def flat(community):
    """Flat 101 and its holder, recorded at import with a name and an identity number."""
    unit = Unit.objects.get(building__estate__community=community, number="101")
    holder = unit.ownerships.get().holder
    holder.name = "王秀英"
    holder.id_digest = identity_digest(ID_NUMBER)
    holder.id_masked = mask_identity(ID_NUMBER)
    holder.save()
    return unit


@pytest.fixture
def newcomer(db):
    return make_user(name="", phone="+8613900000777")


def claim(client, unit, *, name="王秀英", last4="123X", action="check", number=None):
    return client.post(
        reverse("flat_claim"),
        {
            "building": unit.building_id,
            "number": number or unit.number,
            "name": name,
            "id_last4": last4,
            "action": action,
        },
    )


def holder_of(unit):
    return Holder.objects.get(ownerships__unit=unit)


def test_the_right_name_and_id_digits_link_the_flat(client, flat, newcomer, community):
    client.force_login(newcomer)
    assert client.get(reverse("community_detail", args=[community.pk])).status_code == 404

    response = claim(client, flat, name=" 王 秀英 ", last4="123x")

    assert response.status_code == 302
    assert holder_of(flat).user == newcomer
    page = client.get(response["Location"]).text
    assert "与登记册一致，房屋已关联" in page
    assert "1号楼-101" in page and "80.00" in page
    assert client.get(reverse("community_detail", args=[community.pk])).status_code == 200
    entry = AuditEntry.objects.get(verb="registry.claim_match")
    assert entry.actor_id == newcomer.pk
    assert entry.data["holder"] == holder_of(flat).pk


@pytest.mark.parametrize(
    ("name", "last4"), [("王秀英", "1234"), ("王秀", "123X"), ("李秀英", "123X")]
)
def test_wrong_details_are_refused_and_link_nothing(client, flat, newcomer, name, last4):
    client.force_login(newcomer)
    response = claim(client, flat, name=name, last4=last4)
    assert response.status_code == 400
    assert "与业主登记册不一致" in response.text
    assert "data-error-summary" in response.text
    assert holder_of(flat).user is None
    assert not FlatClaim.objects.exists()


def test_missing_digits_are_asked_for(client, flat, newcomer):
    client.force_login(newcomer)
    response = claim(client, flat, last4="")
    assert response.status_code == 400
    assert "身份证号码后四位" in response.text
    assert holder_of(flat).user is None


def test_a_flat_number_not_in_the_building_is_named(client, flat, newcomer):
    client.force_login(newcomer)
    response = claim(client, flat, number="999")
    assert response.status_code == 400
    assert "该楼栋没有这个房号" in response.text


def test_the_digits_cannot_be_guessed(client, flat, newcomer):
    client.force_login(newcomer)
    for guess in ("0000", "1111", "2222", "3333", "4444"):
        assert claim(client, flat, last4=guess).status_code == 400
    response = claim(client, flat, last4="123X")
    assert response.status_code == 400
    assert "今天尝试次数过多" in response.text
    assert holder_of(flat).user is None


def test_a_flat_already_linked_to_someone_else_is_not_taken_over(client, flat, newcomer, owner):
    holder = holder_of(flat)
    holder.user = make_user(name="王秀英")
    holder.save()
    client.force_login(newcomer)
    response = claim(client, flat)
    assert response.status_code == 400
    assert holder_of(flat).user != newcomer


def test_an_account_with_an_unverified_number_cannot_claim(client, flat, settings):
    settings.ACCOUNT_PHONE_VERIFICATION_ENABLED = True
    unverified = make_user(phone="+8613900000778", phone_verified=False)
    client.force_login(unverified)
    assert claim(client, flat).status_code == 403
    assert holder_of(flat).user is None


def test_a_worker_confirms_a_flat_the_register_cannot_check(
    client, community, newcomer, owner, django_capture_on_commit_callbacks
):
    # Flat 102's holder was imported without an identity number.
    unit = Unit.objects.get(building__estate__community=community, number="102")
    worker = add_member(community, "community_worker", name="社工小李")
    client.force_login(newcomer)
    assert claim(client, unit, name="业主2", last4="1234").status_code == 400
    with django_capture_on_commit_callbacks(execute=True):
        response = claim(client, unit, name="业主2", last4="", action="ask")
    assert response.status_code == 302
    assert "等待社区工作人员" in client.get(reverse("my_units")).text
    assert holder_of(unit).user is None

    client.force_login(worker)
    assert "业主2 申请关联房屋 1号楼-102" in client.get(reverse("notifications")).text
    page = client.get(reverse("flat_claims", args=[community.pk])).text
    assert "业主2" in page and "102" in page
    request = FlatClaim.objects.get(status="pending")
    answer = reverse("flat_claim_answer", args=[community.pk, request.pk])

    refused = client.post(answer, {"action": "confirm", "holder": ""})
    assert refused.status_code == 400
    assert "请选择" in refused.text
    assert holder_of(unit).user is None

    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(answer, {"action": "confirm", "holder": holder_of(unit).pk})
    assert done.status_code == 302
    assert holder_of(unit).user == newcomer
    assert AuditEntry.objects.filter(verb="registry.claim_confirm", actor=worker).exists()
    assert "没有待处理的申请" in client.get(reverse("flat_claims", args=[community.pk])).text
    client.force_login(newcomer)
    assert "房屋 1号楼-102 已关联到您的账号" in client.get(reverse("notifications")).text


def test_a_declined_request_tells_the_person_why(client, community, newcomer):
    unit = Unit.objects.get(building__estate__community=community, number="103")
    client.force_login(newcomer)
    claim(client, unit, name="业主3", last4="", action="ask")
    worker = add_member(community, "community_worker", name="社工小李")
    client.force_login(worker)
    request = FlatClaim.objects.get(status="pending")
    answer = reverse("flat_claim_answer", args=[community.pk, request.pk])
    assert client.post(answer, {"action": "decline", "reason": ""}).status_code == 400
    assert client.post(answer, {"action": "decline", "reason": "请带房产证原件"}).status_code == 302

    client.force_login(newcomer)
    page = client.get(reverse("my_units")).text
    assert "请带房产证原件" in page
    assert holder_of(unit).user is None


def test_a_resident_cannot_answer_requests(client, community, resident, newcomer, flat):
    pending = FlatClaim.objects.create(
        community=community, user=newcomer, unit=flat, name="王秀英", status="pending"
    )
    client.force_login(resident)
    answer = reverse("flat_claim_answer", args=[community.pk, pending.pk])
    response = client.post(answer, {"action": "confirm", "holder": holder_of(flat).pk})
    assert response.status_code == 403
    assert holder_of(flat).user is None


def test_the_same_number_in_two_stairwells_asks_which(client, flat, newcomer):
    from decimal import Decimal

    other = Unit.objects.create(
        building=flat.building, stairwell="2单元", number="101", area=Decimal("90.00")
    )
    holder = Holder.objects.create(
        community=flat.building.estate.community,
        name="周建国",
        id_digest=identity_digest("110101196001019876"),
        id_masked=mask_identity("110101196001019876"),
    )
    other.ownerships.create(holder=holder)
    client.force_login(newcomer)

    response = claim(client, flat, name="周建国", last4="9876")
    assert response.status_code == 400
    assert "多个单元都有这个房号" in response.text

    response = client.post(
        reverse("flat_claim"),
        {
            "building": flat.building_id,
            "stairwell": "2",
            "number": "101",
            "name": "周建国",
            "id_last4": "9876",
            "action": "check",
        },
    )
    assert response.status_code == 302
    holder.refresh_from_db()
    assert holder.user == newcomer
    assert holder_of(flat).user is None
