"""Texts the platform writes for people to read later, stored so each reader gets their language.

A notification or a generated line of a notice is read days later by people who may have
chosen English or Chinese. So it is stored as its English msgid and its parameters
(`Message(...).as_data()`), and rendered with gettext in the reader's language when shown
(`render(data)`). Parameters are kept as they are: people's words stay as written; dates are
formatted for the reader; a translatable label (a phase, a kind) is kept as its msgid.

    Message(gettext_noop("“%(title)s” is now: %(phase)s"), title=t.title, phase=Phase.CLOSED.label)

Write the msgid inside `gettext_noop(...)` so makemessages finds it. The Chinese rendering is
also stored as plain text, for e-mail, SMS and any row written before this existed.
"""

import datetime

from django.conf import settings
from django.utils import translation
from django.utils.functional import Promise, lazy
from django.utils.translation import gettext

from deliberation.templatetags.gongyi import cn_date, cn_datetime


def _encode(value):
    if isinstance(value, Message):
        return {"message": value.as_data()}
    if isinstance(value, Bilingual):
        return {"zh": value.zh, "en": value.en}
    if isinstance(value, Promise):  # gettext_lazy("…"): keep the msgid, translate when read
        args = getattr(value, "_args", ())
        if len(args) == 1 and isinstance(args[0], str):
            return {"msgid": args[0]}
        return str(value)
    if isinstance(value, datetime.datetime):
        return {"datetime": value.isoformat()}
    if isinstance(value, datetime.date):
        return {"date": value.isoformat()}
    if isinstance(value, (int, str)):
        return value
    return str(value)


def _decode(value):
    if not isinstance(value, dict):
        return value
    if "msgid" in value:
        return gettext(value["msgid"])
    if "date" in value:
        return cn_date(datetime.date.fromisoformat(value["date"]))
    if "datetime" in value:
        return cn_datetime(datetime.datetime.fromisoformat(value["datetime"]))
    if "message" in value:
        return render(value["message"])
    if "zh" in value:
        language = translation.get_language() or settings.LANGUAGE_CODE
        return value["zh"] if language.startswith("zh") else value["en"]
    return ""


class Message:
    """A msgid and its parameters; str() renders it in the active language."""

    def __init__(self, msgid, **params):
        self.msgid = msgid
        self.params = params

    def as_data(self):
        return {"m": self.msgid, "p": {k: _encode(v) for k, v in self.params.items()}}

    def __str__(self):
        return render(self.as_data())

    def in_site_language(self):
        """The text in the site's default language, stored beside the data."""
        with translation.override(settings.LANGUAGE_CODE):
            return str(self)


def render(data):
    """The stored message in the active language ("" for nothing stored)."""
    if not data or "m" not in data:
        return ""
    params = {k: _decode(v) for k, v in (data.get("p") or {}).items()}
    text = gettext(data["m"])
    try:
        return text % params if params else text
    except (KeyError, TypeError, ValueError):  # a catalogue entry that lost a placeholder
        return data["m"] % params if params else data["m"]


class Bilingual:
    """A parameter that carries its own two languages (e.g. deliberation.rules labels)."""

    def __init__(self, zh, en):
        self.zh, self.en = zh, en


def line_data(value):
    """One line of a generated text: a Message, or words kept as written (masked by caller)."""
    return value.as_data() if isinstance(value, Message) else {"text": str(value)}


def render_lines(lines):
    return "\n".join(render(line) if "m" in line else line.get("text", "") for line in lines)


def lazy_format(lazy_text, **params):
    """`lazy_text % params`, done when the text is shown: a form's help text is built once at
    start-up, and `gettext_lazy(...) % {...}` there would fix it in the start-up language."""
    return lazy(lambda: str(lazy_text) % params, str)()


def reason_data(value):
    """Audit data beside a reason the platform wrote: its message, for the history to render."""
    return {"reason_message": value.as_data()} if isinstance(value, Message) else {}


def text_of(value):
    """Plain text of a Message or a str, in the site's language (for storing and e-mail)."""
    return value.in_site_language() if isinstance(value, Message) else str(value)
