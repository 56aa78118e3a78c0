"""The demo data for 办 and 评 loads, and loads only once."""

import pytest
from django.core.management import call_command

from deliberation.models import Notice, PartnerUnit, Phase, SupervisionNote, Task, Topic

pytestmark = pytest.mark.django_db


def test_the_demo_has_units_an_overdue_task_a_due_soon_task_and_a_closed_topic(
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo")
    unit = PartnerUnit.objects.get(name="幸福里小学")
    assert unit.contacts.get().phone.endswith("13800000007")
    statuses = set(Task.objects.with_status().values_list("status", flat=True))
    assert {"overdue", "due_soon", "done"} <= statuses
    assert SupervisionNote.objects.filter(kind="overdue").exists()
    assert Topic.objects.filter(title="小区南门路灯不亮", phase=Phase.CLOSED).exists()
    assert Topic.objects.filter(phase=Phase.EVALUATING).exists()
    assert Notice.objects.filter(kind="closure").exists()
    count = Task.objects.count()
    call_command("seed_demo")
    assert Task.objects.count() == count
