"""A real worker killed (SIGKILL) in the middle of sending a notice by SMS, at the worst moment:
the gateway has accepted a message but the worker never heard back. The job, queued again
once its heartbeat is stale, asks the gateway what it got (QuerySendDetails, by the OutId each
message carried) before sending anything again: every household gets its SMS exactly once."""

import signal
from collections import Counter
from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.db import connection, transaction
from django.utils import timezone

from deliberation.delivery import BATCH, queue_delivery
from deliberation.jobs import recover_stalled_jobs
from deliberation.models import (
    Building,
    Delivery,
    Holder,
    NoticeKind,
    Ownership,
    Unit,
)
from deliberation.notices import publish_notice
from tests.fake_aliyun import fake_gateway, point_settings_at, sender_settings
from tests.queue import run_queued_tasks
from tests.worker_process import worker_process

pytestmark = pytest.mark.django_db(transaction=True)

HOUSEHOLDS = 2 * BATCH + 7  # three batches, the last one short
HELD = BATCH // 2  # the message the gateway keeps but never answers


@pytest.fixture
def phones(community):
    estate = community.estates.get()
    building = Building.objects.create(estate=estate, name="9号楼")
    numbers = []
    for n in range(HOUSEHOLDS):
        unit = Unit.objects.create(building=building, number=f"{900 + n}", area=Decimal("80.00"))
        phone = f"+86139{n:08d}"
        holder = Holder.objects.create(community=community, name=f"九楼业主{n}", phone=phone)
        Ownership.objects.create(unit=unit, holder=holder)
        numbers.append(phone.removeprefix("+86"))
    return numbers


def test_a_worker_killed_mid_send_neither_loses_nor_duplicates_a_message(
    community, committee_member, phones, settings
):
    with transaction.atomic():
        # Urgent (a water cut tonight): no quiet hours, whatever the hour the test runs.
        notice = publish_notice(
            community=community, kind=NoticeKind.OTHER, title="今晚停水", body="22:00起停水"
        )
        job = queue_delivery(notice, by=committee_member, urgent=True)
    assert not Delivery.objects.exists()  # publishing only queued the work

    with fake_gateway(hold_at=HELD) as (gateway, endpoint):
        env = sender_settings(endpoint)
        with worker_process(connection.settings_dict, env=env) as worker:
            assert gateway.holding.wait(timeout=120), "the worker never reached the gateway"
            worker.send_signal(signal.SIGKILL)
            worker.wait()

        records = Delivery.objects.filter(notice=notice).exclude(channel="paper")
        sms = records.filter(channel="sms")
        everyone = Counter(p.removeprefix("+86") for p in sms.values_list("recipient", flat=True))
        assert set(phones) <= set(everyone) and max(everyone.values()) == 1
        assert len(gateway.sent) == HELD  # the gateway got these, the worker learned of none
        assert records.filter(status="sending").count() == BATCH  # the first batch, claimed
        assert records.filter(status="pending").count() == records.count() - BATCH
        stranded = sms.filter(status="sending").count()
        assert stranded > HELD
        job.refresh_from_db()
        assert job.state == "running" and job.attempts == 1

        gateway.restore()
        later = timezone.now() + timedelta(seconds=settings.JOB_STALL_SECONDS + 60)
        with time_machine.travel(later, tick=False):
            assert recover_stalled_jobs() == [job]
        point_settings_at(settings, endpoint)  # the new worker runs in this process
        run_queued_tasks()

    received = Counter(phone for phone, _template, _params in gateway.sent)
    assert received == everyone  # every household once: none lost, none twice
    assert len(gateway.queries) == stranded  # each stranded message was looked up, once
    assert sms.filter(status="sent").count() == sms.count()
    assert not records.filter(status="sending").exists()
    first = {m["out_id"] for m in gateway.messages[:HELD]}
    settled = set(sms.filter(pk__in=[int(o[2:]) for o in first]).values_list("claim", flat=True))
    assert settled == {f"j{job.pk}a1"}  # recorded as sent by the lost attempt, not resent
    job.refresh_from_db()
    total = records.count()
    assert (job.state, job.attempts, job.done, job.total) == ("done", 2, total, total)
