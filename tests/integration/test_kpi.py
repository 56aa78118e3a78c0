"""KPIs checked against a small hand-computed fixture (DOMAIN.md §6)."""

import datetime
from fractions import Fraction
from io import BytesIO

import pytest
from django.urls import reverse

from accounts.models import User
from deliberation.models import (
    Category,
    Grid,
    Phase,
    Rating,
    RatingLevel,
    StreetOffice,
    Task,
    TaskState,
    Topic,
)
from deliberation.services.kpi import Ratio, compute_kpis

pytestmark = pytest.mark.django_db

TZ = datetime.timezone(datetime.timedelta(hours=8))
TODAY = datetime.date(2026, 3, 20)
START, END = datetime.date(2026, 1, 1), datetime.date(2026, 3, 1)


def at(day):
    return datetime.datetime.combine(day, datetime.time(10), tzinfo=TZ)


def d(text):
    return datetime.date.fromisoformat(text)


def topic(
    community,
    proposer,
    *,
    submitted,
    accepted=None,
    decided=None,
    completed=None,
    phase=Phase.DISCUSSING,
    category=Category.FACILITIES,
    grid=None,
):
    t = Topic.objects.create(
        community=community,
        proposer=proposer,
        title="t",
        description="d",
        category=category,
        grid=grid,
        phase=phase,
    )
    Topic.objects.filter(pk=t.pk).update(
        created_at=at(d(submitted)),
        submitted_at=at(d(submitted)),
        accepted_at=at(d(accepted)) if accepted else None,
        decided_at=at(d(decided)) if decided else None,
        completed_at=at(d(completed)) if completed else None,
    )
    return t


def task(t, by, due, done_on=None):
    return Task.objects.create(
        topic=t,
        title="x",
        responsible="community_worker",
        route="immediate",
        due_date=d(due),
        created_by=by,
        state=TaskState.DONE if done_on else TaskState.OPEN,
        completed_on=d(done_on) if done_on else None,
        progress=100 if done_on else 0,
    )


def rate(t, user, level):
    Rating.objects.create(topic=t, round=1, user=user, level=level)


@pytest.fixture
def fixture(community, resident, owner, community_worker):
    g1 = community.grids.get()
    g2 = Grid.objects.create(community=community, name="二网格")
    cw = community_worker
    t1 = topic(
        community,
        resident,
        submitted="2026-01-01",
        accepted="2026-01-05",
        decided="2026-01-11",
        completed="2026-01-21",
        phase=Phase.CLOSED,
        grid=g1,
    )
    task(t1, cw, "2026-01-20", done_on="2026-01-19")
    rate(t1, resident, RatingLevel.SATISFIED)
    rate(t1, owner, RatingLevel.BASICALLY_SATISFIED)
    t2 = topic(
        community,
        resident,
        submitted="2026-01-10",
        accepted="2026-01-20",
        decided="2026-01-14",
        completed="2026-02-09",
        phase=Phase.CLOSED,
        category=Category.PARKING,
        grid=g2,
    )
    task(t2, cw, "2026-02-01", done_on="2026-02-05")
    rate(t2, resident, RatingLevel.DISSATISFIED)
    t3 = topic(
        community,
        resident,
        submitted="2026-02-08",
        accepted="2026-02-10",
        decided="2026-02-14",
        phase=Phase.EXECUTING,
        grid=g1,
    )
    task(t3, cw, "2026-03-01")
    task(t3, cw, "2026-04-01")
    topic(
        community,
        resident,
        submitted="2026-03-01",
        accepted="2026-03-02",
        category=Category.PARKING,
    )
    t5 = topic(
        community,
        resident,
        submitted="2025-12-15",
        accepted="2025-12-20",
        phase=Phase.EXECUTING,
        grid=g1,
    )
    task(t5, cw, "2025-12-30")
    topic(community, resident, submitted="2026-03-05", phase=Phase.COLLECTING)
    return community


def test_the_figures_match_the_hand_count(fixture):
    k = compute_kpis([fixture.pk], START, END, today=TODAY)
    assert k["received"] == 5
    assert k["accepted"] == 4
    assert k["resolved"] == 2
    assert k["resolution"] == Ratio(2, 4) and k["resolution"].percent == "50.0%"
    assert k["completion"] == Ratio(2, 3) and k["completion"].percent == "66.7%"
    assert k["completion"].fraction == Fraction(2, 3)
    assert k["on_time"] == Ratio(1, 2)
    assert k["satisfaction"] == Ratio(2, 3)
    assert k["median_days_to_decision"] == 6.0
    assert k["median_days_to_completion"] == 25.0
    assert k["open_overdue"] == 2


def test_the_breakdowns_match_the_hand_count(fixture):
    k = compute_kpis([fixture.pk], START, END, today=TODAY)
    months = [(r["label"], r["accepted"], r["resolved"]) for r in k["by_month"]]
    assert months == [("2026-01", 2, 2), ("2026-02", 1, 0), ("2026-03", 1, 0)]
    cats = {str(r["label"]): (r["resolution"], r["satisfaction"]) for r in k["by_category"]}
    assert cats[str(Category.FACILITIES.label)] == (Ratio(1, 2), Ratio(2, 2))
    assert cats[str(Category.PARKING.label)] == (Ratio(1, 2), Ratio(0, 1))
    grids = {r["label"]: r["resolution"] for r in k["by_grid"]}
    assert grids == {"一网格": Ratio(1, 2), "二网格": Ratio(1, 1), "—": Ratio(0, 1)}


def test_an_empty_period_shows_dashes_not_errors(community):
    k = compute_kpis([community.pk], START, END, today=TODAY)
    assert k["resolution"].percent == "—"
    assert k["median_days_to_decision"] is None


def test_the_dashboard_shows_charts_tables_and_definitions(
    client, fixture, community_worker, django_assert_max_num_queries
):
    client.force_login(community_worker)
    url = reverse("dashboard", args=[fixture.pk]) + "?start=2026-01&end=2026-03"
    with django_assert_max_num_queries(23):
        response = client.get(url)
    assert response.status_code == 200
    text = response.text
    assert text.count('role="img"') >= 3
    assert "<title" in text and "<desc" in text
    assert "2 / 4" in text  # numerator and denominator beside the rate


def test_the_query_count_does_not_grow_with_topics(
    client, fixture, community_worker, resident, django_assert_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(community_worker)
    url = reverse("dashboard", args=[fixture.pk]) + "?start=2026-01&end=2026-03"
    with CaptureQueriesContext(connection) as before:
        client.get(url)
    for _ in range(20):
        t = topic(
            fixture, resident, submitted="2026-02-01", accepted="2026-02-02", phase=Phase.CLOSED
        )
        task(t, community_worker, "2026-02-10", done_on="2026-02-09")
        rate(t, resident, RatingLevel.SATISFIED)
    client.force_login(community_worker)
    with CaptureQueriesContext(connection) as after:
        client.get(url)
    assert len(after) <= len(before)  # fewer: the bell's count is cached after the first page


def test_the_xlsx_export_holds_the_numbers(client, fixture, community_worker):
    from openpyxl import load_workbook

    client.force_login(community_worker)
    url = reverse("dashboard", args=[fixture.pk]) + "?start=2026-01&end=2026-03&format=xlsx"
    response = client.get(url)
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    book = load_workbook(BytesIO(response.content))
    rows = list(book.worksheets[0].iter_rows(values_only=True))
    accepted_row = [r for r in rows if r[1] == 4]
    assert accepted_row
    assert [ws.title for ws in book.worksheets][1:] == ["按月", "按类别", "按网格"]


def test_a_bad_period_is_explained_and_the_default_used(client, fixture, community_worker):
    client.force_login(community_worker)
    response = client.get(reverse("dashboard", args=[fixture.pk]) + "?start=2026-13&end=x")
    assert response.status_code == 200
    assert "data-error-summary" in response.text


def test_who_sees_the_dashboard(client, fixture, resident, outsider, observer, grid_worker):
    url = reverse("dashboard", args=[fixture.pk])
    client.force_login(resident)
    assert client.get(url).status_code == 403
    client.force_login(outsider)
    assert client.get(url).status_code == 404
    for user in (observer, grid_worker):
        client.force_login(user)
        assert client.get(url).status_code == 200


def test_the_street_dashboard_adds_up_its_communities(
    client, fixture, other_community, observer, community_worker, outsider
):
    office = StreetOffice.objects.create(name="和平街道")
    fixture.street_office = office
    fixture.save()
    url = reverse("street_dashboard", args=[office.pk]) + "?start=2026-01&end=2026-03"
    client.force_login(observer)
    response = client.get(url)
    assert response.status_code == 200
    assert fixture.name in response.text
    client.force_login(community_worker)
    assert client.get(url).status_code == 403
    client.force_login(outsider)
    assert client.get(url).status_code == 404
    assert isinstance(observer, User)


def test_months_are_counted_in_beijing_time(community, resident):
    """00:30 on 1 February in Beijing is still 31 January in UTC: it belongs to February."""
    t = Topic.objects.create(
        community=community, proposer=resident, title="t", description="d", category="other"
    )
    midnight = datetime.datetime(2026, 2, 1, 0, 30, tzinfo=TZ)
    Topic.objects.filter(pk=t.pk).update(accepted_at=midnight, submitted_at=midnight)
    k = compute_kpis([community.pk], START, END, today=TODAY)
    assert [r["accepted"] for r in k["by_month"]] == [0, 1, 0]
