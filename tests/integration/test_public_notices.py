"""公示 is public: anyone reads the board and checks a document's code; owners object (异议)
during a notice period, and the answers and counts show on the notice."""

from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from deliberation.models import AuditEntry, NoticeKind, Objection, Role
from deliberation.notices import publish_notice
from tests.document_factories import stored_notice
from tests.factories import add_member, give_unit

pytestmark = pytest.mark.django_db


@pytest.fixture
def decision(community, community_worker):
    return publish_notice(
        community=community,
        kind=NoticeKind.DECISION,
        title="决定公示：加装电梯",
        body="提议人王芳，电话 13812345678，同意加装电梯。",
        by=community_worker,
        days=5,
    )


@pytest.fixture
def minutes(community, community_worker):
    return publish_notice(
        community=community,
        kind=NoticeKind.MINUTES,
        title="议事会纪要",
        body="张伟发言：反对",
        by=community_worker,
    )


def board(client, community):
    response = client.get(reverse("notice_board", args=[community.pk]))
    assert response.status_code == 200
    return response.content.decode()


def detail(client, notice):
    return client.get(notice.get_absolute_url())


def test_anyone_reads_the_public_notices_masked(client, community, decision, minutes):
    html = board(client, community)
    assert "决定公示：加装电梯" in html
    assert "议事会纪要" not in html
    response = detail(client, decision)
    assert response.status_code == 200
    text = response.content.decode()
    assert "138****5678" in text and "13812345678" not in text
    assert "登录后提出异议" in text  # the way to object, for a visitor
    assert detail(client, minutes).status_code == 404


def test_members_still_read_every_notice(client, community, resident, decision, minutes):
    client.force_login(resident)
    html = board(client, community)
    assert "决定公示：加装电梯" in html and "议事会纪要" in html
    assert detail(client, minutes).status_code == 200


def test_a_signed_in_outsider_reads_the_public_notice_but_cannot_object(
    client, decision, minutes, outsider
):
    client.force_login(outsider)
    assert detail(client, decision).status_code == 200
    assert detail(client, minutes).status_code == 404
    url = decision.get_absolute_url()
    assert client.post(url, {"action": "object", "text": "不同意"}).status_code == 403
    assert not Objection.objects.exists()


def test_a_visitor_posting_an_objection_is_asked_to_sign_in(client, decision):
    response = client.post(decision.get_absolute_url(), {"action": "object", "text": "不同意"})
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert not Objection.objects.exists()


def test_anyone_checks_a_public_documents_code(client, community, decision, minutes):
    public = stored_notice(decision)
    private = stored_notice(minutes)
    response = client.get(reverse("document_lookup"), {"code": public.verification_code})
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert public.sha256 in page and "决定公示：加装电梯" in page
    response = client.get(reverse("document_lookup"), {"code": private.verification_code})
    assert response.status_code == 200
    assert "没有使用此验证码的已发布文件" in response.content.decode()
    verify = reverse("document_verify", args=[private.verification_code])
    assert client.get(verify).status_code == 404


def owners(community, names):
    people = []
    for name in names:
        user = add_member(community, Role.RESIDENT, name=name)
        give_unit(community, user)
        people.append(user)
    return people


def test_objections_are_recorded_answered_and_counted(
    client, community, decision, community_worker
):
    filed = owners(community, ["李明", "赵敏", "钱军"])
    for number, owner in enumerate(filed):
        client.force_login(owner)
        response = client.post(
            decision.get_absolute_url(),
            {"action": "object", "text": f"第{number}条：噪音影响低层住户"},
        )
        assert response.status_code == 302
    objections = list(Objection.objects.filter(notice=decision).order_by("pk"))
    assert [o.author for o in objections] == filed
    audited = AuditEntry.objects.filter(verb="notice.object", data__notice=decision.pk)
    assert audited.count() == len(filed)
    client.force_login(community_worker)
    answered = objections[:2]
    for objection in answered:
        response = client.post(
            decision.get_absolute_url(),
            {"action": "answer", "objection": objection.pk, "answer": "将加装隔音设施"},
        )
        assert response.status_code == 302
    assert AuditEntry.objects.filter(verb="notice.answer_objection").count() == len(answered)
    expected = f"{len(filed)} 条异议，{len(answered)} 条已答复"
    client.logout()
    assert expected in detail(client, decision).content.decode()
    assert expected in board(client, community)
    # The author reads the answer to their own objection; others see only the counts.
    client.force_login(filed[0])
    mine = detail(client, decision).content.decode()
    assert "将加装隔音设施" in mine and "第0条" in mine and "第1条" not in mine
    client.force_login(filed[2])
    theirs = detail(client, decision).content.decode()
    assert "第2条" in theirs and "尚未答复" in theirs and "将加装隔音设施" not in theirs


def test_after_the_period_no_objection_is_taken(client, community, decision):
    (owner,) = owners(community, ["李明"])
    client.force_login(owner)
    assert "提交异议" in detail(client, decision).content.decode()
    with time_machine.travel(decision.ends_at + timedelta(minutes=1)):
        html = detail(client, decision).content.decode()
        assert "提交异议" not in html and "公示期已结束，不再受理异议。" in html
        response = client.post(decision.get_absolute_url(), {"action": "object", "text": "反对"})
        assert response.status_code == 200
        assert "公示期已结束，不再受理异议。" in response.content.decode()
    assert not Objection.objects.exists()


def test_an_empty_objection_says_what_is_missing(client, community, decision):
    (owner,) = owners(community, ["李明"])
    client.force_login(owner)
    response = client.post(decision.get_absolute_url(), {"action": "object", "text": "  "})
    assert response.status_code == 200
    assert "请写明异议内容。" in response.content.decode()
    assert not Objection.objects.exists()


def test_an_empty_answer_says_what_is_missing(client, community, decision, community_worker):
    (owner,) = owners(community, ["李明"])
    client.force_login(owner)
    client.post(decision.get_absolute_url(), {"action": "object", "text": "反对"})
    objection = Objection.objects.get()
    client.force_login(community_worker)
    response = client.post(
        decision.get_absolute_url(), {"action": "answer", "objection": objection.pk, "answer": ""}
    )
    assert response.status_code == 200
    assert "请填写答复内容。" in response.content.decode()
    objection.refresh_from_db()
    assert objection.answered_at is None


def test_only_owners_object_to_an_owners_assembly_result(
    client, community, resident, community_worker
):
    result = publish_notice(
        community=community, kind=NoticeKind.VOTE_RESULT, title="表决结果公告", body="通过"
    )
    assert "业主可在" in detail(client, result).content.decode()  # a visitor is told who may
    client.force_login(resident)
    html = detail(client, result).content.decode()
    assert "提交异议" not in html and "只有业主可以对这份公示提出异议。" in html
    response = client.post(result.get_absolute_url(), {"action": "object", "text": "反对"})
    assert response.status_code == 403
    (owner,) = owners(community, ["李明"])
    client.force_login(owner)
    response = client.post(result.get_absolute_url(), {"action": "object", "text": "计票有误"})
    assert response.status_code == 302


def test_residents_may_not_answer(client, community, resident, decision):
    (owner,) = owners(community, ["李明"])
    client.force_login(owner)
    client.post(decision.get_absolute_url(), {"action": "object", "text": "反对"})
    objection = Objection.objects.get()
    client.force_login(resident)
    response = client.post(
        decision.get_absolute_url(), {"action": "answer", "objection": objection.pk, "answer": "x"}
    )
    assert response.status_code == 403
    objection.refresh_from_db()
    assert objection.answered_at is None


def test_an_objection_is_in_its_authors_data(client, community, decision):
    (owner,) = owners(community, ["李明"])
    client.force_login(owner)
    client.post(decision.get_absolute_url(), {"action": "object", "text": "噪音太大，反对"})
    assert "对公示提出的异议" in client.get(reverse("my_data")).content.decode()
    download = client.get(reverse("my_data_download"), {"format": "json"})
    assert "噪音太大，反对" in download.content.decode()


def test_a_notice_dated_later_is_404_to_visitors(client, community):
    with time_machine.travel(timezone.now() + timedelta(days=2)):
        later = publish_notice(
            community=community, kind=NoticeKind.DECISION, title="预定公示", body="x"
        )
    assert detail(client, later).status_code == 404
    assert "预定公示" not in board(client, community)
