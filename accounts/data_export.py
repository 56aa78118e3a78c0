"""Everything the platform holds about one person, for "download my data" (/me/data/).

Each section names a model by its app label and the lookups that tie a row to the person.
Models that do not exist (yet) are skipped, so a new feature only adds a line to SECTIONS.
Only the person's own rows are exported: their ballots, never anyone else's; secrets (password
hashes, identity digests, receipt keys) never leave the database.
"""

import json
from io import BytesIO

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils.translation import gettext_lazy as _

# Field names never exported, whatever model they are on.
SECRET_FIELDS = {"password", "id_digest", "receipt_hash", "session_key", "token", "secret"}
ROW_LIMIT = 10_000  # a person never has this many rows; the cap keeps a bug from exhausting memory

# (key, title, model label, lookups tying a row to the user; the first lookup that exists wins)
SECTIONS = [
    ("memberships", _("Roles in communities"), "deliberation.Membership", ["user"]),
    ("holdings", _("Holder records in the owners' register"), "deliberation.Holder", ["user"]),
    ("ownerships", _("Units owned"), "deliberation.Ownership", ["holder__user"]),
    ("topics", _("Topics proposed"), "deliberation.Topic", ["proposer"]),
    ("cosigns", _("Co-signatures"), "deliberation.CoSign", ["user"]),
    ("follows", _("Topics followed"), "deliberation.Follow", ["user"]),
    ("comments", _("Comments"), "deliberation.Comment", ["author"]),
    ("ballots", _("Ballots cast for your units"), "deliberation.Ballot", ["holder__user"]),
    ("proxy_mandates", _("Proxy mandates held"), "deliberation.ProxyMandate", ["agent"]),
    ("ratings", _("Ratings"), "deliberation.Rating", ["user"]),
    ("notifications", _("Notifications"), "deliberation.Notification", ["user"]),
    ("attendance", _("Meeting attendance"), "meetings.Attendance", ["user"]),
    ("speaking_requests", _("Requests to speak"), "meetings.SpeakingRequest", ["user"]),
]


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


def _row(obj, fields):
    row = {"id": obj.pk}
    for field in fields:
        if field.is_relation:
            value = getattr(obj, field.name)
            row[field.name] = None if value is None else str(value)
        else:
            value = getattr(obj, field.attname)
            display = getattr(obj, f"get_{field.name}_display", None)
            row[field.name] = display() if field.choices and display else value
    return row


def section_rows(model, lookup, user):
    fields = [
        f
        for f in model._meta.concrete_fields
        if not f.primary_key and f.name not in SECRET_FIELDS and f.name != "user"
    ]
    related = [f.name for f in fields if isinstance(f, models.ForeignKey)]
    queryset = model._default_manager.filter(**{lookup: user}).select_related(*related)
    return [_row(obj, fields) for obj in queryset.order_by("pk")[:ROW_LIMIT]]


def collect(user):
    """{"profile": {...}, "sections": [{"key", "title", "rows"}]} for the JSON and the page."""
    sections = []
    for key, title, label, lookups in SECTIONS:
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
    return json.dumps(payload, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2)


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _cell(value):
    if value is None or isinstance(value, bool | int):
        return value
    if not isinstance(value, str):
        value = json.loads(json.dumps(value, cls=DjangoJSONEncoder))
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value  # a spreadsheet must show the text, not run it as a formula
    return value


def as_xlsx(data):
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "profile"
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
