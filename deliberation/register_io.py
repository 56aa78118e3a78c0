"""Owners' register in and out of Excel: read, check, compare, apply, export.

One sheet, one row per (unit, holder). A co-owned unit has one row per co-owner and exactly
one of them marked as the designated voter (表决人). Columns may be headed in Chinese or
English (see COLUMNS); the template file (`register_template`) shows both.

Rules this module enforces, so that an import can never half-happen:

- The file is checked before it is parsed: size (settings.REGISTER_MAX_BYTES), that it is
  really an xlsx (a zip holding ``[Content_Types].xml`` and a workbook), and, from the zip's
  directory alone, that it does not inflate to something huge (total size, number of parts,
  ratio per part). Parsing then runs within a budget of rows and seconds.
- Every row is checked, and every problem is reported with its row number, column and reason.
  A file with any problem changes nothing.
- Estates must already exist in the community. Buildings must exist too, unless the caller
  passes ``create_buildings=True`` (the page's "create missing buildings" box, the command's
  ``--create-buildings``): a typo in a building name should be an error, not a new building.
- Units are matched by (estate, building, stairwell, number) and updated in place. A unit of
  the community that is not in the file is reported as "not in the file" and left alone: units
  may carry ballots, so removing one is a deliberate act in the admin, not a side effect.
- For the units in the file, the file says who owns them: ownerships missing from the file
  are removed, new ones added, shares and the designated voter updated.
- Holders are matched by identity-number digest when a number is given, by masked number and
  name when the number is masked (as in our own export), else by name and mobile number.
- Formulas are never evaluated: a cell holding a formula is refused, and text that starts
  with = + - @ is refused in text columns. The export writes every text cell as a string
  with Excel's quote prefix, so nothing we write can turn into a formula.

`import_register` is the one service that changes the register: one transaction, the
community row locked, the plan recomputed inside it, one audit entry "registry.import".
"""

import contextlib
import gc
import hashlib
import io
import re
import secrets
import time
import zipfile
from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from fractions import Fraction
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from accounts.phone import normalise_phone
from deliberation.access import forget_roles, require
from deliberation.audit import record_audit
from deliberation.models import (
    AreaBasis,
    Building,
    Community,
    Estate,
    Holder,
    HolderKind,
    Ownership,
    Unit,
    UnitKind,
)
from deliberation.models.community import unit_sort_key
from deliberation.registry import identity_digest, mask_identity

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
BATCH = 1000
# Django's bulk_update writes one CASE branch per row, which PostgreSQL checks for every row
# of the statement: small batches keep that cost linear.
UPDATE_BATCH = 200
MAX_ROWS = 100_000
MAX_SHOWN_ERRORS = 200
# The archive is judged from its directory before anything is unpacked. A register of 10,000
# rows is a 7 MB sheet (10x compressed), so 100,000 rows fit in 100 MB; workbooks hold a dozen
# parts; XML compresses 5-30x, and a member inflating far beyond is a zip bomb (up to 1000x).
MAX_INFLATED_BYTES = 100 * 1024 * 1024
MAX_MEMBERS = 200
MAX_MEMBER_RATIO = 100
RATIO_CHECKED_FROM = 1024 * 1024  # small parts may compress better and cost nothing
# Parsing budget: rows openpyxl hands over, blank ones included (a sheet can declare a million
# empty rows in a few bytes), columns read per row, and seconds of parsing.
MAX_SHEET_ROWS = MAX_ROWS + 10_000
MAX_COLUMNS = 50
PARSE_SECONDS = 60
PARSE_CHECK_EVERY = 500
# A background import tells the person how far it has got every this many rows, while the
# file is read and while it is checked against the register (deliberation.register_job).
PROGRESS_ROWS = 1000
UPLOAD_TTL_SECONDS = 6 * 3600
TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{20,64}$")
FORMULA_START = ("=", "+", "-", "@")
TWO_PLACES = Decimal("0.01")
FOUR_PLACES = Decimal("0.0001")


@dataclass(frozen=True)
class Column:
    key: str
    zh: str
    en: str
    aliases: tuple = ()
    required: bool = False
    text: bool = False  # free text: refuse a leading = + - @


COLUMNS = [
    Column("estate", "小区", "Estate", ("小区名称", "estate name"), required=True, text=True),
    Column("building", "楼栋", "Building", ("楼号", "楼栋号"), required=True, text=True),
    Column("stairwell", "单元", "Stairwell", ("单元号", "entrance"), text=True),
    Column("number", "房号", "Unit number", ("房间号", "户号", "门牌号", "unit"), True, True),
    Column("floor", "楼层", "Floor", ("层",)),
    Column("area", "建筑面积(㎡)", "Area (m²)", ("建筑面积", "面积", "area"), required=True),
    Column("area_basis", "面积依据", "Area basis", ("面积来源",)),
    Column("kind", "类型", "Kind", ("房屋类型", "unit kind", "type")),
    Column("holder_name", "业主姓名", "Holder name", ("姓名", "业主", "name", "owner"), True, True),
    Column("holder_kind", "业主类型", "Holder kind", ("owner kind",)),
    Column(
        "id_number",
        "证件号码",
        "Identity number",
        ("身份证号", "身份证号码", "id number"),
        text=True,
    ),
    Column("phone", "手机号", "Mobile number", ("手机", "手机号码", "电话", "联系电话", "phone")),
    Column("share", "份额", "Share", ("产权份额",)),
    Column("voter", "表决人", "Designated voter", ("是否表决人", "voter")),
]
COLUMN_BY_KEY = {c.key: c for c in COLUMNS}

AREA_BASIS_WORDS = {
    AreaBasis.REGISTERED: ("登记", "registered"),
    AreaBasis.SURVEYED: ("测绘", "surveyed"),
    AreaBasis.CONTRACT: ("合同", "contract"),
}
UNIT_KIND_WORDS = {
    UnitKind.FLAT: ("住宅", "flat"),
    UnitKind.SHOP: ("商铺", "shop"),
    UnitKind.PARKING: ("车位", "parking"),
}
HOLDER_KIND_WORDS = {
    HolderKind.PERSON: ("个人", "person"),
    HolderKind.ORGANISATION: ("单位", "organisation"),
    HolderKind.DEVELOPER: ("建设单位", "developer"),
}
YES_WORDS = {"是", "yes", "y", "true", "1", "√", "✓"}
NO_WORDS = {"否", "no", "n", "false", "0"}

FIELD_LABELS = {
    "floor": gettext_lazy("floor"),
    "area": gettext_lazy("area"),
    "area_basis": gettext_lazy("area basis"),
    "kind": pgettext_lazy("unit", "kind"),
    "holders": gettext_lazy("holders"),
    "name": gettext_lazy("name"),
    "phone": gettext_lazy("mobile number"),
    "holder_kind": gettext_lazy("holder kind"),
}


class RegisterFileError(Exception):
    """The upload as a whole cannot be used (not an xlsx, too big, no header row...)."""


class RegisterRejected(Exception):
    """The file has row errors; nothing was changed."""

    def __init__(self, plan):
        super().__init__("register has errors")
        self.plan = plan


class RegisterChanged(Exception):
    """The register or the file changed between preview and apply; nothing was changed."""


@dataclass
class RowError:
    row: int
    column: str
    message: str


@dataclass(slots=True)
class Row:
    row: int
    estate: str
    building: str
    stairwell: str
    number: str
    floor: int | None
    area: Decimal | None
    area_basis: str
    kind: str
    holder_name: str
    holder_kind: str
    id_digest: str
    id_masked: str
    id_is_masked: bool
    phone: str
    share: Decimal | None
    voter: bool | None


@dataclass
class ParsedRegister:
    rows: list
    errors: list
    headers: dict  # key -> (column letter, header text as written)
    sha256: str

    def column_name(self, key):
        letter, text = self.headers.get(key, ("", COLUMN_BY_KEY[key].zh))
        return f"{letter} {text}".strip()


# --------------------------------------------------------------------------- reading


def file_sha256(data):
    return hashlib.sha256(data).hexdigest()


def check_xlsx_bytes(data, max_bytes=None):
    """Refuse anything that is too big or not really an xlsx, before openpyxl sees it."""
    max_bytes = settings.REGISTER_MAX_BYTES if max_bytes is None else max_bytes
    if len(data) > max_bytes:
        raise RegisterFileError(
            _("The file is %(size)s MB; the largest accepted is %(max)s MB.")
            % {"size": megabytes(len(data)), "max": megabytes(max_bytes)}
        )
    not_xlsx = _(
        "This is not an Excel .xlsx file. Save the register as an Excel workbook (.xlsx) "
        "and upload it again."
    )
    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise RegisterFileError(not_xlsx)
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()  # the central directory only: nothing is inflated
    except (zipfile.BadZipFile, OSError, ValueError):
        raise RegisterFileError(not_xlsx) from None
    names = {info.filename for info in members}
    if "[Content_Types].xml" not in names or "xl/workbook.xml" not in names:
        raise RegisterFileError(not_xlsx)
    # Reading never yields more than a member's recorded size (zipfile stops there and checks
    # the CRC), so the recorded sizes bound what parsing can unpack.
    too_much = _("The file unpacks to far more data than a register holds.")
    if len(members) > MAX_MEMBERS:
        raise RegisterFileError(too_much)
    if sum(info.file_size for info in members) > MAX_INFLATED_BYTES:
        raise RegisterFileError(too_much)
    for info in members:
        if info.file_size > RATIO_CHECKED_FROM and (
            info.file_size > max(info.compress_size, 1) * MAX_MEMBER_RATIO
        ):
            raise RegisterFileError(too_much)


def megabytes(size):
    return f"{size / (1024 * 1024):.1f}".rstrip("0").rstrip(".")


def _normal_header(text):
    text = re.sub(r"[（(].*?[)）]", "", str(text or ""))
    return re.sub(r"\s+", " ", text).strip().lower()


HEADER_LOOKUP = {}
for _column in COLUMNS:
    for _alias in (_column.zh, _column.en, _column.key, *_column.aliases):
        HEADER_LOOKUP.setdefault(_normal_header(_alias), _column.key)


def _letter(index):
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def read_register(data, max_bytes=None, progress=None):
    """Parse xlsx bytes into rows and per-row errors. Raises RegisterFileError.

    `progress(rows read, rows the sheet says it has or 0, "read")` hears of every
    PROGRESS_ROWS rows."""
    from openpyxl import load_workbook

    check_xlsx_bytes(data, max_bytes)
    sha = file_sha256(data)
    try:
        # data_only=False: a formula comes back as its text, so we can refuse it; it is
        # never evaluated, by openpyxl or by us.
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except Exception:  # noqa: BLE001 - openpyxl raises many types for broken files
        raise RegisterFileError(
            _(
                "The Excel file is damaged and cannot be read. Open it in Excel or WPS, save it "
                "again as .xlsx, and upload it again."
            )
        ) from None
    try:
        return _read_sheet(workbook.worksheets[0], sha, progress)
    except RegisterFileError:
        raise
    except Exception:  # noqa: BLE001
        raise RegisterFileError(
            _(
                "The Excel file is damaged and cannot be read. Open it in Excel or WPS, save it "
                "again as .xlsx, and upload it again."
            )
        ) from None
    finally:
        workbook.close()


_clock = time.monotonic


def _budgeted(rows):
    """The sheet's rows, refused past MAX_SHEET_ROWS rows or PARSE_SECONDS of parsing."""
    started = _clock()
    for count, values in enumerate(rows, start=1):
        if count > MAX_SHEET_ROWS:
            raise RegisterFileError(
                _("The file has more than %(max)s rows; split it by estate.") % {"max": MAX_ROWS}
            )
        if count % PARSE_CHECK_EVERY == 0 and _clock() - started > PARSE_SECONDS:
            raise RegisterFileError(
                _(
                    "The file took too long to read. Save it again in Excel or WPS with only "
                    "the register on its first sheet, or split it by estate."
                )
            )
        yield values


def _read_sheet(sheet, sha, progress=None):
    try:
        expected = max(0, (sheet.max_row or 0) - 1)  # the sheet's own claim, without headings
    except Exception:  # noqa: BLE001 - a damaged dimension is only a worse estimate
        expected = 0
    rows_iter = _budgeted(sheet.iter_rows(values_only=True, max_col=MAX_COLUMNS))
    header = None
    for header_cells in rows_iter:
        if not all(_blank(v) for v in header_cells):
            header = header_cells
            break
    if header is None:
        raise RegisterFileError(_("The first sheet is empty: put the column headings in row 1."))
    positions, headers = {}, {}
    for index, value in enumerate(header):
        key = HEADER_LOOKUP.get(_normal_header(value))
        if key and key not in positions:
            positions[key] = index
            headers[key] = (_letter(index), str(value).strip())
    missing = [c for c in COLUMNS if c.required and c.key not in positions]
    if missing:
        raise RegisterFileError(
            _("Columns missing: %(columns)s. Download the template to see the headings.")
            % {"columns": "、".join(c.zh + " / " + c.en for c in missing)}
        )
    parsed = ParsedRegister(rows=[], errors=[], headers=headers, sha256=sha)
    row_number = 1
    for values in rows_iter:
        row_number += 1
        if all(_blank(v) for v in values):
            continue
        if len(parsed.rows) >= MAX_ROWS:
            raise RegisterFileError(
                _("The file has more than %(max)s rows; split it by estate.") % {"max": MAX_ROWS}
            )
        cells = {
            key: (values[index] if index < len(values) else None)
            for key, index in positions.items()
        }
        row = _parse_row(row_number, cells, parsed)
        if row is not None:
            parsed.rows.append(row)
        if progress is not None and row_number % PROGRESS_ROWS == 0:
            progress(row_number - 1, max(expected, row_number - 1), "read")
    if progress is not None:
        progress(row_number - 1, row_number - 1, "read")
    return parsed


def _blank(value):
    return value is None or (isinstance(value, str) and not value.strip())


def _text(value):
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _parse_row(row_number, cells, parsed):
    errors = []
    bad_keys = set()

    def error(key, message):
        bad_keys.add(key)
        errors.append(RowError(row_number, parsed.column_name(key), str(message)))

    text = {}
    for key, value in cells.items():
        value = _text(value)
        if value.startswith("="):
            error(key, _("Contains a formula. Type the value itself; formulas are not read."))
            value = ""
        elif COLUMN_BY_KEY[key].text and value.startswith(FORMULA_START):
            error(key, _("Must not start with =, +, - or @ (it could run as a formula)."))
            value = ""
        text[key] = value

    def get(key):
        return text.get(key, "")

    def missing(key, message):  # message is lazy: translated only when the cell is empty
        if not get(key) and key not in bad_keys:
            error(key, message)

    estate, building, number = get("estate"), get("building"), get("number")
    missing("estate", gettext_lazy("Estate is missing."))
    missing("building", gettext_lazy("Building is missing."))
    missing("number", gettext_lazy("Unit number is missing."))
    for key, limit in (("estate", 100), ("building", 50), ("stairwell", 20), ("number", 30)):
        if len(get(key)) > limit:
            error(key, _("Too long: at most %(n)s characters.") % {"n": limit})

    floor = None
    if get("floor"):
        try:
            floor = int(Decimal(get("floor")))
            if Decimal(get("floor")) != floor or not -200 <= floor <= 500:
                raise InvalidOperation
        except (InvalidOperation, ValueError):
            error(
                "floor",
                _("Bad floor “%(value)s”: enter a whole number such as 3 or -1.")
                % {"value": get("floor")},
            )
            floor = None

    area = None
    raw_area = get("area").replace("㎡", "").replace("m²", "").replace(",", "").strip()
    if not raw_area:
        missing("area", gettext_lazy("Bad area: the area is missing."))
    else:
        try:
            area = Decimal(raw_area)
            if not area.is_finite() or area <= 0 or area >= Decimal("100000000"):
                raise InvalidOperation
            if area != area.quantize(TWO_PLACES):
                error(
                    "area",
                    _("Bad area “%(value)s”: use at most two decimal places.")
                    % {"value": raw_area},
                )
                area = None
            else:
                area = area.quantize(TWO_PLACES)
        except (InvalidOperation, ValueError):
            error(
                "area",
                _("Bad area “%(value)s”: enter square metres greater than 0, e.g. 89.50.")
                % {"value": raw_area},
            )
            area = None

    area_basis = _choice(get("area_basis"), AREA_BASIS_WORDS, AreaBasis.REGISTERED)
    if area_basis is None:
        error(
            "area_basis",
            _("Unknown area basis “%(value)s”: use 登记, 测绘 or 合同.")
            % {"value": get("area_basis")},
        )
    kind = _choice(get("kind"), UNIT_KIND_WORDS, UnitKind.FLAT)
    if kind is None:
        error(
            "kind", _("Unknown kind “%(value)s”: use 住宅, 商铺 or 车位.") % {"value": get("kind")}
        )
    holder_kind = _choice(get("holder_kind"), HOLDER_KIND_WORDS, HolderKind.PERSON)
    if holder_kind is None:
        error(
            "holder_kind",
            _("Unknown holder kind “%(value)s”: use 个人, 单位 or 建设单位.")
            % {"value": get("holder_kind")},
        )

    holder_name = get("holder_name")
    missing("holder_name", gettext_lazy("Missing name: every row needs the holder's name."))
    if len(holder_name) > 100:
        error("holder_name", _("Too long: at most %(n)s characters.") % {"n": 100})

    id_number = get("id_number").replace(" ", "").upper()
    id_digest = id_masked = ""
    id_is_masked = "*" in id_number
    if id_number:
        if not re.fullmatch(r"[0-9A-Z*]{6,30}", id_number) or (
            id_is_masked and not re.fullmatch(r"[0-9A-Z]{2,6}\*+[0-9A-Z]{2,6}", id_number)
        ):
            error("id_number", _("Bad identity number: use 6 to 30 letters and digits."))
        elif id_is_masked:
            id_masked = id_number
        else:
            id_digest, id_masked = identity_digest(id_number), mask_identity(id_number)

    phone = ""
    if get("phone"):
        phone = normalise_phone(get("phone"))
        if not re.fullmatch(r"\+861[3-9]\d{9}|0\d{2,3}-?\d{7,8}|\d{7,8}", phone):
            error(
                "phone",
                _("Bad mobile number “%(value)s”: enter 11 digits, e.g. 13800000000.")
                % {"value": get("phone")},
            )
            phone = ""

    share = None
    if get("share"):
        share = _share(get("share"))
        if share is None:
            error(
                "share",
                _("Bad share “%(value)s”: enter a number above 0 and at most 1, e.g. 0.5 or 50%%.")
                % {"value": get("share")},
            )

    voter = None
    if get("voter"):
        word = get("voter").lower()
        if word in YES_WORDS:
            voter = True
        elif word in NO_WORDS:
            voter = False
        else:
            error("voter", _("Enter 是 or 否 for the designated voter."))

    parsed.errors.extend(errors)
    if errors:
        return None
    return Row(
        row=row_number,
        estate=estate,
        building=building,
        stairwell=get("stairwell"),
        number=number,
        floor=floor,
        area=area,
        area_basis=area_basis,
        kind=kind,
        holder_name=holder_name,
        holder_kind=holder_kind,
        id_digest=id_digest,
        id_masked=id_masked,
        id_is_masked=id_is_masked,
        phone=phone,
        share=share,
        voter=voter,
    )


def _choice(value, words, default):
    if not value:
        return default
    lowered = value.strip().lower()
    for code, (zh, en) in words.items():
        if lowered in (zh, en, code):
            return code
    return None


def _share(value):
    try:
        value = value.replace(" ", "")
        if value.endswith("%"):
            share = Decimal(value[:-1]) / 100
        elif "/" in value:
            share = Fraction(value)
            share = Decimal(share.numerator) / Decimal(share.denominator)
        else:
            share = Decimal(value)
    except (InvalidOperation, ValueError, ZeroDivisionError):
        return None
    if not share.is_finite() or share <= 0 or share > 1:
        return None
    return share.quantize(FOUR_PLACES, rounding=ROUND_HALF_EVEN)


# --------------------------------------------------------------------------- planning


@dataclass
class HolderPlan:
    key: tuple
    name: str
    kind: str
    phone: str
    id_digest: str
    id_masked: str
    first_row: int
    existing: Holder | None = None
    changes: list = field(default_factory=list)


@dataclass
class UnitPlan:
    key: tuple
    label: str
    building_key: tuple
    fields: dict
    owners: list  # [(HolderPlan, share, voter)]
    existing_id: int | None = None
    changes: list = field(default_factory=list)
    ownership_ops: dict = field(default_factory=dict)


@dataclass
class ImportPlan:
    community: Community
    parsed: ParsedRegister
    errors: list
    units: list = field(default_factory=list)
    holders: list = field(default_factory=list)
    new_buildings: list = field(default_factory=list)  # [(estate, name)]
    not_in_file: list = field(default_factory=list)  # labels
    create_buildings: bool = False

    @property
    def ok(self):
        return not self.errors

    @property
    def new_units(self):
        return [u for u in self.units if u.existing_id is None]

    @property
    def changed_units(self):
        return [u for u in self.units if u.existing_id is not None and u.changes]

    @property
    def new_holders(self):
        return [h for h in self.holders if h.existing is None]

    @property
    def changed_holders(self):
        return [h for h in self.holders if h.existing is not None and h.changes]

    def counts(self):
        return {
            "rows": len(self.parsed.rows),
            "created": len(self.new_units),
            "updated": len(self.changed_units),
            "unchanged": len(self.units) - len(self.new_units) - len(self.changed_units),
            "not_in_file": len(self.not_in_file),
            "removed": 0,
            "holders_created": len(self.new_holders),
            "holders_updated": len(self.changed_holders),
            "buildings_created": len(self.new_buildings),
        }

    @property
    def has_changes(self):
        c = self.counts()
        return bool(
            c["created"]
            or c["updated"]
            or c["holders_created"]
            or c["holders_updated"]
            or c["buildings_created"]
        )

    def fingerprint(self):
        """A digest of what applying would do, to notice a register changed since preview."""
        parts = [self.parsed.sha256, str(self.create_buildings), str(self.not_in_file)]
        for u in self.units:
            if u.changes or u.existing_id is None:
                owners = [(h.key, str(s), v) for h, s, v in u.owners]
                parts.append(f"u{u.key}{u.existing_id}{sorted(u.fields.items())}{owners}")
        for h in self.holders:
            if h.changes or h.existing is None:
                pk = h.existing.pk if h.existing is not None else ""
                parts.append(f"h{h.key}{pk}{h.name}{h.phone}{h.kind}")
        return hashlib.sha256("\n".join(parts).encode()).hexdigest()

    @property
    def shown_errors(self):
        return self.errors[:MAX_SHOWN_ERRORS]


def _unit_label(estate, building, stairwell, number):
    return " ".join(part for part in (estate, building, stairwell, number) if part)


def plan_register_import(community, parsed, *, create_buildings=False, progress=None):
    """Compare the parsed file with the register. Reads only; safe outside a transaction.

    `progress(done, total, "check")` hears of every PROGRESS_ROWS rows grouped into units,
    then compared with the register (each row counts twice)."""
    plan = ImportPlan(
        community=community,
        parsed=parsed,
        errors=list(parsed.errors),
        create_buildings=create_buildings,
    )

    def error(row, key, message):
        plan.errors.append(RowError(row, parsed.column_name(key), message))

    estates = {e.name: e for e in Estate.objects.filter(community=community)}
    buildings = {}
    building_names = {}
    for pk, estate_id, name in Building.objects.filter(estate__community=community).values_list(
        "pk", "estate_id", "name"
    ):
        buildings[(estate_id, name)] = pk
        building_names[pk] = (estate_id, name)
    new_buildings = {}

    # Group the rows by unit.
    grouped = {}
    total_rows = len(parsed.rows)
    for index, row in enumerate(parsed.rows):
        if progress is not None and index % PROGRESS_ROWS == 0:
            progress(index, 2 * total_rows, "check")  # grouping: the first half
        estate = estates.get(row.estate)
        if estate is None:
            error(
                row.row,
                "estate",
                _("Unknown estate “%(name)s”: it is not an estate of this community.")
                % {"name": row.estate},
            )
            continue
        building_key = (estate.pk, row.building)
        if building_key not in buildings:
            if not create_buildings:
                error(
                    row.row,
                    "building",
                    _(
                        "Unknown building “%(name)s” in %(estate)s. Check "
                        "the name, or tick “create missing buildings”."
                    )
                    % {"name": row.building, "estate": estate.name},
                )
                continue
            new_buildings.setdefault(building_key, (estate, row.building))
        grouped.setdefault((estate.pk, row.building, row.stairwell, row.number), []).append(row)

    # Holders: one plan per distinct key in the file, matched to the register.
    holder_rows = Holder.objects.filter(community=community).order_by("pk")
    by_digest, by_masked, by_name_phone = {}, {}, {}
    for holder in holder_rows.only("pk", "name", "kind", "phone", "id_digest", "id_masked"):
        if holder.id_digest:
            by_digest.setdefault(holder.id_digest, holder)
        if holder.id_masked:
            by_masked.setdefault((holder.id_masked, holder.name), holder)
        by_name_phone.setdefault((holder.name, normalise_phone(holder.phone)), holder)
    holder_plans = {}

    def holder_for(row):
        if row.id_digest:
            key = ("id", row.id_digest)
        elif row.id_is_masked:
            key = ("masked", row.id_masked, row.holder_name)
        else:
            key = ("name", row.holder_name, row.phone)
        plan_ = holder_plans.get(key)
        if plan_ is not None:
            if plan_.name != row.holder_name:
                error(
                    row.row,
                    "id_number",
                    _("This identity number is given to %(other)s in row %(row)s.")
                    % {"other": plan_.name, "row": plan_.first_row},
                )
                return None
            if plan_.kind != row.holder_kind:
                error(
                    row.row,
                    "holder_kind",
                    _("Row %(row)s gives this holder another kind.") % {"row": plan_.first_row},
                )
                return None
            return plan_
        plan_ = HolderPlan(
            key=key,
            name=row.holder_name,
            kind=row.holder_kind,
            phone=row.phone,
            id_digest=row.id_digest,
            id_masked=row.id_masked,
            first_row=row.row,
        )
        if key[0] == "id":
            existing = by_digest.get(row.id_digest)
        elif key[0] == "masked":
            existing = by_masked.get((row.id_masked, row.holder_name))
            if existing is None:
                error(
                    row.row,
                    "id_number",
                    _(
                        "Masked identity number of someone not in the "
                        "register: enter the full number."
                    ),
                )
                return None
        else:
            existing = by_name_phone.get((row.holder_name, row.phone))
        plan_.existing = existing
        if existing is not None:
            if existing.name != plan_.name:
                plan_.changes.append(("name", existing.name, plan_.name))
            if plan_.phone and normalise_phone(existing.phone) != plan_.phone:
                plan_.changes.append(("phone", existing.phone, plan_.phone))
            if existing.kind != plan_.kind:
                plan_.changes.append(
                    ("holder_kind", existing.get_kind_display(), HolderKind(plan_.kind).label)
                )
            if key[0] == "id" and existing.id_masked != plan_.id_masked:
                plan_.changes.append(("id_masked", existing.id_masked, plan_.id_masked))
        holder_plans[key] = plan_
        return plan_

    existing_units = {}
    unit_values = Unit.objects.filter(building__estate__community=community).values_list(
        "pk", "building_id", "stairwell", "number", "floor", "area", "area_basis", "kind"
    )
    for pk, building_id, stairwell, number, floor, area, basis, kind in unit_values:
        estate_id, building_name = building_names[building_id]
        existing_units[(estate_id, building_name, stairwell, number)] = {
            "pk": pk,
            "floor": floor,
            "area": area,
            "area_basis": basis,
            "kind": kind,
        }
    ownerships = {}
    for pk, unit_id, holder_id, share, voter in Ownership.objects.filter(
        unit__building__estate__community=community
    ).values_list("pk", "unit_id", "holder_id", "share", "is_designated_voter"):
        ownerships.setdefault(unit_id, {})[holder_id] = (pk, share, voter)
    holder_names = {}
    estate_names = {e.pk: e.name for e in estates.values()}

    compared = 0
    for key, rows in grouped.items():
        if progress is not None and compared // PROGRESS_ROWS != (compared + len(rows)) // (
            PROGRESS_ROWS
        ):
            progress(total_rows + compared, 2 * total_rows, "check")
        compared += len(rows)
        first = rows[0]
        label = _unit_label(estate_names[key[0]], *key[1:])
        fields = {
            "floor": first.floor,
            "area": first.area,
            "area_basis": first.area_basis,
            "kind": first.kind,
        }
        bad = False
        for other in rows[1:]:
            for name in ("area", "floor", "area_basis", "kind"):
                if getattr(other, name) != fields[name]:
                    column = name if name in COLUMN_BY_KEY else "area"
                    error(
                        other.row,
                        column,
                        _("Duplicate unit: row %(row)s gives %(unit)s a different %(field)s.")
                        % {"row": first.row, "unit": label, "field": FIELD_LABELS[name]},
                    )
                    bad = True
                    break
        owners = []
        seen = {}
        for row in rows:
            holder = holder_for(row)
            if holder is None:
                bad = True
                continue
            identity = holder.existing.pk if holder.existing is not None else holder.key
            if identity in seen:
                error(
                    row.row,
                    "number",
                    _("Duplicate unit: row %(row)s already lists %(unit)s for this holder.")
                    % {"row": seen[identity], "unit": label},
                )
                bad = True
                continue
            seen[identity] = row.row
            owners.append([holder, row.share, row.voter])
        if bad or not owners:
            continue
        if not _settle_shares_and_voter(owners, rows, label, error):
            continue
        unit_plan = UnitPlan(
            key=key, label=label, building_key=(key[0], key[1]), fields=fields, owners=owners
        )
        existing = existing_units.pop(key, None)
        if existing is not None:
            unit_plan.existing_id = existing["pk"]
            for name in ("floor", "area", "area_basis", "kind"):
                if existing[name] != fields[name]:
                    unit_plan.changes.append(
                        (name, _display(name, existing[name]), _display(name, fields[name]))
                    )
            _plan_ownerships(unit_plan, ownerships.get(existing["pk"], {}), holder_names)
        plan.units.append(unit_plan)

    # Existing holders whose names we need to describe removed ownerships.
    _fill_holder_names(plan, holder_names)
    plan.holders = list(holder_plans.values())
    # A holder that is new and also exists as another key of an existing holder is fine.
    plan.new_buildings = list(new_buildings.values())
    plan.not_in_file = sorted(
        _unit_label(estate_names.get(k[0], ""), *k[1:]) for k in existing_units
    )
    plan.errors.sort(key=lambda e: e.row)
    return plan


def _settle_shares_and_voter(owners, rows, label, error):
    if len(owners) == 1:
        holder, share, _voter = owners[0]
        owners[0][1] = share if share is not None else Decimal(1)
        owners[0][2] = True
        return True
    given = [o[1] for o in owners if o[1] is not None]
    if given and len(given) != len(owners):
        error(
            rows[0].row,
            "share",
            _("Co-owned unit %(unit)s: give every co-owner a share, or none.") % {"unit": label},
        )
        return False
    if not given:
        equal = (Decimal(1) / len(owners)).quantize(FOUR_PLACES)
        for owner in owners:
            owner[1] = equal
    else:
        total = sum(given)
        if abs(total - 1) > FOUR_PLACES * len(owners):
            error(
                rows[0].row,
                "share",
                _("Co-owned unit %(unit)s: the shares add up to %(total)s, not 1.")
                % {"unit": label, "total": total},
            )
            return False
    voters = [o for o in owners if o[2]]
    if len(voters) != 1:
        error(
            rows[0].row,
            "voter",
            _(
                "Co-owned unit %(unit)s needs exactly one designated voter "
                "(表决人 = 是); it has %(n)s."
            )
            % {"unit": label, "n": len(voters)},
        )
        return False
    for owner in owners:
        owner[2] = bool(owner[2])
    return True


def _display(name, value):
    if value is None:
        return "—"
    if name == "area_basis":
        return AreaBasis(value).label
    if name == "kind":
        return UnitKind(value).label
    return str(value)


def _plan_ownerships(unit_plan, current, holder_names):
    """current: {holder_id: (ownership_pk, share, voter)}. Fills ownership_ops and changes."""
    wanted = {}
    new = []
    for holder, share, voter in unit_plan.owners:
        if holder.existing is not None and holder.existing.pk in current:
            wanted[holder.existing.pk] = (share, voter)
        else:
            new.append((holder, share, voter))
    remove = [pk for hid, (pk, _s, _v) in current.items() if hid not in wanted]
    update = [
        (current[hid][0], share, voter)
        for hid, (share, voter) in wanted.items()
        if current[hid][1] != share or current[hid][2] != voter
    ]
    unit_plan.ownership_ops = {"remove": remove, "update": update, "create": new}
    if remove or new:
        unit_plan.changes.append(("holders", sorted(current), [o[0] for o in unit_plan.owners]))
    elif update:
        old = {hid: (s, v) for hid, (_pk, s, v) in current.items()}
        unit_plan.changes.append(("shares", old, wanted))


def _fill_holder_names(plan, holder_names):
    """Turn the 'holders' changes into readable names (one query for the old holders)."""
    ids = set()
    for unit in plan.units:
        for name, old, _new in unit.changes:
            if name in ("holders", "shares"):
                ids.update(old)
    names = dict(Holder.objects.filter(pk__in=ids).values_list("pk", "name")) if ids else {}
    for unit in plan.units:
        readable = []
        for name, old, new in unit.changes:
            if name == "holders":
                old_text = "、".join(names.get(hid, "?") for hid in old) or "—"
                new_text = "、".join(h.name for h in new)
                readable.append(("holders", old_text, new_text))
            elif name == "shares":
                old_text = "、".join(
                    f"{names.get(h, '?')} {s.normalize()}{' ✓' if v else ''}"
                    for h, (s, v) in old.items()
                )
                new_text = "、".join(
                    f"{names.get(h, '?')} {s.normalize()}{' ✓' if v else ''}"
                    for h, (s, v) in new.items()
                )
                readable.append(("holders", old_text, new_text))
            else:
                readable.append((name, old, new))
        unit.changes = readable


def change_label(name):
    return FIELD_LABELS.get(name, gettext_lazy("identity number"))


# --------------------------------------------------------------------------- applying


def import_register(
    community, data, *, by=None, create_buildings=False, expected=None, filename="", progress=None
):
    """Apply an xlsx register to the community, all or nothing. Returns the ImportPlan.

    Raises RegisterFileError (unusable file), RegisterRejected (row errors: plan attached),
    RegisterChanged (`expected` is the preview's fingerprint and no longer matches), or
    PermissionDenied (`by` may not import here). `by=None` is an operator's command.
    `progress(done, total)`, if given, hears of each batch of units written (inside the
    transaction: see deliberation.jobs for how a background job shows it).
    """
    progress = progress or (lambda done, total, stage="": None)
    with _without_cycle_collection():
        return _import_register(community, data, by, create_buildings, expected, filename, progress)


@contextlib.contextmanager
def _without_cycle_collection():
    """Python's cycle collector off for one import: the hundreds of thousands of objects a
    large file makes are all alive until the end, yet every few batches the collector walks
    them all (bench/RESULTS.md: a third of the CPU, and pauses of seconds between progress
    steps). What is freed is freed by reference counting as usual; cycles wait for the end."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _import_register(community, data, by, create_buildings, expected, filename, progress):
    progress(0, 0, "read")  # opening the workbook reads its whole shared-string table first
    parsed = read_register(data, progress=progress)
    with transaction.atomic():
        community = Community.objects.select_for_update().get(pk=community.pk)
        if by is not None:
            forget_roles(by)  # re-checked under the lock, from the database
            require(by, community, "registry.import")
        plan = plan_register_import(
            community, parsed, create_buildings=create_buildings, progress=progress
        )
        if not plan.ok:
            raise RegisterRejected(plan)
        if expected is not None and plan.fingerprint() != expected:
            raise RegisterChanged
        _apply_plan(plan, progress)
        record_audit(
            actor=by,
            verb="registry.import",
            target=community,
            community=community,
            data={**plan.counts(), "file_sha256": parsed.sha256, "file": filename[:100]},
        )
    return plan


def _apply_plan(plan, progress=lambda done, total: None):
    community = plan.community
    total = len(plan.units)
    progress(0, total)
    building_ids = dict(
        ((estate_id, name), pk)
        for pk, estate_id, name in Building.objects.filter(estate__community=community).values_list(
            "pk", "estate_id", "name"
        )
    )
    if plan.new_buildings:
        created = Building.objects.bulk_create(
            [Building(estate=estate, name=name) for estate, name in plan.new_buildings],
            batch_size=BATCH,
        )
        for building in created:
            building_ids[(building.estate_id, building.name)] = building.pk

    def create_holders(plans):
        """New holders not yet written, once each (a holder may own several units)."""
        fresh = list({id(h): h for h in plans if getattr(h, "db_id", None) is None}.values())
        created = Holder.objects.bulk_create(
            [
                Holder(
                    community=community,
                    kind=h.kind,
                    name=h.name,
                    phone=h.phone,
                    id_digest=h.id_digest,
                    id_masked=h.id_masked,
                )
                for h in fresh
            ],
            batch_size=BATCH,
        )
        for plan_, holder in zip(fresh, created, strict=True):
            plan_.db_id = holder.pk

    changed_holders = plan.changed_holders
    if changed_holders:
        objs = []
        for h in changed_holders:
            holder = h.existing
            holder.name, holder.kind = h.name, h.kind
            if h.phone:
                holder.phone = h.phone
            if h.id_digest:
                holder.id_masked = h.id_masked
            objs.append(holder)
        Holder.objects.bulk_update(
            objs, ["name", "kind", "phone", "id_masked"], batch_size=UPDATE_BATCH
        )

    new_units = [u for u in plan.units if u.existing_id is None]
    done = total - len(new_units)  # units already in the register count as done
    progress(done, total)
    # Each batch of new units with its new holders and ownerships, so the count moves
    # steadily over all the writing.
    for start in range(0, len(new_units), BATCH):
        batch = new_units[start : start + BATCH]
        create_holders([h for u in batch for h, _share, _voter in u.owners if h.existing is None])
        created = Unit.objects.bulk_create(
            [
                Unit(
                    building_id=building_ids[u.building_key],
                    stairwell=u.key[2],
                    number=u.key[3],
                    sort_key=unit_sort_key(u.building_key[1], u.key[2], u.key[3]),
                    **u.fields,
                )
                for u in batch
            ]
        )
        owned = []
        for unit_plan, unit in zip(batch, created, strict=True):
            unit_plan.db_id = unit.pk
            unit_plan.ownership_ops = {}
            owned += [
                Ownership(
                    unit_id=unit.pk,
                    holder_id=holder.db_id if holder.existing is None else holder.existing.pk,
                    share=share,
                    is_designated_voter=voter,
                )
                for holder, share, voter in unit_plan.owners
            ]
        Ownership.objects.bulk_create(owned, batch_size=BATCH)
        done += len(batch)
        progress(done, total)
    create_holders(plan.new_holders)  # those who own only units already in the register
    changed_units = [
        Unit(pk=u.existing_id, **u.fields)
        for u in plan.changed_units
        if any(c[0] in ("floor", "area", "area_basis", "kind") for c in u.changes)
    ]
    if changed_units:
        Unit.objects.bulk_update(
            changed_units, ["floor", "area", "area_basis", "kind"], batch_size=UPDATE_BATCH
        )

    remove, losing_vote, other_updates, create = [], [], [], []
    for unit in plan.units:
        ops = unit.ownership_ops
        if not ops:
            continue
        remove += ops["remove"]
        for pk, share, voter in ops["update"]:
            target = losing_vote if not voter else other_updates
            target.append(Ownership(pk=pk, share=share, is_designated_voter=voter))
        for holder, share, voter in ops["create"]:
            create.append(
                Ownership(
                    unit_id=unit.existing_id or unit.db_id,
                    holder_id=holder.db_id if holder.existing is None else holder.existing.pk,
                    share=share,
                    is_designated_voter=voter,
                )
            )
    for start in range(0, len(remove), BATCH):
        Ownership.objects.filter(pk__in=remove[start : start + BATCH]).delete()
    # One designated voter per unit is a unique constraint: clear old voters before new ones.
    for objs in (losing_vote, other_updates):
        if objs:
            Ownership.objects.bulk_update(
                objs, ["share", "is_designated_voter"], batch_size=UPDATE_BATCH
            )
    if create:
        Ownership.objects.bulk_create(create, batch_size=BATCH)


# --------------------------------------------------------------------------- uploads


def _imports_dir():
    path = Path(settings.MEDIA_ROOT) / "imports"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _stash_path(community, user, token):
    return _imports_dir() / f"{community.pk}-{getattr(user, 'pk', 0)}-{token}.xlsx"


def stash_upload(community, user, data):
    """Keep an uploaded register until it is applied (never under a served directory)."""
    _forget_old_uploads()
    token = secrets.token_urlsafe(24)
    _stash_path(community, user, token).write_bytes(data)
    return token


def stashed_upload(community, user, token):
    """The stashed bytes for the token, or None when the token is unknown or expired."""
    if not isinstance(token, str) or not TOKEN_RE.match(token):
        return None
    path = _stash_path(community, user, token)
    try:
        if time.time() - path.stat().st_mtime > UPLOAD_TTL_SECONDS:
            path.unlink(missing_ok=True)
            return None
        return path.read_bytes()
    except OSError:
        return None


def discard_upload(community, user, token):
    if isinstance(token, str) and TOKEN_RE.match(token):
        _stash_path(community, user, token).unlink(missing_ok=True)


def _forget_old_uploads():
    cutoff = time.time() - UPLOAD_TTL_SECONDS
    for path in _imports_dir().glob("*.xlsx"):
        try:
            if path.stat().st_mtime < cutoff:
                path.unlink(missing_ok=True)
        except OSError:
            pass


# --------------------------------------------------------------------------- writing


def _headers(language):
    return [c.en if language == "en" else c.zh for c in COLUMNS]


def _word(words, code, language):
    zh, en = words[code]
    return en if language == "en" else zh


def _new_workbook(language):
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title="Register" if language == "en" else "业主名册")
    return workbook, sheet


def _safe_cell(sheet, value):
    """A cell that Excel and WPS will always show as the text itself, never run."""
    from openpyxl.cell import WriteOnlyCell

    cell = WriteOnlyCell(sheet, value=None)
    if isinstance(value, str):
        cell.value = value
        cell.data_type = "s"  # openpyxl would otherwise store "=..." as a formula
        if value.startswith(FORMULA_START) or value[:1] in ("\t", "\r"):
            cell.quotePrefix = True
    else:
        cell.value = value
    return cell


def _save(workbook):
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def export_register(community, *, language="zh-hans"):
    """The community's register as xlsx bytes, in the import format (ids masked)."""
    workbook, sheet = _new_workbook(language)
    sheet.append([_safe_cell(sheet, h) for h in _headers(language)])
    ownerships = (
        Ownership.objects.filter(unit__building__estate__community=community)
        .order_by(
            "unit__building__estate__name",
            "unit__sort_key",
            "-is_designated_voter",
            "holder_id",
        )
        .values_list(
            "unit__building__estate__name",
            "unit__building__name",
            "unit__stairwell",
            "unit__number",
            "unit__floor",
            "unit__area",
            "unit__area_basis",
            "unit__kind",
            "holder__name",
            "holder__kind",
            "holder__id_masked",
            "holder__phone",
            "share",
            "is_designated_voter",
        )
    )
    yes, no = ("yes", "no") if language == "en" else ("是", "否")
    for (
        estate,
        building,
        stairwell,
        number,
        floor,
        area,
        basis,
        kind,
        name,
        holder_kind,
        id_masked,
        phone,
        share,
        voter,
    ) in ownerships.iterator(chunk_size=2000):
        values = [
            estate,
            building,
            stairwell,
            number,
            floor,
            area,
            _word(AREA_BASIS_WORDS, basis, language),
            _word(UNIT_KIND_WORDS, kind, language),
            name,
            _word(HOLDER_KIND_WORDS, holder_kind, language),
            id_masked,
            _local_phone(phone),
            share.normalize() if share is not None else None,
            yes if voter else no,
        ]
        sheet.append([_safe_cell(sheet, _number_or_text(v)) for v in values])
    return _save(workbook)


def _local_phone(phone):
    from accounts.phone import local_phone

    return local_phone(phone or "")


def _number_or_text(value):
    if isinstance(value, Decimal):
        return float(value) if value == value.quantize(TWO_PLACES) else str(value)
    return "" if value is None else value


def register_template(community, *, language="zh-hans"):
    """An xlsx with the headings, two example rows from this community, and instructions."""
    workbook, sheet = _new_workbook(language)
    sheet.append([_safe_cell(sheet, h) for h in _headers(language)])
    estate = community.estates.order_by("name").first()
    building = Building.objects.filter(estate=estate).order_by("name").first() if estate else None
    estate_name = estate.name if estate else ("Estate" if language == "en" else "阳光小区")
    building_name = building.name if building else ("Building 1" if language == "en" else "1号楼")
    yes, no = ("yes", "no") if language == "en" else ("是", "否")
    w = lambda words, code: _word(words, code, language)  # noqa: E731
    examples = [
        [
            estate_name,
            building_name,
            "1",
            "101",
            1,
            89.5,
            w(AREA_BASIS_WORDS, "registered"),
            w(UNIT_KIND_WORDS, "flat"),
            "张三",
            w(HOLDER_KIND_WORDS, "person"),
            "110105195001011234",
            "13800000000",
            1,
            yes,
        ],
        [
            estate_name,
            building_name,
            "1",
            "102",
            1,
            92.0,
            w(AREA_BASIS_WORDS, "surveyed"),
            w(UNIT_KIND_WORDS, "flat"),
            "李四",
            w(HOLDER_KIND_WORDS, "person"),
            "",
            "13900000000",
            0.5,
            yes,
        ],
        [
            estate_name,
            building_name,
            "1",
            "102",
            1,
            92.0,
            w(AREA_BASIS_WORDS, "surveyed"),
            w(UNIT_KIND_WORDS, "flat"),
            "王五",
            w(HOLDER_KIND_WORDS, "person"),
            "",
            "",
            0.5,
            no,
        ],
    ]
    for example in examples:
        sheet.append([_safe_cell(sheet, v) for v in example])
    notes = workbook.create_sheet(title="Notes" if language == "en" else "填写说明")
    for column in COLUMNS:
        notes.append(
            [
                _safe_cell(notes, column.zh),
                _safe_cell(notes, column.en),
                _safe_cell(notes, str(_COLUMN_NOTES.get(column.key, ""))),
            ]
        )
    return _save(workbook)


_COLUMN_NOTES = {
    "estate": gettext_lazy("Required. An estate of this community, exactly as named here."),
    "building": gettext_lazy("Required. An existing building of the estate."),
    "stairwell": gettext_lazy("Optional."),
    "number": gettext_lazy("Required."),
    "floor": gettext_lazy("Optional whole number; -1 for a basement."),
    "area": gettext_lazy("Required, in m², at most two decimals."),
    "area_basis": gettext_lazy("登记 (register), 测绘 (survey) or 合同 (contract); default 登记."),
    "kind": gettext_lazy("住宅 (flat), 商铺 (shop) or 车位 (parking); default 住宅."),
    "holder_name": gettext_lazy("Required. One row per co-owner."),
    "holder_kind": gettext_lazy("个人, 单位 or 建设单位 (developer); default 个人."),
    "id_number": gettext_lazy("Optional. Stored only as a digest and a masked form."),
    "phone": gettext_lazy("Optional 11-digit mobile number."),
    "share": gettext_lazy("Co-owners: shares adding up to 1; blank splits equally."),
    "voter": gettext_lazy("Co-owners: exactly one 是 per unit."),
}
