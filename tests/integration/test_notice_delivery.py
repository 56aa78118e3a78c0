"""Service of notice: publishing an assembly notice reaches every household, once, with proof."""

from datetime import timedelta

import pytest
from django.urls import reverse

from accounts.sms import LogSender
from deliberation.delivery import deliver_notice
from deliberation.models import BackgroundJob, Delivery, Holder, Notice, Notification, Ownership
from tests.queue import run_queued_tasks
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
    # The page answers once the sending is queued; the task worker sends.
    job = BackgroundJob.objects.get(kind="delivery", target=f"notice:{vote.notice_id}")
    assert job.state == "queued" and not Delivery.objects.filter(notice=vote.notice).exists()
    with capture(execute=True):
        run_queued_tasks()
    job.refresh_from_db()
    assert job.state == "done" and job.done == job.total > 0
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
    daytime,
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
        run_queued_tasks()
    svc.appoint_teller(vote, community_worker, by=committee_member)
    move_to(vote, "closed")
    svc.tally_vote(vote, by=committee_member)
    svc.confirm_result(vote, by=community_worker)
    LogSender.outbox.clear()
    client.force_login(committee_member)
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(reverse("vote_publish", args=[vote.pk])).status_code == 302
        run_queued_tasks()
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
    """A gateway that keeps what it accepted, and a worker that dies after its first message
    was accepted but before the answer came back (the worst moment)."""

    accepted = {}  # out_id -> phone
    dying = True

    def send(self, phone, text):
        raise AssertionError("notices use templates")

    def send_template(self, phone, *, template, params, text, out_id="", language=""):
        DyingSender.accepted[out_id] = phone
        if DyingSender.dying:
            raise KeyboardInterrupt
        return f"biz-{out_id}"

    def query_sent(self, phone, *, out_id, since):
        if out_id not in DyingSender.accepted:
            return None
        return {"status": "sent", "reason": "", "message_id": ""}


def test_a_worker_killed_mid_send_neither_loses_nor_repeats_a_message(
    community, owner, settings, time_machine
):
    from deliberation.delivery import recover_stalled_sends
    from deliberation.models import NoticeKind
    from deliberation.notices import publish_notice

    time_machine.move_to("2026-03-02 10:00 +08:00", tick=False)
    Holder.objects.filter(community=community, user=None).update(phone="+8613800000009")
    settings.SMS_SENDER = "tests.integration.test_notice_delivery.DyingSender"
    settings.NOTICE_SEND_THREADS = 1  # one death at one known message (the real worker's test
    # in test_notice_worker_killed.py sends with the threads)
    DyingSender.accepted, DyingSender.dying = {}, True
    notice = publish_notice(community=community, kind=NoticeKind.OTHER, title="停水", body="x")
    with pytest.raises(KeyboardInterrupt):
        deliver_notice(notice)
    assert len(DyingSender.accepted) == 1
    sms = Delivery.objects.filter(notice=notice, channel="sms")
    stranded = sms.filter(status="sending").count()
    assert stranded == sms.count() > 1  # the whole batch was claimed
    # No in-app notice shows before its batch is settled: those go with the commit
    assert not Notification.objects.filter(url=notice.get_absolute_url()).exists()

    # A fresh claim is not touched: its worker may only be slow
    DyingSender.dying = False
    time_machine.move_to("2026-03-02 10:05 +08:00", tick=False)
    assert recover_stalled_sends()["resolved"] == 0
    assert sms.filter(status="sending").count() == stranded

    # Once stale, the gateway is asked: what it got is recorded, the rest sent once
    time_machine.move_to("2026-03-02 10:11 +08:00", tick=False)
    outcome = recover_stalled_sends()
    assert outcome["resolved"] > stranded  # the SMS batch and the in-app records
    phones = sorted(DyingSender.accepted.values())
    assert phones == sorted(sms.values_list("recipient", flat=True))  # each exactly once
    assert sms.filter(status="sent").count() == sms.count()
    in_app = Delivery.objects.filter(notice=notice, channel="app")
    assert set(in_app.values_list("status", flat=True)) == {"sent"}
    assert Notification.objects.filter(url=notice.get_absolute_url()).count() == in_app.count()
    assert deliver_notice(notice) == 0


def test_an_owners_session_notice_is_served_to_every_household_of_its_estate(
    daytime, community, chair, community_worker, owner, django_capture_on_commit_callbacks
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
        run_queued_tasks()
        other = meeting_services.publish_meeting_notice(consultation, by=chair)
    units = set(
        Ownership.objects.filter(unit__building__estate=estate).values_list("unit_id", flat=True)
    )
    paper = Delivery.objects.filter(notice=notice, channel="paper")
    assert set(paper.values_list("unit_id", flat=True)) == units
    assert [phone for phone, _ in LogSender.outbox] == [owner.phone]
    assert not Delivery.objects.filter(notice=other).exists()


def test_an_owners_session_serves_its_draft_minutes_with_the_deadline_and_then_the_minutes(
    community, chair, community_worker, owner, time_machine, django_capture_on_commit_callbacks
):
    from meetings import services as meeting_services
    from meetings.models import Kind, Meeting, Status
    from tests.meeting_factories import make_meeting

    time_machine.move_to("2026-03-02 10:00 +08:00", tick=False)
    estate = community.estates.get()
    session = make_meeting(
        community, chair, secretary=community_worker, kind=Kind.OWNERS_SESSION,
        status=Status.DRAFT, estate=estate,
    )  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        meeting_services.publish_meeting_notice(session, by=chair)
        run_queued_tasks()
    Meeting.objects.filter(pk=session.pk).update(status=Status.CLOSED)  # the session was held
    LogSender.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        session = meeting_services.send_for_corrections(session, by=chair)
        run_queued_tasks()
    texts = dict(LogSender.outbox)
    # The period ends at midnight: said as 24:00 of its last day (Civil Code art. 203)
    assert "的会议纪要草稿征求更正，截止2026年3月7日 24:00" in texts[owner.phone]
    drafts = Delivery.objects.filter(notice=session.notice, purpose="corrections")
    units = set(Ownership.objects.filter(unit__building__estate=estate).values_list("unit", flat=1))
    reached = set(drafts.values_list("unit_id", flat=True))
    owners = set(Ownership.objects.filter(holder__user=owner).values_list("unit", flat=True))
    assert owners <= reached <= units  # every household with an account or a number
    assert set(drafts.values_list("channel", flat=True)) == {"app", "sms"}

    time_machine.move_to(session.corrections_until + timedelta(hours=10))  # past quiet hours
    meeting_services.finalise_minutes(session, by=community_worker)
    meeting_services.sign_minutes(session, by=chair)
    meeting_services.sign_minutes(session, by=community_worker)
    LogSender.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        meeting_services.publish_minutes(session, by=chair)
        run_queued_tasks()
    minutes = Notice.objects.get(kind="minutes", source_id=str(session.pk))
    paper = Delivery.objects.filter(notice=minutes, channel="paper")
    assert set(paper.values_list("unit_id", flat=True)) == units
    assert owner.phone in dict(LogSender.outbox)
