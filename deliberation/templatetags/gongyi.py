"""Dates and areas written the way people here read them.

`{% load gongyi %}` then `{{ notice.published_at|cn_date }}` → 2026年11月26日 (Chinese UI) or
26 Nov 2026 (English UI), and `{{ unit.area|area }}` → 89.50 m², two decimals taken from the
Decimal exactly (never through a float).
"""

import datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django import template
from django.conf import settings
from django.utils import formats, timezone, translation
from django.utils.translation import gettext_noop

register = template.Library()

HUNDREDTH = Decimal("0.01")


def _as_date(value):
    if isinstance(value, datetime.datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value)  # Asia/Shanghai: the date people see on the wall
        return value.date()
    if isinstance(value, datetime.date):
        return value
    return None


@register.filter
def cn_date(value):
    """2026年11月26日 in Chinese, 26 Nov 2026 in English; empty for a missing date.

    The pattern is the language's DATE_FORMAT (config/formats), the one used everywhere.
    """
    day = _as_date(value)
    if day is None:
        return ""
    return formats.date_format(day, "DATE_FORMAT")


@register.filter
def cn_datetime(value):
    """The date as cn_date plus the local time, 2026年11月26日 14:05 (DATETIME_FORMAT)."""
    if not isinstance(value, datetime.datetime):
        return cn_date(value)
    local = timezone.localtime(value) if timezone.is_aware(value) else value
    return formats.date_format(local, "DATETIME_FORMAT")


# Translators: the colon Django puts after every form label (Form.label_suffix). Django's own
# Chinese catalogue keeps the ASCII ":"; labels in Chinese take the full-width "：".
LABEL_SUFFIX = gettext_noop(":")


@register.simple_tag
def colon():
    """The colon after a label: full-width "：" in Chinese, ": " in English."""
    return "：" if (translation.get_language() or "").startswith("zh") else ": "


@register.filter
def cn_deadline(value):
    """A period's end as people say it: a deadline at midnight is 24:00 of the day before
    (Civil Code art. 203), so "2026年12月11日 24:00", never "12月12日 00:00"."""
    if not isinstance(value, datetime.datetime):
        return cn_date(value)
    local = timezone.localtime(value) if timezone.is_aware(value) else value
    if local.time() == datetime.time.min:
        day = formats.date_format(local - datetime.timedelta(days=1), "DATE_FORMAT")
        return f"{day} 24:00"
    return formats.date_format(local, "DATETIME_FORMAT")


@register.filter
def cn_month(value):
    """The month, 2026年11月 in Chinese, Nov 2026 in English (YEAR_MONTH_FORMAT)."""
    day = _as_date(value)
    if day is None:
        return ""
    return formats.date_format(day, "YEAR_MONTH_FORMAT")


@register.filter
def cn_time(value):
    """The local time of day, 14:05 (TIME_FORMAT); empty for a missing time."""
    if not isinstance(value, datetime.datetime | datetime.time):
        return ""
    if isinstance(value, datetime.datetime) and timezone.is_aware(value):
        value = timezone.localtime(value)
    return formats.time_format(value, "TIME_FORMAT")


@register.filter
def area(value):
    """89.50 m²: an area with exactly two decimals; "—" when there is none."""
    if value is None or value == "":
        return "—"
    try:
        amount = value if isinstance(value, Decimal) else Decimal(str(value))
        amount = amount.quantize(HUNDREDTH, rounding=ROUND_HALF_UP)
    except (InvalidOperation, ValueError, TypeError):
        return "—"
    return f"{amount:f} m²"


@register.simple_tag
def poll_every(what):
    """The htmx trigger of a page part that asks again every POLL_SECONDS[what] seconds:
    `hx-trigger="{% poll_every "job" %}"` → every 1s (a fraction in milliseconds)."""
    seconds = settings.POLL_SECONDS[what]
    if seconds == int(seconds):
        return f"every {int(seconds)}s"
    return f"every {round(seconds * 1000)}ms"
