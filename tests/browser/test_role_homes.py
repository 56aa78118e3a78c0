"""Each role's home page shows the work waiting for it, on a phone."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone
from playwright.sync_api import expect

from deliberation.models import (
    AssemblyVote,
    DispatchState,
    PartnerUnit,
    Phase,
    Responsible,
    Route,
    Task,
    TaskDispatch,
    Topic,
)
from deliberation.services import execution as svc
from tests.browser.conftest import log_in
from tests.factories_execution import make_topic
from tests.topic_factories import collecting, in_triage, set_threshold


@pytest.fixture
def work(community, resident, community_worker):
    """Two topics awaiting acceptance, one still collecting; one overdue task, one on time."""
    set_threshold(community, 1)
    in_triage(community, resident, title="3号楼电梯坏了")
    in_triage(community, resident, title="小区路灯不亮")
    collecting(community, resident, title="还在征集附议")
    with time_machine.travel(timezone.now() - timedelta(days=40)):
        late = make_topic(community, resident, title="楼道堆物")
        svc.add_task(
            late,
            by=community_worker,
            title="清理楼道堆物",
            responsible=Responsible.COMMUNITY_WORKER,
            route=Route.IMMEDIATE,
        )
    on_time = make_topic(community, resident, title="健身器材坏了")
    svc.add_task(
        on_time,
        by=community_worker,
        title="更换健身器材",
        responsible=Responsible.COMMUNITY_WORKER,
        route=Route.IMMEDIATE,
    )


def test_a_worker_sees_topics_to_accept_and_overdue_tasks(
    page, live_server, community, community_worker, work
):
    awaiting = list(Topic.objects.filter(phase=Phase.TRIAGE).values_list("title", flat=True))
    today = timezone.localdate()
    overdue = [t.title for t in Task.objects.all() if t.due_date < today]
    assert len(awaiting) == 2 and overdue == ["清理楼道堆物"]

    log_in(page, live_server.url, community_worker)
    page.goto(live_server.url + "/")
    to_accept = page.get_by_role("region", name=f"待受理 {len(awaiting)}")
    for title in awaiting:
        expect(to_accept.get_by_role("link", name=title)).to_be_visible()
    expect(to_accept.get_by_role("link", name="还在征集附议")).to_have_count(0)
    late = page.get_by_role("region", name=f"逾期任务 {len(overdue)}")
    expect(late.get_by_role("link", name="清理楼道堆物")).to_be_visible()
    expect(late.get_by_role("link", name="更换健身器材")).to_have_count(0)
    late.get_by_role("link", name="清理楼道堆物").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("清理楼道堆物")


def test_a_grid_worker_sees_overdue_tasks_but_no_acceptance_queue(
    page, live_server, community, grid_worker, work
):
    log_in(page, live_server.url, grid_worker)
    page.goto(live_server.url + "/")
    expect(page.get_by_role("region", name="逾期任务 1")).to_contain_text("清理楼道堆物")
    expect(page.get_by_role("region", name="待受理")).to_have_count(0)


def test_a_unit_sees_the_tasks_it_is_asked_to_take_on(
    page, live_server, community, resident, community_worker, partner
):
    ours = PartnerUnit.objects.create(community=community, name="社区卫生服务站")
    ours.contacts.add(partner)
    theirs = PartnerUnit.objects.create(community=community, name="幸福里小学")
    topic = make_topic(community, resident)
    for title, unit in (("上门量血压", ours), ("送药上门", ours), ("操场开放", theirs)):
        task = svc.add_task(
            topic,
            by=community_worker,
            title=title,
            responsible=Responsible.PARTNER_UNIT,
            route=Route.TRANSFERRED,
        )
        svc.dispatch_task(task, unit, by=community_worker)
    svc.answer_dispatch(Task.objects.get(title="送药上门"), by=partner, accept=True)
    pending = TaskDispatch.objects.filter(unit=ours, state=DispatchState.PENDING).count()

    log_in(page, live_server.url, partner)
    page.goto(live_server.url + "/")
    waiting = page.get_by_role("region", name=f"待接单任务 {pending}")
    expect(waiting.get_by_role("link", name="上门量血压")).to_be_visible()
    expect(waiting.get_by_role("link", name="送药上门")).to_have_count(0)  # already taken on
    expect(waiting.get_by_role("link", name="操场开放")).to_have_count(0)  # another unit's
    waiting.get_by_role("link", name="上门量血压").click()
    expect(page.get_by_role("heading", name="代表本单位答复")).to_be_visible()


def test_an_observer_sees_the_figures_and_reaches_the_dashboard(
    page, live_server, community, observer, work
):
    awaiting = Topic.objects.filter(phase=Phase.TRIAGE).count()
    today = timezone.localdate()
    overdue = sum(1 for t in Task.objects.all() if t.due_date < today and t.state == "open")

    log_in(page, live_server.url, observer)
    page.goto(live_server.url + "/")
    figures = page.get_by_role("region", name="数据概览")
    expect(figures.get_by_role("listitem").filter(has_text="待受理")).to_have_text(
        f"待受理：{awaiting}"
    )
    expect(figures.get_by_role("listitem").filter(has_text="逾期任务")).to_have_text(
        f"逾期任务：{overdue}"
    )
    figures.get_by_role("link", name="查看数据看板").click()
    expect(page).to_have_url(f"{live_server.url}/c/{community.pk}/dashboard/")


def test_the_committee_sees_the_votes_it_has_to_run(page, live_server, community, committee_member):
    now = timezone.now()
    estate = community.estates.first()
    for title, status in (
        ("续聘物业表决", "draft"),
        ("维修资金使用表决", "noticed"),
        ("上次的表决", "published"),
        ("取消的表决", "cancelled"),
    ):
        AssemblyVote.objects.create(
            community=community,
            estate=estate,
            title=title,
            status=status,
            opens_at=now + timedelta(days=1),
            closes_at=now + timedelta(days=8),
            created_by=committee_member,
        )
    to_run = AssemblyVote.objects.exclude(status__in=["published", "cancelled"]).count()

    log_in(page, live_server.url, committee_member)
    page.goto(live_server.url + "/")
    votes = page.get_by_role("region", name=f"待办表决 {to_run}")
    expect(votes.get_by_role("link", name="续聘物业表决")).to_be_visible()
    expect(votes.get_by_role("link", name="维修资金使用表决")).to_be_visible()
    expect(votes.get_by_role("link", name="上次的表决")).to_have_count(0)
    expect(votes.get_by_role("link", name="取消的表决")).to_have_count(0)


def test_a_resident_sees_no_work_queues(page, live_server, community, resident, work):
    log_in(page, live_server.url, resident)
    page.goto(live_server.url + "/")
    expect(page.locator(".home-work")).to_have_count(0)
