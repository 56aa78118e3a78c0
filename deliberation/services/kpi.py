"""The KPI dashboard's figures, computed with aggregate queries (DOMAIN.md §6).

Cohort: topics accepted (受理) in the period. Each rate is a `Ratio` holding its numerator and
denominator; `Ratio.fraction` is exact, and it is rounded only for display.

- 化解率 resolution rate: cohort topics now closed ÷ cohort topics. A reopened topic is back
  in execution, so it counts as resolved only once closed again.
- 办结率 completion rate (the issue's task-level reading): cohort tasks done ÷ cohort tasks whose
  due date has passed (done or not), so a task not yet due neither helps nor hurts.
- on-time rate: cohort tasks done on or before their due date ÷ cohort tasks done.
- 满意率 satisfaction rate: ratings 满意 + 基本满意 ÷ all ratings of cohort topics.

The query count does not depend on the number of topics: one grouped query per table
(topics, tasks, ratings) over community × category × grid with a count per month, of which
every figure and breakdown is a sum; a count each of topics received and of open overdue
tasks; and one query per median, which needs the individual durations (subtracted in the
database, one number per row).
"""

import statistics
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from fractions import Fraction

from django.db.models import CharField, Count, F, FloatField, Func, Q
from django.db.models.functions import Coalesce, TruncMonth
from django.utils import timezone

from deliberation.models import Phase, Rating, Task, TaskState, Topic
from deliberation.models.execution import SATISFIED_LEVELS


@dataclass(frozen=True)
class Ratio:
    numerator: int
    denominator: int

    @property
    def fraction(self):
        return Fraction(self.numerator, self.denominator) if self.denominator else None

    @property
    def permille(self):
        """The rate in tenths of a percent, rounded once from the exact fraction."""
        return round(self.fraction * 1000) if self.denominator else None

    @property
    def percent(self):
        """ "75.0%", or "—" when there is nothing to divide by."""
        p = self.permille
        return "—" if p is None else f"{p // 10}.{p % 10}%"

    def __str__(self):
        return f"{self.numerator}/{self.denominator}"


def month_start(day):
    return date(day.year, day.month, 1)


def add_months(day, months):
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def default_period(today=None):
    """The last twelve months, this one included."""
    today = today or timezone.localdate()
    end = month_start(today)
    return add_months(end, -11), end


def months_between(start, end):
    months, current = [], month_start(start)
    while current <= end:
        months.append(current)
        current = add_months(current, 1)
    return months


def _bounds(start, end):
    """Aware datetimes [first day of `start`, first day after `end`) in local time."""
    tz = timezone.get_current_timezone()
    begin = datetime.combine(month_start(start), time.min, tzinfo=tz)
    finish = datetime.combine(add_months(end, 1), time.min, tzinfo=tz)
    return begin, finish


def _median_days(cohort):
    """Median days from submission to decision and to completion, over the topics that got
    there. The spans are computed in the database: two numbers per decided topic come back."""
    start = Coalesce("submitted_at", "created_at")
    spans = list(
        cohort.filter(decided_at__isnull=False)
        .annotate(
            to_decision=DaysBetween("decided_at", start),
            to_completion=DaysBetween("completed_at", start),
        )
        .values_list("to_decision", "to_completion")
    )

    def median(values):
        values = [v for v in values if v is not None and v >= 0]
        return round(statistics.median(values), 1) if values else None

    return median(d for d, _ in spans), median(c for _, c in spans)


# Each figure group is a dict: name -> condition (None: every row), counted in one query.
def _rate_specs():
    return {"accepted": None, "resolved": Q(phase=Phase.CLOSED)}


def _task_specs(today):
    return {
        "tasks": None,
        "due": Q(due_date__lt=today),
        "done_due": Q(due_date__lt=today, state=TaskState.DONE),
        "done": Q(state=TaskState.DONE),
        "on_time": Q(state=TaskState.DONE, completed_on__lte=F("due_date")),
    }


def _rating_specs():
    return {"ratings": None, "satisfied": Q(level__in=SATISFIED_LEVELS)}


def _counts(specs, extra=None, suffix=""):
    result = {}
    for name, condition in specs.items():
        condition = (
            condition & extra
            if condition is not None and extra is not None
            else (condition if condition is not None else extra)
        )
        result[name + suffix] = Count("pk", filter=condition)
    return result


GROUPS = ("community__name", "category", "grid__name")


class LocalMonth(Func):
    """ "YYYY-MM" of a timestamp in the site's time zone, computed natively by the database.

    Django's TruncMonth runs a Python function per row on SQLite; this is SQL on both
    engines. SQLite shifts by the zone's fixed UTC offset (Asia/Shanghai has no daylight
    saving); PostgreSQL converts with the zone's name."""

    output_field = CharField()

    def as_sql(self, compiler, connection, **extra):  # other engines: Django's truncation
        return TruncMonth(*self.source_expressions).as_sql(compiler, connection, **extra)

    def as_sqlite(self, compiler, connection, **extra):
        offset = timezone.localtime(timezone.now()).utcoffset()
        hours = int(offset.total_seconds() // 3600)
        template = f"strftime('%%%%Y-%%%%m', %(expressions)s, '{hours:+d} hours')"
        return super().as_sql(compiler, connection, template=template, **extra)

    def as_postgresql(self, compiler, connection, **extra):
        zone = timezone.get_current_timezone_name().replace("'", "")
        template = f"to_char(%(expressions)s AT TIME ZONE '{zone}', 'YYYY-MM')"
        return super().as_sql(compiler, connection, template=template, **extra)


class DaysBetween(Func):
    """Days (fractional) from the second timestamp to the first, natively in SQL."""

    output_field = FloatField()

    def as_sqlite(self, compiler, connection, **extra):
        template = "(julianday(%(expressions)s))"
        sql, params = super().as_sql(compiler, connection, template=template, **extra)
        return sql.replace(", ", ") - julianday(", 1), params

    def as_postgresql(self, compiler, connection, **extra):
        template = "(EXTRACT(EPOCH FROM (%(expressions)s)) / 86400.0)"
        sql, params = super().as_sql(
            compiler, connection, template=template, arg_joiner=" - ", **extra
        )
        return sql, params


def _month_key(value):
    """The month of a LocalMonth value ("2026-01", or a datetime on other engines)."""
    if isinstance(value, str):
        return value[:7]
    local = timezone.localtime(value) if timezone.is_aware(value) else value
    return f"{local:%Y-%m}"


def _cube(queryset, prefix, specs):
    """Counts grouped by (community, category, grid, month accepted): one query per table.
    Every figure, breakdown and month row is a sum over these few rows."""
    keys = [prefix + g for g in GROUPS]
    rows = []
    grouped = (
        queryset.annotate(month=LocalMonth(f"{prefix}accepted_at"))
        .values(*keys, "month")
        .annotate(**_counts(specs))
        .order_by()
    )
    for row in grouped:
        month = _month_key(row.pop("month"))
        rows.append({**row, "group": (*(row.pop(k) for k in keys), month)})
    return rows


def _sum(rows, names, where=None):
    picked = [r for r in rows if where is None or where(r["group"])]
    return {name: sum(r[name] for r in picked) for name in names}


def _with_rates(row):
    row["resolution"] = Ratio(row.get("resolved", 0), row.get("accepted", 0))
    row["completion"] = Ratio(row.get("done_due", 0), row.get("due", 0))
    row["satisfaction"] = Ratio(row.get("satisfied", 0), row.get("ratings", 0))
    return row


def compute_kpis(community_ids, start, end, today=None, *, compare_communities=False):
    """All dashboard figures for the communities, for topics accepted from `start` to `end`
    (months, inclusive). A street office's dashboard (`compare_communities`) compares
    communities; a community's compares its grids."""
    from deliberation.models import Category

    today = today or timezone.localdate()
    begin, finish = _bounds(start, end)
    months = months_between(start, end)
    in_communities = Q(community_id__in=community_ids)
    cohort = Topic.objects.filter(in_communities, accepted_at__gte=begin, accepted_at__lt=finish)
    # Joins rather than IN (subquery): one pass over each table.
    in_cohort = Q(
        topic__community_id__in=community_ids,
        topic__accepted_at__gte=begin,
        topic__accepted_at__lt=finish,
    )
    specs = [
        (_rate_specs(), _cube(cohort, "", _rate_specs())),
        (_task_specs(today), _cube(Task.objects.filter(in_cohort), "topic__", _task_specs(today))),
        (_rating_specs(), _cube(Rating.objects.filter(in_cohort), "topic__", _rating_specs())),
    ]

    def total(where=None):
        row = {}
        for names, rows in specs:
            row |= _sum(rows, names, where)
        return _with_rates(row)

    def breakdown(position, label):
        keys = {r["group"][position] for _, rows in specs for r in rows}
        result = []
        for key in keys:
            row = total(where=lambda g, key=key: g[position] == key)
            result.append({**row, "key": key, "label": label(key)})
        return sorted(result, key=lambda r: (-r["accepted"], str(r["label"])))

    summary = total()
    month_rows = [
        {
            **total(where=lambda g, key=f"{month:%Y-%m}": g[3] == key),
            "key": month,
            "label": f"{month:%Y-%m}",
        }
        for month in months
    ]
    to_decision, to_completion = _median_days(cohort)
    received = Topic.objects.filter(
        in_communities, submitted_at__gte=begin, submitted_at__lt=finish
    ).count()
    open_overdue = (
        Task.objects.filter(
            topic__community_id__in=community_ids, state=TaskState.OPEN, due_date__lt=today
        )
        .exclude(topic__phase=Phase.CLOSED)
        .count()
    )
    return {
        "start": month_start(start),
        "end": month_start(end),
        "today": today,
        "received": received,
        "accepted": summary["accepted"],
        "resolved": summary["resolved"],
        "resolution": summary["resolution"],
        "completion": summary["completion"],
        "on_time": Ratio(summary["on_time"], summary["done"]),
        "satisfaction": summary["satisfaction"],
        "tasks": {name: summary[name] for name in _task_specs(today)},
        "ratings": summary["ratings"],
        "median_days_to_decision": to_decision,
        "median_days_to_completion": to_completion,
        "open_overdue": open_overdue,
        "by_month": month_rows,
        "by_category": breakdown(1, lambda k: Category(k).label if k in Category.values else k),
        "by_grid": [] if compare_communities else breakdown(2, lambda k: k or "—"),
        "by_community": breakdown(0, str) if compare_communities else [],
    }


def period_end_date(end):
    return add_months(end, 1) - timedelta(days=1)
