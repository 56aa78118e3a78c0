"""评: ratings within a window, follow-up visits, reopening and closing; the whole lifecycle."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from deliberation.models import (
    AuditEntry,
    FollowUpVisit,
    Notice,
    NoticeKind,
    Phase,
    Rating,
    RatingLevel,
    Responsible,
    Role,
    Route,
    SupervisionKind,
    Task,
    VisitChannel,
    VisitOutcome,
)
from deliberation.services import execution as svc
from tests.factories import add_member
from tests.factories_execution import light_mended, make_topic

pytestmark = pytest.mark.django_db

START = datetime.date(2026, 4, 1)
TZ = datetime.timezone(datetime.timedelta(hours=8))


@pytest.fixture
def clock(monkeypatch):
    state = {"now": datetime.datetime.combine(START, datetime.time(9), tzinfo=TZ)}
    monkeypatch.setattr(timezone, "now", lambda: state["now"])

    def move_to(day):
        state["now"] = datetime.datetime.combine(day, datetime.time(9), tzinfo=TZ)
        return day

    return move_to


@pytest.fixture
def evaluating(community, resident, community_worker, clock):
    topic, _task = light_mended(community, resident, community_worker)
    topic.refresh_from_db()
    assert topic.phase == Phase.EVALUATING
    return topic


def visit(topic, by, outcome=VisitOutcome.HOLDS, **extra):
    return svc.record_visit(
        topic,
        by=by,
        visited_on=timezone.localdate(),
        channel=VisitChannel.HOME,
        outcome=outcome,
        **extra,
    )


def test_the_proposer_rates_once(evaluating, resident):
    svc.rate_topic(evaluating, by=resident, level=RatingLevel.SATISFIED, comment="很好")
    with pytest.raises(ValidationError, match="已经评价过"):
        svc.rate_topic(evaluating, by=resident, level=RatingLevel.DISSATISFIED)
    assert Rating.objects.get().level == RatingLevel.SATISFIED
    assert AuditEntry.objects.filter(verb="topic.rate").count() == 1


def test_a_rating_after_the_window_is_refused(evaluating, resident, clock):
    clock(START + datetime.timedelta(days=8))
    with pytest.raises(ValidationError, match="评价期限已过"):
        svc.rate_topic(evaluating, by=resident, level=RatingLevel.SATISFIED)
    assert not Rating.objects.exists()


def test_a_rating_on_the_last_day_of_the_window_counts(evaluating, resident, clock):
    clock(START + datetime.timedelta(days=7))
    svc.rate_topic(evaluating, by=resident, level=RatingLevel.SATISFIED)
    rating = Rating.objects.get(topic=evaluating)
    assert (rating.user, rating.level) == (resident, RatingLevel.SATISFIED)
    assert AuditEntry.objects.filter(verb="topic.rate").count() == 1


def test_someone_unaffected_may_not_rate(community, resident, community_worker, clock):
    from deliberation.models import Scope

    topic = make_topic(community, resident, scope=Scope.ESTATE, estate=community.estates.first())
    task = svc.add_task(
        topic, by=community_worker, title="x", responsible="community_worker", route="immediate"
    )
    svc.complete_task(task, by=community_worker, text="done")
    neighbour = add_member(community, Role.RESIDENT, name="邻居")  # owns nothing in the estate
    with pytest.raises(ValidationError, match="受此议题影响"):
        svc.rate_topic(topic, by=neighbour, level=RatingLevel.DISSATISFIED)
    owner = add_member(community, Role.OWNER, user=neighbour)
    svc.rate_topic(topic, by=owner, level=RatingLevel.SATISFIED)
    assert list(Rating.objects.filter(topic=topic).values_list("user", "level")) == [
        (owner.pk, RatingLevel.SATISFIED)
    ]


def test_workers_may_not_rate(evaluating, community_worker):
    with pytest.raises(PermissionDenied):
        svc.rate_topic(evaluating, by=community_worker, level=RatingLevel.SATISFIED)


def test_a_rating_before_evaluation_is_refused(community, resident, clock):
    topic = make_topic(community, resident, phase=Phase.EXECUTING)
    with pytest.raises(ValidationError, match="不接受评价"):
        svc.rate_topic(topic, by=resident, level=RatingLevel.SATISFIED)


def test_a_visit_records_the_residents_own_rating(evaluating, grid_worker, resident):
    visit(evaluating, grid_worker, resident_rating=RatingLevel.BASICALLY_SATISFIED)
    rating = Rating.objects.get()
    assert rating.user == resident and rating.recorded_by == grid_worker
    # The proposer already has a rating: the app refuses a second one.
    with pytest.raises(ValidationError):
        svc.rate_topic(evaluating, by=resident, level=RatingLevel.SATISFIED)


def test_a_visit_in_the_future_is_refused(evaluating, grid_worker):
    with pytest.raises(ValidationError):
        svc.record_visit(
            evaluating,
            by=grid_worker,
            visited_on=START + datetime.timedelta(days=1),
            channel=VisitChannel.PHONE,
            outcome=VisitOutcome.HOLDS,
        )
    assert not FollowUpVisit.objects.exists()


def test_closing_needs_a_visit_first(evaluating, community_worker):
    with pytest.raises(ValidationError, match="回访"):
        svc.conclude_evaluation(evaluating, by=community_worker)
    evaluating.refresh_from_db()
    assert evaluating.phase == Phase.EVALUATING


def test_the_whole_lifecycle_with_a_reopening(
    community,
    resident,
    owner,
    community_worker,
    grid_worker,
    chair,
    observer,
    partner,
    clock,
    django_capture_on_commit_callbacks,
):
    # decide → tasks
    topic = make_topic(community, resident, title="小区路灯")
    from deliberation.models import PartnerUnit

    unit = PartnerUnit.objects.create(community=community, name="供电所党支部")
    unit.contacts.add(partner)
    task = svc.add_task(
        topic,
        by=chair,
        title="修路灯",
        responsible=Responsible.PARTNER_UNIT,
        route=Route.TRANSFERRED,
        due_date=START + datetime.timedelta(days=10),
        due_reason="冬季",
    )
    svc.dispatch_task(task, unit, by=community_worker)
    svc.answer_dispatch(task, by=partner, accept=True)
    svc.report_progress(task, by=partner, text="已订购灯具", percent=30)
    # overdue escalation with a frozen clock
    with django_capture_on_commit_callbacks(execute=True):
        clock(START + datetime.timedelta(days=11))
        svc.send_reminders()
    assert task.supervision_notes.get().kind == SupervisionKind.OVERDUE
    # done → ratings
    svc.complete_task(task, by=partner, text="路灯已修复")
    topic.refresh_from_db()
    assert topic.phase == Phase.EVALUATING
    svc.rate_topic(topic, by=resident, level=RatingLevel.DISSATISFIED, comment="又坏了")
    svc.rate_topic(topic, by=owner, level=RatingLevel.DISSATISFIED)
    visit(topic, grid_worker, outcome=VisitOutcome.HOLDS)
    # reopen: most ratings dissatisfied
    assert svc.conclude_evaluation(topic, by=community_worker) == Phase.EXECUTING
    topic.refresh_from_db()
    assert topic.phase == Phase.EXECUTING
    rework = Task.objects.get(topic=topic, round=2)
    assert rework.partner_unit == unit
    assert rework.supervision_notes.get().kind == SupervisionKind.REOPENED
    # done again → ratings of round 2 → close
    svc.complete_task(rework, by=partner, text="更换了整条线路")
    svc.rate_topic(topic, by=resident, level=RatingLevel.SATISFIED)
    visit(topic, grid_worker)
    assert svc.conclude_evaluation(topic, by=community_worker) == Phase.CLOSED
    topic.refresh_from_db()
    assert topic.phase == Phase.CLOSED
    # history keeps both rounds
    assert Rating.objects.filter(topic=topic, round=1).count() == 2
    assert Rating.objects.filter(topic=topic, round=2).count() == 1
    assert FollowUpVisit.objects.filter(topic=topic).count() == 2
    notice = Notice.objects.get(kind=NoticeKind.CLOSURE)
    assert "小区路灯" in notice.title
    phases = [e.data["to"] for e in AuditEntry.objects.filter(verb="topic.phase").order_by("pk")]
    assert phases[-5:] == ["executing", "evaluating", "executing", "evaluating", "closed"]


def test_a_failed_visit_is_a_ground_for_reopening(evaluating, grid_worker):
    visit(evaluating, grid_worker, outcome=VisitOutcome.FAILED, notes="灯又不亮了")
    evaluating.refresh_from_db()
    assert evaluating.phase == Phase.EVALUATING  # the worker chooses the work to redo
    assert svc.reopen_grounds(evaluating) == ["visit_failed"]
    svc.reopen_topic(
        evaluating, by=grid_worker, tasks=Task.objects.filter(topic=evaluating, round=1)
    )
    evaluating.refresh_from_db()
    assert evaluating.phase == Phase.EXECUTING
    assert Task.objects.filter(topic=evaluating, round=2).get().title == "修灯"


def test_evaluations_conclude_by_themselves_after_the_window(evaluating, grid_worker, clock):
    visit(evaluating, grid_worker)
    svc.send_reminders()
    evaluating.refresh_from_db()
    assert evaluating.phase == Phase.EVALUATING
    clock(START + datetime.timedelta(days=8))
    svc.send_reminders()
    evaluating.refresh_from_db()
    assert evaluating.phase == Phase.CLOSED


# --- pages ------------------------------------------------------------------------------------


def test_a_resident_rates_through_the_page(client, evaluating, resident):
    client.force_login(resident)
    url = reverse("topic_rate", args=[evaluating.pk])
    assert client.get(url).status_code == 200
    response = client.post(url, {"level": "basically", "comment": "还行"})
    assert response.status_code == 302
    assert Rating.objects.get().level == RatingLevel.BASICALLY_SATISFIED
    response = client.post(url, {"level": "satisfied"})
    assert response.status_code == 200
    assert Rating.objects.count() == 1


def test_a_rating_outside_the_choices_is_refused(client, evaluating, resident):
    client.force_login(resident)
    response = client.post(reverse("topic_rate", args=[evaluating.pk]), {"level": "ecstatic"})
    assert response.status_code == 200 and "data-error-summary" in response.text
    assert not Rating.objects.exists()


def test_a_grid_worker_records_a_visit_and_staff_conclude(
    client, evaluating, grid_worker, community_worker
):
    client.force_login(grid_worker)
    response = client.post(
        reverse("visit_new", args=[evaluating.pk]),
        {"visited_on": START.isoformat(), "channel": "phone", "outcome": "holds"},
    )
    assert response.status_code == 302
    client.force_login(community_worker)
    response = client.post(reverse("topic_tasks", args=[evaluating.pk]))
    assert response.status_code == 302
    evaluating.refresh_from_db()
    assert evaluating.phase == Phase.CLOSED


def test_a_resident_may_not_conclude(client, evaluating, resident):
    client.force_login(resident)
    assert client.post(reverse("topic_tasks", args=[evaluating.pk])).status_code == 403


def test_an_outsider_cannot_see_or_rate(client, evaluating, outsider):
    client.force_login(outsider)
    assert client.get(reverse("topic_tasks", args=[evaluating.pk])).status_code == 404
    assert (
        client.post(reverse("topic_rate", args=[evaluating.pk]), {"level": "satisfied"}).status_code
        == 404
    )


def test_wrong_method_is_405(client, evaluating, resident):
    client.force_login(resident)
    assert client.delete(reverse("topic_rate", args=[evaluating.pk])).status_code == 405
