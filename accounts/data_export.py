"""Everything the platform holds about one person, for "download my data" (/me/data/).

Each app lists its models holding personal data on its AppConfig (`personal_data`), with the
lookups that tie a row to the person; models that do not exist (yet) are skipped.
Only the person's own rows are exported: their ballots, never anyone else's; secrets (password
hashes, identity digests, receipt keys) never leave the database.
"""

import datetime
import functools
import json
import operator
from io import BytesIO

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import Q
from django.utils import timezone

# Field names never exported, whatever model they are on.
SECRET_FIELDS = {"password", "id_digest", "receipt_hash", "session_key", "token", "secret"}
ROW_LIMIT = 10_000  # a person never has this many rows; the cap keeps a bug from exhausting memory


def declared_sections():
    """(key, title, model label, lookups) of every app's personal data, in INSTALLED_APPS order.

    Each app declares its own on its AppConfig: `personal_data = [(key, title, model name,
    lookups tying a row to the user; the first lookup that exists wins), ...]`. A lookup may be
    a tuple of lookups: a row is the person's if any of them names her. This module knows no
    app's models."""
    found = []
    for config in apps.get_app_configs():
        for key, title, model_name, lookups in getattr(config, "personal_data", ()):
            found.append((key, title, f"{config.label}.{model_name}", lookups))
    return found


def profile_of(user):
    return {
        "mobile_number": user.phone or "",
        "mobile_number_verified": user.phone_verified,
        "email": user.email,
        "real_name": user.real_name,
        "language": user.language,
        "text_size": user.text_size,
        "date_joined": user.date_joined,
        "last_login": user.last_login,
    }


def _model(label):
    try:
        return apps.get_model(label)
    except (LookupError, ValueError):
        return None


def _lookup_exists(model, lookup):
    if isinstance(lookup, tuple):
        return all(_lookup_exists(model, each) for each in lookup)
    opts = model._meta
    parts = lookup.split("__")
    for i, part in enumerate(parts):
        try:
            field = opts.get_field(part)
        except FieldDoesNotExist:
            return False
        if i < len(parts) - 1:
            if not field.is_relation:
                return False
            opts = field.related_model._meta
    return True


def _labels(field, ids):
    """{pk: readable name} for the rows a foreign key points at, one query per field."""
    related = field.related_model._default_manager.in_bulk(ids)
    return {pk: str(obj) for pk, obj in related.items()}


def section_rows(model, lookup, user):
    """The person's rows of `model` as plain dicts; names instead of ids, labels for choices.

    Rows come from `.values()` and related names are fetched once per distinct object, so a
    very active person's export stays fast (bench/data_export.py).
    """
    fields = [
        f
        for f in model._meta.concrete_fields
        if not f.primary_key and f.name not in SECRET_FIELDS and f.name != "user"
    ]
    ties = lookup if isinstance(lookup, tuple) else (lookup,)
    mine = functools.reduce(operator.or_, (Q(**{tie: user}) for tie in ties))
    queryset = model._default_manager.filter(mine).order_by("pk")
    rows = list(queryset.values("pk", *[f.attname for f in fields])[:ROW_LIMIT])
    labels = {}
    for f in fields:
        if f.is_relation:
            labels[f.attname] = _labels(f, {r[f.attname] for r in rows} - {None})
        elif f.choices:
            labels[f.attname] = {key: str(label) for key, label in f.flatchoices}
    out = []
    for r in rows:
        row = {"id": r["pk"]}
        for f in fields:
            value = r[f.attname]
            names = labels.get(f.attname)
            row[f.name] = names.get(value, value) if names and value is not None else value
        out.append(row)
    return out


def collect(user):
    """{"profile": {...}, "sections": [{"key", "title", "rows"}]} for the JSON and the page."""
    sections = []
    for key, title, label, lookups in declared_sections():
        model = _model(label)
        if model is None:
            continue
        lookup = next((lk for lk in lookups if _lookup_exists(model, lk)), None)
        if lookup is None:
            continue
        sections.append(
            {"key": key, "title": str(title), "rows": section_rows(model, lookup, user)}
        )
    return {"profile": profile_of(user), "sections": sections}


def as_json(data):
    payload = {"profile": data["profile"]} | {s["key"]: s["rows"] for s in data["sections"]}
    return json.dumps(payload, cls=DjangoJSONEncoder, ensure_ascii=False)


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _cell(value):
    if value is None or isinstance(value, bool | int):
        return value
    if isinstance(value, datetime.datetime):
        local = timezone.localtime(value) if timezone.is_aware(value) else value
        return local.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, datetime.date):
        return value.isoformat()
    if not isinstance(value, str):
        value = json.dumps(value, cls=DjangoJSONEncoder, ensure_ascii=False).strip('"')
    if value.startswith(FORMULA_STARTS):
        return "'" + value  # a spreadsheet must show the text, not run it as a formula
    return value


def as_xlsx(data):
    from openpyxl import Workbook

    book = Workbook(write_only=True)  # streams rows: a busy person's export stays quick
    sheet = book.create_sheet("profile")
    for name, value in data["profile"].items():
        sheet.append([name, _cell(value)])
    for section in data["sections"]:
        sheet = book.create_sheet(section["key"][:31])
        rows = section["rows"]
        if not rows:
            continue
        header = list(rows[0])
        sheet.append(header)
        for row in rows:
            sheet.append([_cell(row.get(name)) for name in header])
    out = BytesIO()
    book.save(out)
    return out.getvalue()
