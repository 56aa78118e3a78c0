"""办: tasks, dispatch to co-building units, progress, reminders and supervision."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from deliberation.models import (
    AuditEntry,
    DispatchState,
    Notification,
    PartnerUnit,
    Phase,
    Reminder,
    Responsible,
    Route,
    SupervisionKind,
    SupervisionNote,
    Task,
    TaskStatus,
)
from deliberation.services import execution as svc
from tests.factories_execution import make_topic

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 3, 10)


@pytest.fixture
def frozen(monkeypatch):
    """Freeze the clock at 10:00 Beijing time on TODAY; returns a setter to move it."""
    tz = datetime.timezone(datetime.timedelta(hours=8))
    state = {"now": datetime.datetime.combine(TODAY, datetime.time(10), tzinfo=tz)}
    monkeypatch.setattr(timezone, "now", lambda: state["now"])

    def move_to(day):
        state["now"] = datetime.datetime.combine(day, datetime.time(10), tzinfo=tz)

    return move_to


@pytest.fixture
def decided(community, resident, frozen):
    return make_topic(community, resident)


@pytest.fixture
def unit(community, partner):
    unit = PartnerUnit.objects.create(community=community, name="第一小学")
    unit.contacts.add(partner)
    return unit


def add(topic, by, **extra):
    extra.setdefault("title", "更换楼道灯")
    extra.setdefault("responsible", Responsible.COMMUNITY_WORKER)
    extra.setdefault("route", Route.IMMEDIATE)
    return svc.add_task(topic, by=by, **extra)


def test_the_first_task_starts_execution_with_the_default_due_date(decided, community_worker):
    task = add(decided, community_worker)
    decided.refresh_from_db()
    assert decided.phase == Phase.EXECUTING
    assert task.due_date == TODAY + datetime.timedelta(days=15)
    assert AuditEntry.objects.filter(verb="task.add", target_id=str(task.pk)).exists()


def test_a_major_topic_gets_thirty_days(community, resident, community_worker, frozen):
    topic = make_topic(community, resident, is_major=True)
    assert add(topic, community_worker).due_date == TODAY + datetime.timedelta(days=30)


def test_the_chair_sets_another_date_with_a_reason(decided, chair):
    task = add(decided, chair, due_date=TODAY + datetime.timedelta(days=5), due_reason="汛期前")
    assert task.due_date == TODAY + datetime.timedelta(days=5)
    assert task.due_reason == "汛期前"


def test_it_rejects_a_due_date_in_the_past(decided, chair):
    with pytest.raises(ValidationError, match="已经过去"):
        add(decided, chair, due_date=TODAY - datetime.timedelta(days=1), due_reason="x")
    assert not Task.objects.exists()
    decided.refresh_from_db()
    assert decided.phase == Phase.DECIDED


def test_another_date_needs_a_reason(decided, chair):
    with pytest.raises(ValidationError):
        add(decided, chair, due_date=TODAY + datetime.timedelta(days=3))
    assert not Task.objects.exists()


def test_a_community_worker_may_not_change_the_date(decided, community_worker):
    with pytest.raises(ValidationError, match="党组织书记"):
        add(decided, community_worker, due_date=TODAY + datetime.timedelta(days=3), due_reason="x")


def test_a_resident_may_not_add_tasks(decided, resident):
    with pytest.raises(PermissionDenied):
        add(decided, resident)


def test_tasks_cannot_be_added_before_a_decision(community, resident, community_worker, frozen):
    topic = make_topic(community, resident, phase=Phase.DECIDED)
    topic.phase = Phase.DISCUSSING
    topic.save()
    with pytest.raises(ValidationError):
        add(topic, community_worker)


def test_a_unit_accepts_a_dispatched_task_and_is_shown(decided, community_worker, partner, unit):
    task = add(decided, community_worker, responsible=Responsible.PARTNER_UNIT)
    svc.dispatch_task(task, unit, by=community_worker, note="请协助")
    svc.answer_dispatch(task, by=partner, accept=True)
    task.refresh_from_db()
    assert task.partner_unit == unit
    assert task.dispatches.get().state == DispatchState.ACCEPTED
    assert AuditEntry.objects.filter(verb="task.claim").exists()


def test_a_unit_declines_with_a_reason(decided, community_worker, partner, unit):
    task = add(decided, community_worker)
    svc.dispatch_task(task, unit, by=community_worker)
    with pytest.raises(ValidationError):
        svc.answer_dispatch(task, by=partner, accept=False, reason="  ")
    svc.answer_dispatch(task, by=partner, accept=False, reason="人手不足")
    assert task.dispatches.get().state == DispatchState.DECLINED
    # Declined: the community may send it to another unit.
    other = PartnerUnit.objects.create(community=decided.community, name="社区医院")
    svc.dispatch_task(task, other, by=community_worker)


def test_a_unit_cannot_accept_a_task_not_sent_to_it(
    decided, community_worker, partner, unit, community
):
    from deliberation.models import Role
    from tests.factories import add_member

    other_contact = add_member(community, Role.PARTNER_CONTACT, name="别的联系人")
    task = add(decided, community_worker)
    svc.dispatch_task(task, unit, by=community_worker)
    with pytest.raises(ValidationError, match="没有派给您的单位"):
        svc.answer_dispatch(task, by=other_contact, accept=True)
    task.refresh_from_db()
    assert task.partner_unit is None
    assert task.dispatches.get().state == DispatchState.PENDING


def test_a_task_goes_to_one_unit_at_a_time(decided, community_worker, unit):
    task = add(decided, community_worker)
    svc.dispatch_task(task, unit, by=community_worker)
    other = PartnerUnit.objects.create(community=decided.community, name="社区医院")
    with pytest.raises(ValidationError):
        svc.dispatch_task(task, other, by=community_worker)


def test_progress_rolls_up_and_followers_hear_of_it(
    decided, community_worker, resident, django_capture_on_commit_callbacks
):
    first = add(decided, community_worker)
    second = add(decided, community_worker, title="清理楼道")
    with django_capture_on_commit_callbacks(execute=True):
        svc.report_progress(first, by=community_worker, text="已买灯泡", percent=50)
    ctx = svc.execution_context(decided, resident)
    assert ctx["progress"] == 25
    assert {t.pk for t in ctx["tasks"]} == {first.pk, second.pk}
    assert Notification.objects.filter(user=resident, text__contains="50%").exists()


def test_only_the_responsible_party_reports_progress(decided, community_worker, grid_worker):
    task = add(decided, community_worker, responsible=Responsible.OWNERS_COMMITTEE)
    with pytest.raises(PermissionDenied):
        svc.report_progress(task, by=grid_worker, text="x", percent=10)


def test_status_is_derived_from_dates(decided, community_worker):
    add(decided, community_worker)
    qs = Task.objects.all()
    assert qs.with_status(TODAY).get().status == TaskStatus.ON_TRACK
    due = TODAY + datetime.timedelta(days=15)
    assert qs.with_status(due - datetime.timedelta(days=3)).get().status == TaskStatus.DUE_SOON
    assert qs.with_status(due).get().status == TaskStatus.DUE_SOON
    assert qs.with_status(due + datetime.timedelta(days=1)).get().status == TaskStatus.OVERDUE


def test_reminders_go_out_once_and_overdue_tasks_escalate(
    decided, community_worker, chair, observer, frozen, django_capture_on_commit_callbacks
):
    task = add(decided, community_worker)
    due = task.due_date
    with django_capture_on_commit_callbacks(execute=True):
        assert sum(svc.send_reminders(today=TODAY).values()) == 0
        frozen(due - datetime.timedelta(days=3))
        call_command("send_reminders")
        call_command("send_reminders")
    assert list(Reminder.objects.values_list("kind", flat=True)) == ["due_soon"]
    assert Notification.objects.filter(user=community_worker).count() == 1
    with django_capture_on_commit_callbacks(execute=True):
        frozen(due)
        svc.send_reminders()
        svc.send_reminders()
    assert Reminder.objects.count() == 2
    with django_capture_on_commit_callbacks(execute=True):
        frozen(due + datetime.timedelta(days=1))
        svc.send_reminders()
        svc.send_reminders()
    note = SupervisionNote.objects.get()
    assert note.kind == SupervisionKind.OVERDUE
    assert Notification.objects.filter(user=chair).count() == 1
    assert Notification.objects.filter(user=observer).count() == 1
    assert Notification.objects.filter(user=community_worker).count() == 3


def test_completing_the_last_task_moves_the_topic_to_evaluating(decided, community_worker):
    first = add(decided, community_worker)
    second = add(decided, community_worker, title="清理楼道")
    svc.complete_task(first, by=community_worker, text="换好了")
    decided.refresh_from_db()
    assert decided.phase == Phase.EXECUTING
    svc.complete_task(second, by=community_worker, text="清理好了")
    decided.refresh_from_db()
    assert decided.phase == Phase.EVALUATING
    first.refresh_from_db()
    assert first.completed_on == TODAY and first.progress == 100


def test_completion_needs_evidence(decided, community_worker):
    task = add(decided, community_worker)
    with pytest.raises(ValidationError):
        svc.complete_task(task, by=community_worker, text=" ")


# --- pages ------------------------------------------------------------------------------------


def test_the_task_pages_work_for_a_worker(client, decided, community_worker, community):
    client.force_login(community_worker)
    url = reverse("task_new", args=[decided.pk])
    assert client.get(url).status_code == 200
    response = client.post(
        url, {"title": "修灯", "responsible": "community_worker", "route": "immediate"}
    )
    task = Task.objects.get()
    assert response.status_code == 302 and response["Location"] == task.get_absolute_url()
    page = client.get(task.get_absolute_url())
    assert "修灯" in page.text
    response = client.post(
        task.get_absolute_url(),
        {"action": "progress", "progress-text": "买好灯泡", "progress-percent": "40"},
    )
    assert response.status_code == 302
    task.refresh_from_db()
    assert task.progress == 40
    assert "修灯" in client.get(reverse("task_list", args=[community.pk]) + "?show=all").text


def test_a_bad_percentage_changes_nothing(client, decided, community_worker):
    task = add(decided, community_worker)
    client.force_login(community_worker)
    response = client.post(
        task.get_absolute_url(),
        {"action": "progress", "progress-text": "x", "progress-percent": "140"},
    )
    assert response.status_code == 200
    assert "data-error-summary" in response.text
    task.refresh_from_db()
    assert task.progress == 0


def test_an_unknown_action_is_a_bad_request(client, decided, community_worker):
    task = add(decided, community_worker)
    client.force_login(community_worker)
    assert client.post(task.get_absolute_url(), {"action": "explode"}).status_code == 400


def test_a_progress_photo_is_stored_and_served_to_members_only(
    client, decided, community_worker, resident, outsider
):
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), "red").save(buffer, format="PNG")
    upload = SimpleUploadedFile("a.png", buffer.getvalue(), content_type="image/png")
    task = add(decided, community_worker)
    client.force_login(community_worker)
    client.post(
        task.get_absolute_url(),
        {
            "action": "progress",
            "progress-text": "照片",
            "progress-percent": "10",
            "progress-photos": [upload],
        },
    )
    photo = task.updates.get().photos.get()
    url = reverse("task_photo", args=[task.pk, photo.pk])
    client.force_login(resident)
    assert client.get(url).status_code == 200
    client.force_login(outsider)
    assert client.get(url).status_code == 404


def test_a_file_that_is_not_a_photo_is_refused(client, decided, community_worker):
    from django.core.files.uploadedfile import SimpleUploadedFile

    task = add(decided, community_worker)
    client.force_login(community_worker)
    response = client.post(
        task.get_absolute_url(),
        {
            "action": "progress",
            "progress-text": "x",
            "progress-percent": "10",
            "progress-photos": [SimpleUploadedFile("a.jpg", b"not an image")],
        },
    )
    assert response.status_code == 200
    assert not task.updates.exists()


def test_the_task_list_keeps_a_constant_query_count(
    client, decided, community_worker, community, django_assert_max_num_queries
):
    client.force_login(community_worker)
    for n in range(12):
        add(decided, community_worker, title=f"任务{n}")
    with django_assert_max_num_queries(12):
        response = client.get(reverse("task_list", args=[community.pk]) + "?show=all")
    assert "任务11" in response.text


def test_partner_page_lists_units_and_a_contact_publishes_an_offer(
    client, community, partner, unit, community_worker
):
    client.force_login(partner)
    url = reverse("partner_list", args=[community.pk])
    response = client.post(
        url, {"action": "offer", "offer-unit": unit.pk, "offer-title": "周末义诊"}
    )
    assert response.status_code == 302
    assert "周末义诊" in client.get(url).text
    response = client.post(url, {"action": "register", "unit-name": "x", "unit-kind": "school"})
    assert response.status_code == 403
    client.force_login(community_worker)
    response = client.post(
        url,
        {
            "action": "register",
            "unit-name": "区医院",
            "unit-kind": "hospital",
            "unit-contacts": [partner.pk],
        },
    )
    assert response.status_code == 302
    assert PartnerUnit.objects.get(name="区医院").contacts.get() == partner


def test_user_text_is_escaped(client, decided, community_worker):
    task = add(decided, community_worker, title="<script>alert(1)</script>")
    client.force_login(community_worker)
    text = client.get(task.get_absolute_url()).text
    assert "<script>alert(1)" not in text
    assert "&lt;script&gt;" in text


def test_the_topic_page_shows_its_tasks(client, decided, community_worker, resident):
    add(decided, community_worker, title="装新灯")
    client.force_login(resident)
    text = client.get(decided.get_absolute_url()).text
    assert "装新灯" in text
    assert reverse("topic_tasks", args=[decided.pk]) in text


def test_the_task_list_answers_htmx_with_its_fragment(client, decided, community_worker, community):
    add(decided, community_worker, title="修灯")
    client.force_login(community_worker)
    url = reverse("task_list", args=[community.pk]) + "?show=due_soon"
    response = client.get(url, HTTP_HX_REQUEST="true")
    assert response.text.lstrip().startswith('<div id="task-rows"')
    assert "<html" not in response.text
    assert "HX-Request" in response["Vary"]
