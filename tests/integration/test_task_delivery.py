"""A task's deadlines and its 督办 reach the people who answer for it by SMS too — the
co-building unit's contacts, the worker — in their language, once, and not at night."""

import datetime

import pytest
import time_machine
from django.core import mail

from accounts.sms import LogSender
from deliberation.delivery import recover_stalled_sends
from deliberation.models import Delivery, PartnerUnit, Responsible, Route
from deliberation.services import execution as svc
from tests.factories_execution import make_topic

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 3, 10)
BEIJING = datetime.timezone(datetime.timedelta(hours=8))


def at(day, hour=10):
    return datetime.datetime.combine(day, datetime.time(hour), tzinfo=BEIJING)


@pytest.fixture(autouse=True)
def _empty_outbox():
    LogSender.outbox.clear()
    yield
    LogSender.outbox.clear()


def texts():
    return [text for _phone, text in LogSender.outbox]


def two_tasks(community, resident, community_worker, partner):
    """A task the school (its contact reads English) accepted, and one the worker holds,
    both added today: (school's task, worker's task)."""
    partner.language = "en"
    partner.save()
    with time_machine.travel(at(TODAY), tick=False):
        topic = make_topic(community, resident)
        school = PartnerUnit.objects.create(community=community, name="第一小学")
        school.contacts.add(partner)
        task = svc.add_task(
            topic, by=community_worker, title="更换楼道灯", route=Route.IMMEDIATE,
            responsible=Responsible.COMMUNITY_WORKER,
        )  # fmt: skip
        svc.dispatch_task(task, school, by=community_worker)
        svc.answer_dispatch(task, by=partner, accept=True)
        worker_task = svc.add_task(
            topic, by=community_worker, title="清理楼道", route=Route.IMMEDIATE,
            responsible=Responsible.COMMUNITY_WORKER, assignee=community_worker,
        )  # fmt: skip
    return task, worker_task


def test_deadlines_and_supervision_reach_the_unit_and_the_worker_by_sms(
    community, resident, community_worker, chair, partner
):
    task, worker_task = two_tasks(community, resident, community_worker, partner)
    due = task.due_date

    # Three days ahead, at one in the morning: recorded, held until 08:00
    with time_machine.travel(at(due - datetime.timedelta(days=3), 1), tick=False):
        svc.send_reminders()
        recover_stalled_sends()
    assert LogSender.outbox == []
    with time_machine.travel(at(due - datetime.timedelta(days=3), 8), tick=False):
        svc.send_reminders()
        recover_stalled_sends()
    assert sorted(LogSender.outbox) == sorted(
        [
            (partner.phone, f"{community.name}: the task “更换楼道灯” is due on {due}."),
            (community_worker.phone, f"{community.name}：任务“清理楼道”将于{due}到期。"),
        ]
    )

    # Overdue: the automatic 督办 goes out once, however often the tick runs
    LogSender.outbox.clear()
    with time_machine.travel(at(due + datetime.timedelta(days=1)), tick=False):
        svc.send_reminders()
        recover_stalled_sends()
        svc.send_reminders()
        recover_stalled_sends()
    supervision = [t for t in texts() if "督办" in t or "supervision" in t]
    assert len([t for t in supervision if "更换楼道灯" in t]) == 1
    assert any(t.startswith(f"{community.name}: supervision (督办)") for t in supervision)

    # A person's 督办 note too, one round per note
    LogSender.outbox.clear()
    with time_machine.travel(at(due + datetime.timedelta(days=2)), tick=False):
        svc.add_supervision_note(task, by=chair, text="请本周内完成")
        recover_stalled_sends()
    assert texts() == [
        f"{community.name}: supervision (督办) on the task “更换楼道灯”: 请本周内完成"
    ]
    rounds = Delivery.objects.filter(task=task, purpose="supervision", channel="sms").values_list(
        "round"
    )
    assert sorted(r for (r,) in rounds) == [1, 2]
    assert not Delivery.objects.filter(task=worker_task, user=partner).exists()


def test_deadlines_and_supervision_go_by_e_mail_too_to_those_who_gave_one(
    community, resident, community_worker, chair, partner
):
    community_worker.email = ""  # gave none: SMS alone
    community_worker.save()
    task, worker_task = two_tasks(community, resident, community_worker, partner)
    due = task.due_date
    assert worker_task.due_date == due
    mail.outbox.clear()

    # Three days ahead at one in the morning: the SMS waits for 08:00, the e-mail need not
    with time_machine.travel(at(due - datetime.timedelta(days=3), 1), tick=False):
        svc.send_reminders()
        recover_stalled_sends()
        recover_stalled_sends()
    assert [(m.to, m.subject, m.body) for m in mail.outbox] == [
        (
            [partner.email],
            "Task deadline: 更换楼道灯",
            f"{community.name}: the task “更换楼道灯” is due on {due}.",
        )
    ]
    assert LogSender.outbox == []
    record = Delivery.objects.get(task=task, user=partner, channel="email")
    assert record.status == "sent" and record.recipient == partner.email
    worker = Delivery.objects.filter(task=worker_task, user=community_worker)
    assert list(worker.values_list("channel", flat=True)) == ["sms"]

    # A 督办 note, once, in the Chinese of a reader who kept the default language
    partner.language = ""
    partner.save()
    mail.outbox.clear()
    with time_machine.travel(at(due + datetime.timedelta(days=2)), tick=False):
        svc.add_supervision_note(task, by=chair, text="请本周内完成")
        recover_stalled_sends()
        recover_stalled_sends()
    notes = [m for m in mail.outbox if "请本周内完成" in m.body]
    assert [(m.to, m.subject) for m in notes] == [([partner.email], "督办：更换楼道灯")]
