"""The demo looks like a real community: matters need several co-signs, no two matters are
near-copies of each other, people have a few unread notifications rather than dozens, and the
README names the same logins that `seed_demo` prints."""

import re
from io import StringIO
from itertools import combinations
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

from deliberation.demo.topics import LIFT
from deliberation.models import CoSign, Notification, Phase, Topic

# Committed for real, as `manage.py seed_demo` does: notifications are written on commit.
pytestmark = pytest.mark.django_db(transaction=True)

UNREAD_AT_MOST = 5


@pytest.fixture
def demo_output():
    out = StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def printed_logins(output):
    return re.findall(r"^\s+\w+\s+(\S+)\s+phone (\d{11})", output, flags=re.MULTILINE)


def test_a_matter_needs_several_co_signs(demo_output):
    lift = Topic.objects.get(title=LIFT)
    assert lift.cosign_target >= 3
    assert CoSign.objects.filter(topic=lift).count() >= lift.cosign_target
    collecting = Topic.objects.filter(phase=Phase.COLLECTING)
    assert collecting.exists()
    for topic in collecting:
        assert topic.cosign_target >= 3
        assert CoSign.objects.filter(topic=topic).count() < topic.cosign_target


def test_no_two_matters_are_near_copies(demo_output):
    def plain(title):
        return re.sub(r"[\s，。、,.!！?？：:]", "", title)

    titles = [plain(t) for t in Topic.objects.values_list("title", flat=True)]
    twins = [(a, b) for a, b in combinations(titles, 2) if a in b or b in a]
    assert twins == []


def test_each_demo_person_has_a_few_unread_notifications(demo_output):
    from accounts.models import User

    logins = printed_logins(demo_output)
    assert len(logins) == 8
    unread = {}
    for name, phone in logins:
        user = User.objects.get(phone__endswith=phone)
        unread[name] = Notification.objects.filter(user=user, read_at=None).count()
    assert all(n <= UNREAD_AT_MOST for n in unread.values()), unread
    assert unread["李明"] >= 1  # the owner's bell still has something new


def test_the_readme_names_the_logins_seed_demo_prints(demo_output):
    readme = (Path(settings.BASE_DIR) / "README.md").read_text(encoding="utf-8")
    logins = printed_logins(demo_output)
    for name, phone in logins:
        assert f"{name} `{phone}`" in readme, (name, phone)
    assert set(re.findall(r"`(138\d{8})`", readme)) == {phone for _, phone in logins}
    assert f"prints {len(logins)}" in readme or "prints eight" in readme
