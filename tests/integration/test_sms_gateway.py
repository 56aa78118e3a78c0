"""Notices by SMS through Alibaba Cloud's gateway, against a fake gateway in this process that
checks each request's signature the way the real one does, and the delivery reports it posts."""

import json

import pytest
from django.urls import reverse

from accounts.sms import LogSender
from deliberation.delivery import deliver_notice, send_due
from deliberation.models import Delivery, Holder, NoticeKind, SmsOptOut
from deliberation.notices import publish_notice
from tests.fake_aliyun import TEMPLATES, fake_gateway, point_settings_at
from tests.queue import run_queued_tasks
from tests.vote_factories import convene

pytestmark = pytest.mark.django_db

TOKEN = "report-token-0123456789"


@pytest.fixture
def gateway(settings):
    with fake_gateway() as (fake, endpoint):
        point_settings_at(settings, endpoint)
        settings.SMS_CALLBACK_TOKEN = TOKEN
        yield fake


def national(phone):
    return phone.removeprefix("+86")


def publish_new_vote(client, community, committee_member, capture):
    """Convene a vote of the community and publish its notice through the page."""
    return publish(client, convene(community, committee_member), committee_member, capture)


def publish(client, vote, by, capture):
    client.force_login(by)
    with capture(execute=True):
        assert client.post(reverse("vote_notice", args=[vote.pk])).status_code == 302
        run_queued_tasks()
    vote.refresh_from_db()
    return vote.notice


def report(client, token, payload):
    return client.post(
        reverse("sms_status", args=[token]),
        data=json.dumps(payload),
        content_type="application/json",
    )


def snapshot(notice):
    return list(
        Delivery.objects.filter(notice=notice)
        .order_by("pk")
        .values_list("pk", "status", "reason", "provider_status_at")
    )


def test_assembly_notice_goes_through_the_gateway_and_its_report_marks_delivery(
    client,
    community,
    committee_member,
    owner,
    gateway,
    time_machine,
    django_capture_on_commit_callbacks,
):
    time_machine.move_to("2026-03-02 10:00 +08:00", tick=False)
    vote = convene(community, committee_member)
    notice = publish(client, vote, committee_member, django_capture_on_commit_callbacks)

    phones = sorted(national(u.phone) for u in (owner, committee_member))
    assert sorted(p for p, _, _ in gateway.sent) == phones
    assert gateway.refused == []
    _, code, params = gateway.sent[0]
    assert code == "SMS_100001"
    assert params["title"] == vote.title and params["opens"] == "2026-03-18 10:00"
    record = Delivery.objects.get(notice=notice, user=owner, channel="sms")
    assert record.status == "sent" and record.template == "vote_notice"
    assert record.params == params and record.language == "zh-hans"

    other = Delivery.objects.get(notice=notice, user=committee_member, channel="sms")
    response = report(
        client.__class__(),
        TOKEN,
        [
            {
                "biz_id": record.provider_message_id,
                "success": True,
                "err_code": "DELIVERED",
                "err_msg": "用户接收成功",
                "phone_number": national(owner.phone),
            },
            {
                "biz_id": other.provider_message_id,
                "success": False,
                "err_code": "MK:0001",
                "err_msg": "空号",
            },
        ],
    )
    assert response.status_code == 200 and response.json()["code"] == 0
    record.refresh_from_db()
    other.refresh_from_db()
    assert record.status == "delivered" and record.provider_status_at is not None
    assert other.status == "failed" and other.reason == "MK:0001 空号"


@pytest.mark.parametrize(
    ("token", "payload", "status"),
    [
        ("forged-token", "GOOD", 403),
        (TOKEN, "not json", 400),
        (TOKEN, {"biz_id": "x"}, 400),
        (TOKEN, [{"biz_id": "GOOD", "success": "yes"}], 400),
        (TOKEN, [{"biz_id": "999999^0", "success": True}], 400),
        (TOKEN, "GOOD+UNKNOWN", 400),
        (TOKEN, [{"biz_id": "999999^0", "success": True, "out_id": "gy999999"}], 400),
        (TOKEN, "OTHER-ID-FOR-GOOD", 400),
    ],
    ids=[
        "forged",
        "not-json",
        "not-a-list",
        "malformed-entry",
        "unknown-id",
        "one-unknown",
        "unknown-out-id",
        "out-id-of-a-message-with-its-id",
    ],
)
def test_a_bad_report_is_refused_and_changes_nothing(
    client,
    community,
    committee_member,
    owner,
    gateway,
    time_machine,
    django_capture_on_commit_callbacks,
    token,
    payload,
    status,
    caplog,
):
    time_machine.move_to("2026-03-02 10:00 +08:00", tick=False)
    notice = publish_new_vote(
        client, community, committee_member, django_capture_on_commit_callbacks
    )
    good = Delivery.objects.get(notice=notice, user=owner, channel="sms").provider_message_id
    entry = {"biz_id": good, "success": True, "err_code": "DELIVERED"}
    if payload == "GOOD":
        payload = [entry]
    elif payload == "GOOD+UNKNOWN":
        payload = [entry, {"biz_id": "999999^0", "success": True}]
    elif payload == "OTHER-ID-FOR-GOOD":
        # Only a message settled by a look-up (no id known) is found by its OutId
        record = Delivery.objects.get(notice=notice, user=owner, channel="sms")
        payload = [{"biz_id": "999998^0", "success": True, "out_id": f"gy{record.pk}"}]
    before = snapshot(notice)
    if payload == "not json":
        response = client.post(
            reverse("sms_status", args=[token]), data="{[", content_type="application/json"
        )
    else:
        response = report(client, token, payload)
    assert response.status_code == status
    assert snapshot(notice) == before
    assert "SMS report refused" in caplog.text


def test_the_report_endpoint_is_off_without_a_token(client, settings):
    settings.SMS_CALLBACK_TOKEN = ""
    assert report(client, "anything", []).status_code == 404


def test_a_gateway_refusal_is_recorded_as_failed(
    client,
    community,
    committee_member,
    owner,
    gateway,
    settings,
    time_machine,
    django_capture_on_commit_callbacks,
):
    time_machine.move_to("2026-03-02 10:00 +08:00", tick=False)
    settings.ALIYUN_SMS_ACCESS_KEY_SECRET = "wrong-secret"
    notice = publish_new_vote(
        client, community, committee_member, django_capture_on_commit_callbacks
    )
    record = Delivery.objects.get(notice=notice, user=owner, channel="sms")
    assert gateway.sent == [] and national(owner.phone) in gateway.refused
    assert record.status == "failed" and "SignatureDoesNotMatch" in record.reason
    assert Delivery.objects.get(notice=notice, user=owner, channel="app").status == "sent"


def test_no_sms_in_quiet_hours_unless_urgent(
    client,
    community,
    committee_member,
    owner,
    gateway,
    time_machine,
    django_capture_on_commit_callbacks,
):
    time_machine.move_to("2026-03-02 22:30 +08:00", tick=False)
    notice = publish_new_vote(
        client, community, committee_member, django_capture_on_commit_callbacks
    )
    record = Delivery.objects.get(notice=notice, user=owner, channel="sms")
    assert gateway.sent == []
    assert record.status == "deferred" and record.reason == "quiet hours"
    assert str(record.deferred_until) == "2026-03-03 00:00:00+00:00"  # 08:00 in Shanghai
    assert Delivery.objects.get(notice=notice, user=owner, channel="app").status == "sent"

    time_machine.move_to("2026-03-03 07:59 +08:00", tick=False)
    send_due()
    assert gateway.sent == []
    time_machine.move_to("2026-03-03 08:00 +08:00", tick=False)
    send_due()
    assert national(owner.phone) in [p for p, _, _ in gateway.sent]
    record.refresh_from_db()
    assert record.status == "sent"

    time_machine.move_to("2026-03-03 23:10 +08:00", tick=False)
    urgent = publish_notice(community=community, kind=NoticeKind.OTHER, title="停水", body="今晚")
    deliver_notice(urgent, urgent=True)
    assert Delivery.objects.get(notice=urgent, user=owner, channel="sms").status == "sent"


def test_a_number_gets_at_most_three_notices_a_day(community, owner, time_machine):
    LogSender.outbox.clear()
    time_machine.move_to("2026-03-02 09:00 +08:00", tick=False)
    notices = []
    for hour in range(4):
        time_machine.move_to(f"2026-03-02 {10 + hour}:00 +08:00", tick=False)
        notice = publish_notice(
            community=community, kind=NoticeKind.OTHER, title=f"通知{hour}", body="正文"
        )
        deliver_notice(notice)
        notices.append(notice)
    statuses = [Delivery.objects.get(notice=n, user=owner, channel="sms").status for n in notices]
    assert statuses == ["sent", "sent", "sent", "deferred"]
    assert [p for p, _ in LogSender.outbox].count(owner.phone) == 3
    time_machine.move_to("2026-03-03 10:00 +08:00", tick=False)
    send_due()
    assert [p for p, _ in LogSender.outbox].count(owner.phone) == 4


def test_opting_out_stops_community_notices_but_not_assembly_notices(
    client, community, committee_member, owner, time_machine, django_capture_on_commit_callbacks
):
    LogSender.outbox.clear()
    time_machine.move_to("2026-03-02 10:00 +08:00", tick=False)
    SmsOptOut.objects.create(phone=owner.phone)
    notice = publish_notice(community=community, kind=NoticeKind.OTHER, title="活动", body="正文")
    deliver_notice(notice)
    record = Delivery.objects.get(notice=notice, user=owner, channel="sms")
    assert record.status == "skipped" and record.reason == "opted out"
    assert owner.phone not in [p for p, _ in LogSender.outbox]

    publish(
        client,
        convene(community, committee_member),
        committee_member,
        django_capture_on_commit_callbacks,
    )
    assert owner.phone in [p for p, _ in LogSender.outbox]


def test_each_person_reads_the_text_in_their_language(community, owner, time_machine):
    LogSender.outbox.clear()
    time_machine.move_to("2026-03-02 10:00 +08:00", tick=False)
    owner.language = "en"
    owner.save()
    Holder.objects.filter(community=community, user=None).update(phone="+8613800000009")
    notice = publish_notice(community=community, kind=NoticeKind.OTHER, title="停水", body="x")
    deliver_notice(notice)
    texts = dict(LogSender.outbox)
    assert texts[owner.phone] == f"{community.name} has posted a notice: “停水”."
    others = [text for phone, text in LogSender.outbox if phone != owner.phone]
    assert others and all(t == f"{community.name}发布了公告：“停水”。" for t in others)
    record = Delivery.objects.get(notice=notice, user=owner, channel="sms")
    assert (record.template, record.language) == ("notice", "en")
    assert record.params == {"community": community.name, "title": "停水"}


def test_a_report_finds_a_message_settled_by_a_look_up_by_its_out_id(
    client, community, committee_member, owner, gateway, time_machine,
    django_capture_on_commit_callbacks,
):  # fmt: skip
    time_machine.move_to("2026-03-02 10:00 +08:00", tick=False)
    notice = publish_new_vote(
        client, community, committee_member, django_capture_on_commit_callbacks
    )
    record = Delivery.objects.get(notice=notice, user=owner, channel="sms")
    Delivery.objects.filter(pk=record.pk).update(provider_message_id="")  # as a look-up leaves it
    entry = {"biz_id": "000777^0", "success": True, "out_id": f"gy{record.pk}"}
    assert report(client, TOKEN, [entry]).status_code == 200
    record.refresh_from_db()
    assert (record.status, record.provider_message_id) == ("delivered", "000777^0")


def test_a_template_registered_in_the_recipients_language_is_used(
    community, owner, gateway, settings, time_machine
):
    time_machine.move_to("2026-03-02 10:00 +08:00", tick=False)
    settings.ALIYUN_SMS_TEMPLATES = {**TEMPLATES, "notice:en": "SMS_200002"}
    owner.language = "en"
    owner.save()
    Holder.objects.filter(community=community, user=None).update(phone="+8613800000009")
    notice = publish_notice(community=community, kind=NoticeKind.OTHER, title="停水", body="x")
    deliver_notice(notice)
    codes = {phone: code for phone, code, _ in gateway.sent}
    assert codes[national(owner.phone)] == "SMS_200002"
    assert set(codes.values()) == {"SMS_200002", "SMS_100002"}
