import datetime
from decimal import Decimal

from django.utils import translation

from deliberation.templatetags.gongyi import area, cn_date, cn_datetime


def test_a_date_reads_in_chinese_by_default():
    with translation.override("zh-hans"):
        assert cn_date(datetime.date(2026, 11, 26)) == "2026年11月26日"


def test_a_date_reads_in_english_on_request():
    with translation.override("en"):
        assert cn_date(datetime.date(2026, 11, 26)) == "26 Nov 2026"


def test_a_utc_evening_is_already_the_next_day_in_shanghai(settings):
    moment = datetime.datetime(2026, 11, 25, 17, 30, tzinfo=datetime.UTC)
    with translation.override("zh-hans"):
        assert cn_date(moment) == "2026年11月26日"
        assert cn_datetime(moment) == "2026年11月26日 01:30"


def test_a_missing_date_is_blank():
    assert cn_date(None) == ""
    assert cn_date("not a date") == ""


def test_an_area_keeps_two_decimals_from_the_decimal():
    assert area(Decimal("89.5")) == "89.50 m²"
    assert area(Decimal("45000.60")) == "45000.60 m²"
    assert area(Decimal("0.005")) == "0.01 m²"


def test_an_area_never_passes_through_a_float():
    assert area(Decimal("30000.405")) == "30000.41 m²"
    assert area("22500.30") == "22500.30 m²"


def test_a_missing_area_is_a_dash():
    assert area(None) == "—"
    assert area("abc") == "—"
