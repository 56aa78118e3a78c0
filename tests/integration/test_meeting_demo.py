"""The demo seeder gives a live lift consultation, a noticed hearing and a closed review."""

import io

import pytest
from django.core.management import call_command

from meetings.models import Kind, Meeting, Status

pytestmark = pytest.mark.django_db


def test_the_demo_has_meetings_and_can_be_loaded_twice():
    call_command("seed_demo", stdout=io.StringIO())
    call_command("seed_demo", stdout=io.StringIO())
    meetings = {m.kind: m for m in Meeting.objects.select_related("chair", "secretary")}
    assert len(meetings) == 3
    lift = meetings[Kind.CONSULTATION]
    assert (lift.status, lift.chair.real_name, lift.secretary.real_name) == (
        Status.LIVE,
        "赵书记",
        "刘洋",
    )
    names = set(lift.participants.values_list("name", flat=True))
    assert {"李明", "王芳"} <= names
    assert lift.items.filter(topic__isnull=False).exists()
    assert meetings[Kind.HEARING].status == Status.NOTICED
    review = meetings[Kind.REVIEW]
    assert review.status == Status.CORRECTIONS
    assert review.minutes.filter(kind="decision").exists()
