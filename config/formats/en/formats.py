# The one way dates are written in English, everywhere: pages, messages, notices, forms.
# deliberation.templatetags.gongyi (cn_date, cn_datetime, cn_month) reads these.
DATE_FORMAT = "j M Y"
DATETIME_FORMAT = "j M Y H:i"
YEAR_MONTH_FORMAT = "M Y"
MONTH_DAY_FORMAT = "j M"
SHORT_DATE_FORMAT = "j M Y"
SHORT_DATETIME_FORMAT = "j M Y H:i"
TIME_FORMAT = "H:i"
