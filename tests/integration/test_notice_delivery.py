"""Service of notice: publishing an assembly notice reaches every household, once, with proof."""

import pytest
from django.urls import reverse

from accounts.sms import LogSender
from deliberation.delivery import deliver_notice
from deliberation.models import Delivery, Holder, Notification, Ownership
from tests.vote_factories import convene

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _empty_outbox():
    LogSender.outbox.clear()
    yield
    LogSender.outbox.clear()


def publish_through_page(client, vote, by, capture):
    client.force_login(by)
    with capture(execute=True):
        response = client.post(reverse("vote_notice", args=[vote.pk]))
    assert response.status_code == 302
    vote.refresh_from_db()
    return vote.notice


def test_publishing_serves_every_household_on_each_channel_it_has(
    client, community, committee_member, owner, django_capture_on_commit_callbacks, time_machine
):
    time_machine.move_to("2026-03-02 10:00 +08:00", tick=False)
    # One holder gave a number but has no account: SMS and paper, no app
    lone = Holder.objects.filter(community=community, user=None).order_by("pk").first()
    lone.phone = "+8613800000001"
    lone.save()
    vote = convene(community, committee_member)
    notice = publish_through_page(
        client, vote, committee_member, django_capture_on_commit_callbacks
    )

    units = list(
        Ownership.objects.filter(unit__building__estate__community=community).values_list(
            "unit_id", "holder__user_id", "holder__phone", "holder__user__phone"
        )
    )
    expected = set()
    for unit_id, user_id, phone, user_phone in units:
        expected.add((unit_id, "paper"))
        if user_id:
            expected |= {(unit_id, "app"), (unit_id, "email")}
        if phone or user_phone:
            expected.add((unit_id, "sms"))
    records = set(Delivery.objects.filter(notice=notice).values_list("unit_id", "channel"))
    assert records == expected
    # Every SMS went out with the gateway's id; the lone holder's number is among them
    sent = [phone for phone, _ in LogSender.outbox]
    assert sorted(sent) == sorted(p or up for _, uid, p, up in units if p or up)
    assert "+8613800000001" in sent
    assert all(
        d.provider_message_id and d.sent_at
        for d in Delivery.objects.filter(notice=notice, channel="sms")
    )
    # Paper slips carry distinct receipt codes
    codes = list(
        Delivery.objects.filter(notice=notice, channel="paper").values_list(
            "receipt_code", flat=True
        )
    )
    assert len(set(codes)) == len(units) and all(len(c) == 8 for c in codes)

    # The owner sees the notice in the bell, in Chinese, and opening it is the first view
    client.force_login(owner)
    page = client.get(reverse("notifications")).content.decode()
    assert vote.title in page and "业主大会表决" in page
    record = Delivery.objects.get(notice=notice, user=owner, channel="app")
    assert record.viewed_at is None
    client.get(notice.get_absolute_url())
    record.refresh_from_db()
    assert record.viewed_at is not None
    first = record.viewed_at
    time_machine.move_to("2026-03-03 10:00 +08:00", tick=False)
    client.get(notice.get_absolute_url())
    record.refresh_from_db()
    assert record.viewed_at == first


def test_delivering_twice_sends_nothing_twice(
    client, community, committee_member, owner, django_capture_on_commit_callbacks, time_machine
):
    time_machine.move_to("2026-03-02 10:00 +08:00", tick=False)
    vote = convene(community, committee_member)
    notice = publish_through_page(
        client, vote, committee_member, django_capture_on_commit_callbacks
    )
    records = Delivery.objects.filter(notice=notice).count()
    messages = len(LogSender.outbox)
    bells = Notification.objects.filter(user=owner).count()

    assert deliver_notice(notice) == 0
    assert deliver_notice(notice) == 0

    assert Delivery.objects.filter(notice=notice).count() == records
    assert len(LogSender.outbox) == messages
    assert Notification.objects.filter(user=owner).count() == bells == 1


def test_a_household_added_later_is_served_by_the_next_call_alone(
    client, community, committee_member, owner, django_capture_on_commit_callbacks, time_machine
):
    time_machine.move_to("2026-03-02 10:00 +08:00", tick=False)
    vote = convene(community, committee_member)
    notice = publish_through_page(
        client, vote, committee_member, django_capture_on_commit_callbacks
    )
    owner_unit = Delivery.objects.get(notice=notice, user=owner, channel="app").unit_id
    Delivery.objects.filter(notice=notice, unit_id=owner_unit).delete()  # a lost batch
    LogSender.outbox.clear()

    assert deliver_notice(notice) == 3  # app, e-mail and SMS of that one household
    assert [phone for phone, _ in LogSender.outbox] == [owner.phone]


def test_the_published_result_is_served_to_every_household_too(
    client,
    community,
    committee_member,
    community_worker,
    owner,
    django_capture_on_commit_callbacks,
):
    from deliberation.services import votes as svc
    from tests.vote_factories import move_to, publish

    vote = convene(community, committee_member)
    with django_capture_on_commit_callbacks(execute=True):
        publish(vote, committee_member)
    svc.appoint_teller(vote, community_worker, by=committee_member)
    move_to(vote, "closed")
    svc.tally_vote(vote, by=committee_member)
    svc.confirm_result(vote, by=community_worker)
    LogSender.outbox.clear()
    client.force_login(committee_member)
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(reverse("vote_publish", args=[vote.pk])).status_code == 302
    vote.refresh_from_db()
    result = vote.result_notice
    units = set(
        Ownership.objects.filter(unit__building__estate__community=community).values_list(
            "unit_id", flat=True
        )
    )
    assert (
        set(
            Delivery.objects.filter(notice=result, channel="paper").values_list(
                "unit_id", flat=True
            )
        )
        == units
    )
    assert set(Delivery.objects.filter(notice=result).values_list("template", flat=True)) == {
        "vote_result"
    }
    assert sorted(p for p, _ in LogSender.outbox) == sorted([owner.phone, committee_member.phone])
    client.force_login(owner)
    assert (
        f"“{vote.title}”的表决结果已公布" in client.get(reverse("notifications")).content.decode()
    )


class DyingSender:
    """Sends one message, then the worker is killed."""

    sent = []

    def send(self, phone, text):
        raise AssertionError("notices use templates")

    def send_template(self, phone, *, template, params, text):
        if DyingSender.sent:
            raise KeyboardInterrupt
        DyingSender.sent.append(phone)
        return "dying-1"


def test_a_worker_killed_mid_send_never_sends_a_message_twice(
    community, owner, settings, time_machine
):
    from deliberation.models import NoticeKind
    from deliberation.notices import publish_notice

    time_machine.move_to("2026-03-02 10:00 +08:00", tick=False)
    Holder.objects.filter(community=community, user=None).update(phone="+8613800000009")
    settings.SMS_SENDER = "tests.integration.test_notice_delivery.DyingSender"
    DyingSender.sent = []
    notice = publish_notice(community=community, kind=NoticeKind.OTHER, title="停水", body="x")
    with pytest.raises(KeyboardInterrupt):
        deliver_notice(notice)
    assert len(DyingSender.sent) == 1
    # The whole batch stays claimed: its outcome is unknown, so it is never sent again
    stranded = Delivery.objects.filter(notice=notice, channel="sms", status="sending").count()
    assert stranded == Delivery.objects.filter(notice=notice, channel="sms").count() > 1

    # The worker restarts and runs the same call: nothing is sent twice
    DyingSender.sent = []
    deliver_notice(notice)
    assert DyingSender.sent == []
    assert Delivery.objects.filter(notice=notice, channel="sms", status="sending").count() == (
        stranded
    )


def test_an_owners_session_notice_is_served_to_every_household_of_its_estate(
    community, chair, community_worker, owner, django_capture_on_commit_callbacks
):
    from meetings import services as meeting_services
    from meetings.models import Kind, Status
    from tests.meeting_factories import make_meeting

    estate = community.estates.get()
    session = make_meeting(
        community, chair, secretary=community_worker, kind=Kind.OWNERS_SESSION,
        status=Status.DRAFT, estate=estate,
    )  # fmt: skip
    consultation = make_meeting(community, chair, secretary=community_worker, status=Status.DRAFT)
    LogSender.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        notice = meeting_services.publish_meeting_notice(session, by=chair)
        other = meeting_services.publish_meeting_notice(consultation, by=chair)
    units = set(
        Ownership.objects.filter(unit__building__estate=estate).values_list("unit_id", flat=True)
    )
    paper = Delivery.objects.filter(notice=notice, channel="paper")
    assert set(paper.values_list("unit_id", flat=True)) == units
    assert [phone for phone, _ in LogSender.outbox] == [owner.phone]
    assert not Delivery.objects.filter(notice=other).exists()
