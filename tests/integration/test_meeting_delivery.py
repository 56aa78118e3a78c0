"""A consultation meeting serves its invitation, its draft minutes (with the deadline for
corrections) and its final minutes on each invited participant, with proof; those who run it
see who is still to be served, print their slips and record the signed ones."""

import json
import re
from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from accounts.sms import LogSender
from deliberation.delivery import recover_stalled_sends
from deliberation.models import Delivery, Notification, SmsOptOut
from meetings import services
from meetings.delivery import serve_invitation
from meetings.models import Kind, Participant, Status
from tests.meeting_factories import make_meeting

pytestmark = pytest.mark.django_db

TOKEN = "t0ken-for-the-gateway-reports-0123456789"


@pytest.fixture(autouse=True)
def _empty_outbox(settings):
    settings.SMS_CALLBACK_TOKEN = TOKEN
    LogSender.outbox.clear()
    yield
    LogSender.outbox.clear()


def sms_to(phone):
    return [text for to, text in LogSender.outbox if to == phone]


def coverage(client, meeting):
    """The coverage lines and the names not yet served, as the meeting page shows them."""
    page = client.get(reverse("meeting_detail", args=[meeting.pk])).content.decode()
    lines = re.findall(r"<strong>(已送达[^<]*)</strong>", page)
    waiting = re.search(r"尚未送达：([^<]*)</p>", page)
    return lines, waiting.group(1).split("、") if waiting else []


def slip_code(client, meeting, name, message="invitation"):
    url = reverse("meeting_delivery_print", args=[meeting.pk, message])
    page = client.get(url).content.decode()
    found = re.search(rf"<tr><td>{name}</td><td>([A-Z0-9]{{8}})</td></tr>", page)
    assert found, f"{name} is not on the printed list"
    return found.group(1)


@pytest.fixture
def invited(
    client,
    community,
    chair,
    community_worker,
    owner,
    resident,
    grid_worker,
    committee_member,
    time_machine,
):
    """赵书记 chairs, 刘洋 records; five invited: four with accounts (one of whom asked for no
    SMS, one who reads English) and 张大爷, who has no account but a mobile number."""
    time_machine.move_to("2026-03-02 10:00 +08:00", tick=False)
    SmsOptOut.objects.create(phone=resident.phone)
    grid_worker.language = "en"
    grid_worker.save()
    meeting = make_meeting(community, chair, secretary=community_worker, status=Status.DRAFT)
    client.force_login(chair)
    invite = reverse("meeting_prepare", args=[meeting.pk, "invite"])
    for person in (owner, resident, grid_worker, committee_member):
        response = client.post(invite, {"phone": person.phone, "role": "representative"})
        assert response.status_code == 302
    response = client.post(
        invite, {"phone": "139 0000 0001", "name": "张大爷", "role": "representative"}
    )
    assert response.status_code == 302
    assert Participant.objects.get(meeting=meeting, name="张大爷").phone == "+8613900000001"
    return meeting


def test_the_invitation_reaches_each_participant_and_the_secretary_serves_the_rest_on_paper(
    client, invited, chair, community_worker, owner, resident, grid_worker, committee_member,
    run_tasks,
):  # fmt: skip
    meeting = invited
    client.force_login(chair)
    notice_url = reverse("meeting_prepare", args=[meeting.pk, "notice"])
    assert client.post(notice_url).status_code == 302
    run_tasks()
    meeting.refresh_from_db()

    # By SMS to each number but the one that opted out; in the app and by e-mail to accounts
    assert len(sms_to("+8613900000001")) == 1
    assert (
        "邀请您参加“关于电梯维修的协商会”，时间2026-04-01 10:00，地点社区议事厅"
        in (sms_to("+8613900000001")[0])
    )
    assert sms_to(grid_worker.phone) == [
        "测试社区: you are invited to “关于电梯维修的协商会” on 2026-04-01 10:00 at 社区议事厅. "
        "Reply on Gongyi or to the organiser."
    ]
    assert sms_to(resident.phone) == []
    skipped = Delivery.objects.get(user=resident, channel="sms")
    assert (skipped.status, skipped.reason) == ("skipped", "opted out")
    for person in (owner, resident, grid_worker, committee_member):
        bell = Notification.objects.filter(user=person)
        assert [n.url for n in bell] == [meeting.get_absolute_url()]
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        p.email for p in (owner, resident, grid_worker, committee_member)
    )

    # Nobody is served yet by the community's rule; the chair sees who is waiting
    lines, waiting = coverage(client, meeting)
    assert lines == ["已送达 0 / 5 人；5 人待送达"]
    assert len(waiting) == 5 and "张大爷" in waiting

    # 李明 opens the meeting page: his invitation is read. 张大爷's phone reports delivery.
    client.force_login(owner)
    client.get(meeting.get_absolute_url())
    sms = Delivery.objects.get(notice=meeting.notice, recipient="+8613900000001")
    answer = client.post(
        reverse("sms_status", args=[TOKEN]),
        data=json.dumps([{"biz_id": sms.provider_message_id, "success": True}]),
        content_type="application/json",
    )
    assert answer.status_code == 200
    client.force_login(chair)
    lines, waiting = coverage(client, meeting)
    assert lines == ["已送达 2 / 5 人；3 人待送达"]
    assert owner.display_name not in waiting and "张大爷" not in waiting

    # The secretary prints the list, 王芳 signs her slip, the secretary types its code
    client.force_login(community_worker)
    code = slip_code(client, meeting, resident.display_name)
    response = client.post(reverse("meeting_delivery", args=[meeting.pk]), {"code": code.lower()})
    assert response.status_code == 302
    page = client.get(reverse("meeting_delivery", args=[meeting.pk])).content.decode()
    assert f"回执已登记：{resident.display_name} 已送达。" in page
    assert "已送达 3 / 5 人；2 人待送达" in page
    printed = client.get(reverse("meeting_delivery_print", args=[meeting.pk, "invitation"]))
    assert resident.display_name not in printed.content.decode()
    assert sorted(coverage(client, meeting)[1]) == sorted(
        [grid_worker.display_name, committee_member.display_name]
    )
    # The same slip again is refused and changes nothing
    again = client.post(reverse("meeting_delivery", args=[meeting.pk]), {"code": code})
    assert again.status_code == 400 and "这张回执已经登记过了。" in again.content.decode()

    # A re-run of the worker, the periodic tick, or serving again sends nothing twice
    records = Delivery.objects.filter(notice=meeting.notice).count()
    assert records == 5 + 4 + 4 + 5  # paper, in the app, e-mail, SMS (one of them not sent)
    invitations = Notification.objects.filter(url=meeting.get_absolute_url())
    sent, bells, mails = len(LogSender.outbox), invitations.count(), len(mail.outbox)
    serve_invitation(meeting, by=chair)
    run_tasks()
    recover_stalled_sends()
    assert Delivery.objects.filter(notice=meeting.notice).count() == records
    assert (len(LogSender.outbox), invitations.count(), len(mail.outbox)) == (
        sent,
        bells,
        mails,
    )


def test_someone_invited_after_the_notice_is_served_alone(
    client, invited, chair, owner, run_tasks, community
):
    client.force_login(chair)
    client.post(reverse("meeting_prepare", args=[invited.pk, "notice"]))
    run_tasks()
    before = len(LogSender.outbox)
    response = client.post(
        reverse("meeting_prepare", args=[invited.pk, "invite"]),
        {"phone": "13900000002", "name": "钱师傅", "role": "party"},
    )
    assert response.status_code == 302
    run_tasks()
    assert [to for to, _text in LogSender.outbox[before:]] == ["+8613900000002"]
    assert coverage(client, invited)[0] == ["已送达 0 / 6 人；6 人待送达"]


def test_the_draft_minutes_reach_each_participant_with_the_deadline_then_the_final_minutes(
    client, invited, chair, community_worker, owner, grid_worker, time_machine, run_tasks
):
    meeting = invited
    client.force_login(chair)
    client.post(reverse("meeting_prepare", args=[meeting.pk, "notice"]))
    run_tasks()
    time_machine.move_to("2026-04-01 10:00 +08:00", tick=False)  # the day of the meeting
    services.open_meeting(meeting, by=chair)
    services.close_meeting(meeting, by=chair)
    LogSender.outbox.clear()
    mail.outbox.clear()

    client.force_login(community_worker)
    sent = client.post(reverse("meeting_minutes", args=[meeting.pk]), {"action": "send"})
    assert sent.status_code == 302
    run_tasks()
    meeting.refresh_from_db()
    days = meeting.community.correction_window_days
    last = f"2026年4月{1 + days}日 24:00"
    assert meeting.corrections_until == timezone.make_aware(
        timezone.datetime(2026, 4, 2 + days)
    ).astimezone(meeting.corrections_until.tzinfo)

    # Each with a number has the deadline as said: 24:00 of the last day
    assert (
        [
            "测试社区：“关于电梯维修的协商会”的会议纪要草稿请您核对更正，截止"
            f"{last}。请在共议查看，或向记录人索取纸质稿。"
        ]
        == sms_to("+8613900000001")
        == sms_to(owner.phone)
    )
    assert f"until {1 + days} Apr 2026 24:00" in sms_to(grid_worker.phone)[0]
    subjects = {m.to[0]: m.subject for m in mail.outbox}
    assert subjects[owner.email] == "会议纪要草稿请您核对：关于电梯维修的协商会"
    # In the app, in the reader's language, with the same deadline
    client.force_login(owner)
    bell = client.get(reverse("notifications")).content.decode()
    assert f"截止{last}" in bell
    drafts = Delivery.objects.filter(notice=meeting.notice, purpose="corrections")
    assert drafts.filter(channel="paper").count() == 5
    # Opening the minutes page is reading the draft
    client.get(reverse("meeting_minutes", args=[meeting.pk]))
    client.force_login(chair)
    lines, _waiting = coverage(client, meeting)
    assert lines[-1] == "已送达 1 / 5 人；4 人待送达"

    # A second run of the worker sends nothing twice
    before = len(LogSender.outbox)
    run_tasks()
    assert len(LogSender.outbox) == before

    # The final minutes, once published, are served too
    time_machine.move_to(meeting.corrections_until + timedelta(hours=10))
    services.finalise_minutes(meeting, by=community_worker)
    services.sign_minutes(meeting, by=chair)
    services.sign_minutes(meeting, by=community_worker)
    LogSender.outbox.clear()
    client.force_login(chair)
    published = client.post(reverse("meeting_minutes", args=[meeting.pk]), {"action": "publish"})
    assert published.status_code == 302
    run_tasks()
    final = "测试社区：“关于电梯维修的协商会”的会议纪要已定稿，并在共议公布。"
    assert sms_to(owner.phone) == [final]
    lines, waiting = coverage(client, meeting)
    assert lines[-1] == "已送达 0 / 5 人；5 人待送达" and len(lines) == 3
    assert len(waiting) == 5
    slip_code(client, meeting, "张大爷", "minutes")


def test_a_hearing_sends_its_draft_record(
    community, chair, community_worker, owner, time_machine, run_tasks
):
    time_machine.move_to("2026-03-02 10:00 +08:00", tick=False)
    hearing = make_meeting(
        community, chair, secretary=community_worker, participants=[owner],
        kind=Kind.HEARING, status=Status.DRAFT,
    )  # fmt: skip
    services.publish_meeting_notice(hearing, by=chair)
    run_tasks()
    time_machine.move_to(hearing.starts_at)  # the day of the hearing
    services.open_meeting(hearing, by=chair)
    services.close_meeting(hearing, by=chair)
    LogSender.outbox.clear()
    services.send_for_corrections(hearing, by=community_worker)
    run_tasks()
    assert "听证会“关于电梯维修的协商会”的听证笔录草稿请您核对更正" in sms_to(owner.phone)[0]


def test_only_those_who_run_the_meeting_see_its_coverage(client, invited, chair, owner, run_tasks):
    client.force_login(chair)
    client.post(reverse("meeting_prepare", args=[invited.pk, "notice"]))
    run_tasks()
    client.force_login(owner)
    page = client.get(invited.get_absolute_url()).content.decode()
    assert "已送达" not in page
    assert client.get(reverse("meeting_delivery", args=[invited.pk])).status_code == 403
