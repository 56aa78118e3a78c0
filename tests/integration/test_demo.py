"""The demo estate, seeded once for the whole module (twice, to show a second `seed_demo`
doubles nothing) and read as its people would: it looks like a real community, its votes,
meetings and tasks are where the README says, every page reads in English as each persona, and
in Chinese its labels take Chinese punctuation.

Seeding costs seconds, so every test that reads the demo lives here and shares one estate;
each test runs in a transaction rolled back after it, so a ballot cast here is not seen by the
next test. The module's tests stay on one xdist worker (the "demo" group).
"""

import io
import re
from datetime import timedelta
from itertools import combinations
from pathlib import Path

import pytest
import time_machine
from django.conf import settings
from django.core.management import call_command
from django.test import Client, override_settings
from django.utils import timezone

from accounts.models import User
from deliberation.delivery import coverage
from deliberation.demo.registry import PERSONAS
from deliberation.demo.topics import LIFT
from deliberation.models import (
    AssemblyVote,
    AuditEntry,
    CoSign,
    Holder,
    Moderation,
    Notice,
    Notification,
    PartnerUnit,
    Phase,
    Statement,
    StatementVote,
    SupervisionNote,
    Task,
    Topic,
    Unit,
    VoteState,
)
from deliberation.services import votes
from meetings.models import Kind, Meeting, Status
from tests.page_walk import content_strings, non_content_chinese, visible_text, walk

pytestmark = [pytest.mark.django_db, pytest.mark.xdist_group("demo")]

UNREAD_AT_MOST = 5


def _counts():
    return {
        "lift topics": Topic.objects.filter(title=LIFT).count(),
        "topics": Topic.objects.count(),
        "tasks": Task.objects.count(),
        "meetings": Meeting.objects.count(),
        "votes": AssemblyVote.objects.count(),
        "units": Unit.objects.count(),
        "notifications": Notification.objects.count(),
    }


def _next_ten_in_shanghai():
    now = timezone.localtime()
    ten = now.replace(hour=10, minute=0, second=0, microsecond=0)
    return ten if ten > now else ten + timedelta(days=1)


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker, tmp_path_factory, worker_id):
    """{"output": what the first seed_demo printed, "first"/"again": counts after each run}.

    The module lives at 10:00 in Shanghai: the demo's notices go out by SMS at once, as they
    do by day (between 22:00 and 08:00 the quiet hours would hold them until morning)."""
    run_folder = tmp_path_factory.getbasetemp()
    if worker_id != "master":
        run_folder = run_folder.parent  # shared by the run's xdist workers
    seeded = run_folder / "demo-seeded"
    assert not seeded.exists(), "the demo module's tests ran on two workers (xdist_group)"
    seeded.touch()
    # The autouse MD5 hasher (tests/conftest.py) is function-scoped: set it here too.
    fast_hashing = override_settings(
        PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]
    )
    with time_machine.travel(_next_ten_in_shanghai(), tick=True):
        with django_db_blocker.unblock(), fast_hashing:
            out = io.StringIO()
            call_command("seed_demo", stdout=out)
            first = _counts()
            call_command("seed_demo", stdout=io.StringIO())
            again = _counts()
        yield {"output": out.getvalue(), "first": first, "again": again}
        with django_db_blocker.unblock():
            call_command("flush", interactive=False, verbosity=0)


@pytest.fixture(scope="module")
def content(demo, django_db_blocker):
    """The demo's content strings (tests/page_walk.py), read once: every test runs in a
    transaction rolled back after it, so the estate each walk starts from is the same."""
    with django_db_blocker.unblock():
        return content_strings()


def printed_logins(output):
    return re.findall(r"^\s+\w+\s+(\S+)\s+phone (\d{11})", output, flags=re.MULTILINE)


def test_seeding_the_demo_again_doubles_nothing(demo):
    assert demo["again"] == demo["first"]
    assert demo["first"]["lift topics"] == 1


# -- It looks like a real community -------------------------------------------------------------


def test_a_matter_needs_several_co_signs(demo):
    lift = Topic.objects.get(title=LIFT)
    assert lift.phase == Phase.DISCUSSING and lift.cosign_count >= 1
    assert lift.cosign_target >= 3
    assert CoSign.objects.filter(topic=lift).count() >= lift.cosign_target
    collecting = Topic.objects.filter(phase=Phase.COLLECTING)
    assert collecting.exists()
    for topic in collecting:
        assert topic.cosign_target >= 3
        assert CoSign.objects.filter(topic=topic).count() < topic.cosign_target
    assert Topic.objects.filter(phase=Phase.DECIDED).exists()
    assert Topic.objects.filter(phase=Phase.DECLINED).exists()


def test_no_two_matters_are_near_copies(demo):
    def plain(title):
        return re.sub(r"[\s，。、,.!！?？：:]", "", title)

    titles = [plain(t) for t in Topic.objects.values_list("title", flat=True)]
    twins = [(a, b) for a, b in combinations(titles, 2) if a in b or b in a]
    assert twins == []


def test_each_demo_person_has_a_few_unread_notifications(demo):
    logins = printed_logins(demo["output"])
    assert len(logins) == 8
    unread = {}
    for name, phone in logins:
        user = User.objects.get(phone__endswith=phone)
        unread[name] = Notification.objects.filter(user=user, read_at=None).count()
    assert all(n <= UNREAD_AT_MOST for n in unread.values()), unread
    assert unread["李明"] >= 1  # the owner's bell still has something new


def test_the_readme_names_the_logins_seed_demo_prints(demo):
    readme = (Path(settings.BASE_DIR) / "README.md").read_text(encoding="utf-8")
    logins = printed_logins(demo["output"])
    for name, phone in logins:
        assert f"{name} `{phone}`" in readme, (name, phone)
    assert set(re.findall(r"`(138\d{8})`", readme)) == {phone for _, phone in logins}
    assert f"prints {len(logins)}" in readme or "prints eight" in readme


# -- Votes: an open election, an open fund vote, a published result ----------------------------


def test_the_demo_has_an_open_election_an_open_fund_vote_and_a_published_result(demo):
    states = {v.title: v.state for v in AssemblyVote.objects.all()}
    assert sorted(states.values()) == sorted([VoteState.OPEN, VoteState.OPEN, VoteState.PUBLISHED])
    election = AssemblyVote.objects.get(matters__kind="election")
    assert election.matters.get().candidates.filter(vetting_result="approved").count() == 6
    fund = AssemblyVote.objects.get(matters__code="use_maintenance_fund")
    li_ming = User.objects.get(phone__endswith="13800000001")
    holder = Holder.objects.get(user=li_ming)
    ballot = votes.cast_ballot(fund.matters.get(), holder, "yes", by=li_ming, channel="online")
    assert ballot.receipt_code
    published = AssemblyVote.objects.get(status="published")
    assert published.matters.get().result.passed is not None


def test_the_demo_has_two_tellers_on_each_open_vote_and_an_estate_of_200_flats(client, demo):
    assert Unit.objects.filter(building__estate__name="阳光小区").count() >= 200
    running = [v for v in AssemblyVote.objects.all() if v.state == VoteState.OPEN]
    assert running
    for vote in running:
        assert {t.user.real_name for t in vote.tellers.select_related("user")} == {"刘洋", "张伟"}
    fund = AssemblyVote.objects.get(matters__code="use_maintenance_fund")
    client.force_login(User.objects.get(real_name="张伟"))
    page = client.get(f"/votes/{fund.pk}/paper/").content.decode()
    assert "待第二次录入（第一次由 刘洋 录入）" in page


# -- Execution (办) and evaluation (评) ----------------------------------------------------------


def test_the_demo_has_units_an_overdue_task_a_due_soon_task_and_a_closed_topic(demo):
    unit = PartnerUnit.objects.get(name="幸福里小学")
    assert unit.contacts.get().phone.endswith("13800000007")
    statuses = set(Task.objects.with_status().values_list("status", flat=True))
    assert {"overdue", "due_soon", "done"} <= statuses
    assert SupervisionNote.objects.filter(kind="overdue").exists()
    assert Topic.objects.filter(title="小区南门路灯不亮", phase=Phase.CLOSED).exists()
    assert Topic.objects.filter(phase=Phase.EVALUATING).exists()
    assert Notice.objects.filter(kind="closure").exists()


# -- Meetings: a live consultation, a noticed hearing, a review in its correction period ---------


def test_the_demo_has_a_live_consultation_a_noticed_hearing_and_a_review(demo):
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


# -- The lift matter's opinion map, and the service of the votes' notices ---------------------


def test_the_lift_matter_has_an_opinion_map_li_ming_has_not_answered_yet(client, demo):
    lift = Topic.objects.get(title=LIFT)
    li_ming = User.objects.get(phone__endswith="13800000001")
    assert Statement.objects.filter(topic=lift, state=Moderation.APPROVED).count() >= 8
    hidden = Statement.objects.get(topic=lift, state=Moderation.HIDDEN)
    assert hidden.reason  # moderation says why
    assert not StatementVote.objects.filter(topic=lift, participant=li_ming).exists()
    client.force_login(li_ming)
    page = client.get(f"/topics/{lift.pk}/opinions/map/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    text = page.content.decode()
    assert "还没有人对意见表态" not in text
    assert "应先请第三方检测，查明停运原因再决定修还是换" in text  # what all groups agree on


def test_the_open_votes_show_service_and_the_published_one_was_served_to_all(demo):
    for vote in AssemblyVote.objects.exclude(notice=None):
        served, households = coverage(vote.notice)
        if vote.state == VoteState.PUBLISHED:
            assert served == households
        else:
            assert 0 < served < households  # most reached; some for the grid workers to visit


# -- Every page, as each persona, in English and in Chinese -------------------------------------


@pytest.mark.parametrize("persona", ["anonymous"] + [p[0] for p in PERSONAS])
def test_every_page_reads_in_english(persona, demo, content):
    client = Client()
    client.cookies["django_language"] = "en"
    if persona != "anonymous":
        phone = next(p[1] for p in PERSONAS if p[0] == persona)
        client.force_login(User.objects.get(phone="+86" + phone))
    # The audit log's event codes (topic.rate, task.claim…) are for machines, never for readers.
    codes = set(AuditEntry.objects.values_list("verb", flat=True).distinct())
    # One pass over each page for all of them: a code is letters, digits, "_" and ".", so two
    # codes never overlap where each stands alone, and the set found is the set present.
    assert codes and all(re.fullmatch(r"[\w.]+", c) for c in codes), codes
    alternatives = "|".join(re.escape(c) for c in sorted(codes, key=len, reverse=True))
    raw_code = re.compile(rf"(?<![\w.])({alternatives})(?![\w.])")
    problems, pages = [], 0
    for url, response in walk(client):
        pages += 1
        html = response.content.decode()
        chinese, _links = non_content_chinese(html, content)
        if chinese:
            problems.append(f"{url}: {' | '.join(sorted(set(chinese))[:8])}")
        text, _links = visible_text(html)
        raw = sorted(set(raw_code.findall(text)))
        if raw:
            problems.append(f"{url}: raw codes {', '.join(raw)}")
    assert pages >= (3 if persona == "anonymous" else 10), f"only {pages} pages reached"
    assert not problems, f"Chinese that is not anyone's content, as {persona}:\n" + "\n".join(
        problems
    )


# Labels read as Chinese in Chinese: a label the platform writes is followed by the full-width
# colon "：", never the ASCII ":" of English text. Walked as the personas who see the most
# labels, on the same demo estate; people's own words are left as they typed them.
HALF_WIDTH_COLON = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uff09）]:")


@pytest.mark.parametrize("persona", ["committee", "chair", "owner"])
def test_labels_end_in_a_full_width_colon_in_chinese(persona, demo, content):
    client = Client()
    client.cookies["django_language"] = "zh-hans"
    phone = next(p[1] for p in PERSONAS if p[0] == persona)
    client.force_login(User.objects.get(phone="+86" + phone))
    problems, pages = [], 0
    for url, response in walk(client, every_language=True):
        pages += 1
        text, _links = visible_text(response.content.decode(), every_language=True)
        for value in content:
            text = text.replace(value, " ")
        for match in HALF_WIDTH_COLON.finditer(text):
            problems.append(f"{url}: …{text[max(0, match.start() - 12) : match.end() + 8]}…")
    assert pages >= 10, f"only {pages} pages reached"
    assert not problems, "ASCII colons after Chinese labels:\n" + "\n".join(problems[:40])
