"""Reopening a result residents rated 不满意: the worker redoes the work they complained about."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from deliberation.models import (
    Notice,
    NoticeKind,
    Phase,
    RatingLevel,
    Responsible,
    Route,
    Task,
)
from deliberation.services import execution as svc
from tests.factories_execution import make_topic, roof_repair_complained_about

pytestmark = pytest.mark.django_db


@pytest.fixture
def rated(community, resident, owner, community_worker, grid_worker):
    """The repair, then an interim clean-up finished last; both residents dissatisfied with the
    repair; the visit recorded."""
    topic, repair, cleanup = roof_repair_complained_about(
        community, resident, [resident, owner], community_worker, grid_worker
    )
    assert topic.phase == Phase.EVALUATING
    return topic, repair, cleanup


def checkbox(html, task):
    """The reopen form's checkbox for `task`: its <input> tag."""
    marker = f'value="{task.pk}"'
    start = html.index(marker)
    return html[html.rindex("<input", 0, start) : html.index(">", start) + 1]


def test_the_worker_sees_every_task_with_the_one_complained_about_ticked(
    client, rated, community_worker
):
    topic, repair, cleanup = rated
    client.force_login(community_worker)
    tasks_page = client.get(reverse("topic_tasks", args=[topic.pk])).content.decode()
    assert reverse("topic_reopen", args=[topic.pk]) in tasks_page
    assert "该结果可以退回重办：多数评价为不满意。" in tasks_page
    html = client.get(reverse("topic_reopen", args=[topic.pk])).content.decode()
    assert "checked" in checkbox(html, repair)
    assert "checked" not in checkbox(html, cleanup)
    assert "2 条不满意评价指出没办好" in html


def test_reopening_redoes_the_repair_and_posts_a_notice(client, rated, community_worker):
    topic, repair, cleanup = rated
    client.force_login(community_worker)
    # Concluding sends the worker to choose the work, rather than choosing for them.
    response = client.post(reverse("topic_tasks", args=[topic.pk]))
    assert response.headers["Location"] == reverse("topic_reopen", args=[topic.pk])
    response = client.post(
        reverse("topic_reopen", args=[topic.pk]),
        {"tasks": [repair.pk], "note": "请更换整块防水卷材"},
        follow=True,
    )
    assert "已退回重办" in response.content.decode()
    topic.refresh_from_db()
    assert topic.phase == Phase.EXECUTING
    redone = list(Task.objects.filter(topic=topic, round=2).values_list("title", flat=True))
    assert redone == ["修补楼顶防水层"]
    notice = Notice.objects.get(community=topic.community, kind=NoticeKind.REOPEN)
    assert notice.title == "退回重办：楼顶漏水"
    assert "修补楼顶防水层" in notice.body
    assert "请更换整块防水卷材" in notice.body
    assert "清理楼道积水" not in notice.body
    board = client.get(reverse("notice_board", args=[topic.community_id])).content.decode()
    assert "退回重办：楼顶漏水" in board
    # Reopened, the action is gone.
    tasks_page = client.get(reverse("topic_tasks", args=[topic.pk])).content.decode()
    assert reverse("topic_reopen", args=[topic.pk]) not in tasks_page


def test_choosing_nothing_says_so_and_changes_nothing(client, rated, community_worker):
    topic, _repair, _cleanup = rated
    client.force_login(community_worker)
    response = client.post(reverse("topic_reopen", args=[topic.pk]), {"note": "x"})
    assert response.status_code == 200
    assert "请至少选择一项需要重办的任务。" in response.content.decode()
    topic.refresh_from_db()
    assert topic.phase == Phase.EVALUATING
    assert not Task.objects.filter(topic=topic, round=2).exists()
    assert not Notice.objects.filter(kind=NoticeKind.REOPEN).exists()


def test_a_task_of_another_topic_is_refused(client, rated, community, resident, community_worker):
    topic, _repair, _cleanup = rated
    other = make_topic(community, resident, title="别的事")
    stranger_task = svc.add_task(
        other,
        by=community_worker,
        title="别的任务",
        responsible=Responsible.COMMUNITY_WORKER,
        route=Route.IMMEDIATE,
    )
    client.force_login(community_worker)
    response = client.post(reverse("topic_reopen", args=[topic.pk]), {"tasks": [stranger_task.pk]})
    assert response.status_code == 200
    topic.refresh_from_db()
    assert topic.phase == Phase.EVALUATING


def test_no_reopen_action_where_the_rules_do_not_allow_it(
    client, community, resident, owner, community_worker
):
    topic = make_topic(community, resident, title="路灯")
    task = svc.add_task(
        topic,
        by=community_worker,
        title="换灯",
        responsible=Responsible.COMMUNITY_WORKER,
        route=Route.IMMEDIATE,
    )
    svc.complete_task(task, by=community_worker, text="换好了")
    svc.rate_topic(topic, by=resident, level=RatingLevel.SATISFIED)
    svc.rate_topic(topic, by=owner, level=RatingLevel.DISSATISFIED)  # half is not most
    client.force_login(community_worker)
    url = reverse("topic_reopen", args=[topic.pk])
    assert url not in client.get(reverse("topic_tasks", args=[topic.pk])).content.decode()
    assert "现在不能退回重办" in client.get(url).content.decode()
    client.post(url, {"tasks": [task.pk]})
    topic.refresh_from_db()
    assert topic.phase == Phase.EVALUATING


def test_residents_do_not_see_the_action_and_may_not_reopen(client, rated, resident):
    topic, repair, _cleanup = rated
    client.force_login(resident)
    html = client.get(reverse("topic_tasks", args=[topic.pk])).content.decode()
    assert reverse("topic_reopen", args=[topic.pk]) not in html
    assert (
        client.post(reverse("topic_reopen", args=[topic.pk]), {"tasks": [repair.pk]}).status_code
        == 403
    )


def test_a_failed_visit_takes_the_worker_to_the_choice(
    client, community, resident, community_worker, grid_worker
):
    topic = make_topic(community, resident, title="下水道堵塞")
    first = svc.add_task(
        topic,
        by=community_worker,
        title="疏通管道",
        responsible="community_worker",
        route="immediate",
    )
    second = svc.add_task(
        topic,
        by=community_worker,
        title="张贴告示",
        responsible="community_worker",
        route="immediate",
    )
    svc.complete_task(first, by=community_worker, text="疏通了")
    svc.complete_task(second, by=community_worker, text="贴了")
    client.force_login(grid_worker)
    response = client.post(
        reverse("visit_new", args=[topic.pk]),
        {
            "visited_on": timezone.localdate().isoformat(),
            "channel": "home",
            "outcome": "failed",
            "notes": "又堵了",
        },
    )
    assert response.headers["Location"] == reverse("topic_reopen", args=[topic.pk])
    html = client.get(response.headers["Location"]).content.decode()
    assert "回访发现问题未解决。" in html
    # Nobody named a task: every task of the round is ticked.
    assert "checked" in checkbox(html, first) and "checked" in checkbox(html, second)


def test_the_automatic_conclusion_redoes_the_tasks_complained_about(rated):
    topic, _repair, _cleanup = rated
    with_window_over = timezone.now() + datetime.timedelta(days=8)
    import time_machine

    with time_machine.travel(with_window_over):
        svc.send_reminders()
    topic.refresh_from_db()
    assert topic.phase == Phase.EXECUTING
    redone = list(Task.objects.filter(topic=topic, round=2).values_list("title", flat=True))
    assert redone == ["修补楼顶防水层"]
    assert Notice.objects.filter(kind=NoticeKind.REOPEN, community=topic.community).count() == 1


def test_a_resident_names_the_work_that_is_not_right(client, community, resident, community_worker):
    topic = make_topic(community, resident, title="电梯异响")
    repair = svc.add_task(
        topic,
        by=community_worker,
        title="更换电梯导轮",
        responsible="community_worker",
        route="referred",
    )
    notice = svc.add_task(
        topic,
        by=community_worker,
        title="张贴停运通知",
        responsible="community_worker",
        route="immediate",
    )
    svc.complete_task(repair, by=community_worker, text="换了")
    svc.complete_task(notice, by=community_worker, text="贴了")
    client.force_login(resident)
    url = reverse("topic_rate", args=[topic.pk])
    html = client.get(url).content.decode()
    assert "如不满意：哪项工作没办好？" in html
    response = client.post(url, {"level": "dissatisfied", "tasks": [repair.pk], "comment": "还响"})
    assert response.status_code == 302
    client.force_login(community_worker)
    html = client.get(reverse("topic_reopen", args=[topic.pk])).content.decode()
    assert "checked" in checkbox(html, repair)
    assert "checked" not in checkbox(html, notice)
    assert "1 条不满意评价指出没办好" in html
