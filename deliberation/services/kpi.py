"""The KPI dashboard's figures, computed with aggregate queries (DOMAIN.md §6).

Cohort: topics accepted (受理) in the period. Each rate is a `Ratio` holding its numerator and
denominator; `Ratio.fraction` is exact, and it is rounded only for display.

- 化解率 resolution rate: cohort topics now closed ÷ cohort topics. A reopened topic is back
  in execution, so it counts as resolved only once closed again.
- 办结率 completion rate (the issue's task-level reading): cohort tasks done ÷ cohort tasks whose
  due date has passed (done or not), so a task not yet due neither helps nor hurts.
- on-time rate: cohort tasks done on or before their due date ÷ cohort tasks done.
- 满意率 satisfaction rate: ratings 满意 + 基本满意 ÷ all ratings of cohort topics.

The query count does not depend on the number of topics: one aggregate per figure group and
one grouped query per breakdown. Medians need the individual durations, fetched as two
columns in one query.
"""

import statistics
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from fractions import Fraction

from django.db.models import Count, F, Q
from django.db.models.functions import TruncMonth
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


def _median_days(pairs):
    spans = [(b - a).total_seconds() / 86400 for a, b in pairs if a and b and b >= a]
    if not spans:
        return None
    return round(statistics.median(spans), 1)


def _rate_counts():
    """Conditional counts shared by the summary and the breakdowns (on Topic)."""
    return {
        "accepted": Count("pk"),
        "resolved": Count("pk", filter=Q(phase=Phase.CLOSED)),
    }


def _task_counts(today):
    return {
        "tasks": Count("pk"),
        "due": Count("pk", filter=Q(due_date__lt=today)),
        "done_due": Count("pk", filter=Q(due_date__lt=today, state=TaskState.DONE)),
        "done": Count("pk", filter=Q(state=TaskState.DONE)),
        "on_time": Count("pk", filter=Q(state=TaskState.DONE, completed_on__lte=F("due_date"))),
    }


def _rating_counts():
    return {
        "ratings": Count("pk"),
        "satisfied": Count("pk", filter=Q(level__in=SATISFIED_LEVELS)),
    }


def _rows(topic_rows, task_rows, rating_rows, key, label):
    """Merge grouped rows of the three querysets into one list of breakdown rows."""
    merged = {}
    for row in topic_rows:
        merged[row[key]] = {"key": row[key], "label": label(row[key]), **row}
    for rows in (task_rows, rating_rows):
        for row in rows:
            k = row[f"topic__{key}"] if f"topic__{key}" in row else row[key]
            merged.setdefault(k, {"key": k, "label": label(k), "accepted": 0, "resolved": 0})
            merged[k].update({n: v for n, v in row.items() if not n.startswith("topic__")})
    result = []
    for row in merged.values():
        row["resolution"] = Ratio(row.get("resolved", 0), row.get("accepted", 0))
        row["completion"] = Ratio(row.get("done_due", 0), row.get("due", 0))
        row["satisfaction"] = Ratio(row.get("satisfied", 0), row.get("ratings", 0))
        result.append(row)
    return result


def compute_kpis(community_ids, start, end, today=None, *, by_community=False):
    """All dashboard figures for the communities, for topics accepted from `start` to `end`
    (months, inclusive). A street office's dashboard (`by_community`) compares communities;
    a community's compares its grids (grid names repeat across communities)."""
    today = today or timezone.localdate()
    begin, finish = _bounds(start, end)
    in_communities = Q(community_id__in=community_ids)
    cohort = Topic.objects.filter(in_communities, accepted_at__gte=begin, accepted_at__lt=finish)
    tasks = Task.objects.filter(topic__in=cohort.values("pk"))
    ratings = Rating.objects.filter(topic__in=cohort.values("pk"))

    received = Topic.objects.filter(
        in_communities, submitted_at__gte=begin, submitted_at__lt=finish
    ).count()
    topic_sum = cohort.aggregate(**_rate_counts())
    task_sum = tasks.aggregate(**_task_counts(today))
    rating_sum = ratings.aggregate(**_rating_counts())
    open_overdue = (
        Task.objects.filter(
            topic__community_id__in=community_ids, state=TaskState.OPEN, due_date__lt=today
        )
        .exclude(topic__phase__in=[Phase.CLOSED])
        .count()
    )
    durations = list(cohort.values_list("submitted_at", "created_at", "decided_at", "completed_at"))
    to_decision = _median_days((s or c, d) for s, c, d, _ in durations)
    to_completion = _median_days((s or c, done) for s, c, _, done in durations)

    month = TruncMonth("accepted_at")
    by_month = _rows(
        cohort.annotate(m=month).values("m").annotate(**_rate_counts()).order_by(),
        tasks.annotate(m=TruncMonth("topic__accepted_at"))
        .values("m")
        .annotate(**_task_counts(today))
        .order_by(),
        ratings.annotate(m=TruncMonth("topic__accepted_at"))
        .values("m")
        .annotate(**_rating_counts())
        .order_by(),
        "m",
        lambda m: m,
    )
    months = {_as_month(row["key"]): row for row in by_month}
    month_rows = []
    for m in months_between(start, end):
        row = months.get(m) or {
            "accepted": 0,
            "resolved": 0,
            "resolution": Ratio(0, 0),
            "completion": Ratio(0, 0),
            "satisfaction": Ratio(0, 0),
        }
        month_rows.append({**row, "key": m, "label": f"{m:%Y-%m}"})

    from deliberation.models import Category

    by_category = _breakdown(cohort, tasks, ratings, "category", lambda k: Category(k).label, today)
    by_grid, by_community = [], []
    if by_community:
        by_community = _breakdown(cohort, tasks, ratings, "community__name", str, today)
    else:
        by_grid = _breakdown(cohort, tasks, ratings, "grid__name", lambda k: k or "—", today)
    return {
        "start": month_start(start),
        "end": month_start(end),
        "today": today,
        "received": received,
        "accepted": topic_sum["accepted"],
        "resolved": topic_sum["resolved"],
        "resolution": Ratio(topic_sum["resolved"], topic_sum["accepted"]),
        "completion": Ratio(task_sum["done_due"], task_sum["due"]),
        "on_time": Ratio(task_sum["on_time"], task_sum["done"]),
        "satisfaction": Ratio(rating_sum["satisfied"], rating_sum["ratings"]),
        "tasks": task_sum,
        "ratings": rating_sum["ratings"],
        "median_days_to_decision": to_decision,
        "median_days_to_completion": to_completion,
        "open_overdue": open_overdue,
        "by_month": month_rows,
        "by_category": by_category,
        "by_grid": by_grid,
        "by_community": by_community,
    }


def _as_month(value):
    if isinstance(value, datetime):
        value = timezone.localtime(value) if timezone.is_aware(value) else value
        return date(value.year, value.month, 1)
    return month_start(value)


def _breakdown(cohort, tasks, ratings, field, label, today):
    rows = _rows(
        cohort.values(field).annotate(**_rate_counts()).order_by(),
        tasks.values(f"topic__{field}").annotate(**_task_counts(today)).order_by(),
        ratings.values(f"topic__{field}").annotate(**_rating_counts()).order_by(),
        field,
        label,
    )
    return sorted(rows, key=lambda r: (-r.get("accepted", 0), str(r["label"])))


def period_end_date(end):
    return add_months(end, 1) - timedelta(days=1)
