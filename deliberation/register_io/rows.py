"""Parsing one row of the sheet: each cell checked on its own (formulas, lengths, floor, area,
the choice columns, holder, identity number, mobile number, share, voter), every problem kept
as a RowError with its row and column; a row with any problem yields no Row."""

import re
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from fractions import Fraction

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.phone import normalise_phone
from deliberation.models import AreaBasis, HolderKind, UnitKind
from deliberation.register_io.columns import (
    AREA_BASIS_WORDS,
    COLUMN_BY_KEY,
    FORMULA_START,
    FOUR_PLACES,
    HOLDER_KIND_WORDS,
    NO_WORDS,
    TWO_PLACES,
    UNIT_KIND_WORDS,
    YES_WORDS,
    Row,
    RowError,
)
from deliberation.registry import identity_digest, mask_identity


def _blank(value):
    return value is None or (isinstance(value, str) and not value.strip())


def _text(value):
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


class _Cells:
    """One row's cells as text, and the problems found in them so far."""

    def __init__(self, row_number, cells, parsed):
        self.row_number = row_number
        self.parsed = parsed
        self.errors = []
        self.bad_keys = set()
        self.text = text = {}
        for key, value in cells.items():
            value = _text(value)
            if value.startswith(FORMULA_START):  # "=" among them: most cells skip the checks
                value = self._refuse_formula(key, value)
            text[key] = value

    def error(self, key, message):
        self.bad_keys.add(key)
        self.errors.append(RowError(self.row_number, self.parsed.column_name(key), str(message)))

    def get(self, key):
        return self.text.get(key, "")

    def missing(self, key, message):  # message is lazy: translated only when the cell is empty
        if not self.get(key) and key not in self.bad_keys:
            self.error(key, message)

    def _refuse_formula(self, key, value):
        if value.startswith("="):
            self.error(key, _("Contains a formula. Type the value itself; formulas are not read."))
            return ""
        if COLUMN_BY_KEY[key].text and value.startswith(FORMULA_START):
            self.error(key, _("Must not start with =, +, - or @ (it could run as a formula)."))
            return ""
        return value


def _parse_row(row_number, cells, parsed):
    """A Row, or None with the row's problems added to `parsed.errors`."""
    row = _Cells(row_number, cells, parsed)
    _check_address(row)
    floor = _parse_floor(row)
    area = _parse_area(row)
    area_basis, kind, holder_kind = _parse_choices(row)
    _check_holder_name(row)
    id_digest, id_masked, id_is_masked = _parse_id_number(row)
    phone = _parse_phone(row)
    share = _parse_share(row)
    voter = _parse_voter(row)
    parsed.errors.extend(row.errors)
    if row.errors:
        return None
    return Row(
        row=row_number,
        estate=row.get("estate"),
        building=row.get("building"),
        stairwell=row.get("stairwell"),
        number=row.get("number"),
        floor=floor,
        area=area,
        area_basis=area_basis,
        kind=kind,
        holder_name=row.get("holder_name"),
        holder_kind=holder_kind,
        id_digest=id_digest,
        id_masked=id_masked,
        id_is_masked=id_is_masked,
        phone=phone,
        share=share,
        voter=voter,
    )


def _check_address(row):
    """Estate, building and unit number are there; no part of the address is too long."""
    row.missing("estate", gettext_lazy("Estate is missing."))
    row.missing("building", gettext_lazy("Building is missing."))
    row.missing("number", gettext_lazy("Unit number is missing."))
    for key, limit in (("estate", 100), ("building", 50), ("stairwell", 20), ("number", 30)):
        if len(row.get(key)) > limit:
            row.error(key, _("Too long: at most %(n)s characters.") % {"n": limit})


def _parse_floor(row):
    """A whole floor number from -200 to 500, or None."""
    if not row.get("floor"):
        return None
    try:
        floor = int(Decimal(row.get("floor")))
        if Decimal(row.get("floor")) != floor or not -200 <= floor <= 500:
            raise InvalidOperation
    except (InvalidOperation, ValueError):
        row.error(
            "floor",
            _("Bad floor “%(value)s”: enter a whole number such as 3 or -1.")
            % {"value": row.get("floor")},
        )
        return None
    return floor


def _parse_area(row):
    """The area in m², above 0, with at most two decimal places; None when it is not."""
    raw_area = row.get("area").replace("㎡", "").replace("m²", "").replace(",", "").strip()
    if not raw_area:
        row.missing("area", gettext_lazy("Bad area: the area is missing."))
        return None
    try:
        area = Decimal(raw_area)
        if not area.is_finite() or area <= 0 or area >= Decimal("100000000"):
            raise InvalidOperation
        if area != area.quantize(TWO_PLACES):
            row.error(
                "area",
                _("Bad area “%(value)s”: use at most two decimal places.") % {"value": raw_area},
            )
            return None
        return area.quantize(TWO_PLACES)
    except (InvalidOperation, ValueError):
        row.error(
            "area",
            _("Bad area “%(value)s”: enter square metres greater than 0, e.g. 89.50.")
            % {"value": raw_area},
        )
        return None


def _parse_choices(row):
    """Area basis, unit kind and holder kind from their words (a default when blank)."""
    area_basis = _parse_choice(
        row,
        "area_basis",
        AREA_BASIS_WORDS,
        AreaBasis.REGISTERED,
        gettext_lazy("Unknown area basis “%(value)s”: use 登记, 测绘 or 合同."),
    )
    kind = _parse_choice(
        row,
        "kind",
        UNIT_KIND_WORDS,
        UnitKind.FLAT,
        gettext_lazy("Unknown kind “%(value)s”: use 住宅, 商铺 or 车位."),
    )
    holder_kind = _parse_choice(
        row,
        "holder_kind",
        HOLDER_KIND_WORDS,
        HolderKind.PERSON,
        gettext_lazy("Unknown holder kind “%(value)s”: use 个人, 单位 or 建设单位."),
    )
    return area_basis, kind, holder_kind


def _parse_choice(row, key, words, default, unknown):
    """The code for the cell's word (`default` when blank), or None with `unknown` said."""
    value = _choice(row.get(key), words, default)
    if value is None:
        row.error(key, unknown % {"value": row.get(key)})
    return value


def _check_holder_name(row):
    row.missing("holder_name", gettext_lazy("Missing name: every row needs the holder's name."))
    if len(row.get("holder_name")) > 100:
        row.error("holder_name", _("Too long: at most %(n)s characters.") % {"n": 100})


def _parse_id_number(row):
    """(digest, masked form, whether the file gave it masked); a full number is never kept."""
    id_number = row.get("id_number").replace(" ", "").upper()
    id_digest = id_masked = ""
    id_is_masked = "*" in id_number
    if id_number:
        if not re.fullmatch(r"[0-9A-Z*]{6,30}", id_number) or (
            id_is_masked and not re.fullmatch(r"[0-9A-Z]{2,6}\*+[0-9A-Z]{2,6}", id_number)
        ):
            row.error("id_number", _("Bad identity number: use 6 to 30 letters and digits."))
        elif id_is_masked:
            id_masked = id_number
        else:
            id_digest, id_masked = identity_digest(id_number), mask_identity(id_number)
    return id_digest, id_masked, id_is_masked


def _parse_phone(row):
    """The number normalised (+86…, or a landline), or "" when blank or bad."""
    if not row.get("phone"):
        return ""
    phone = normalise_phone(row.get("phone"))
    if not re.fullmatch(r"\+861[3-9]\d{9}|0\d{2,3}-?\d{7,8}|\d{7,8}", phone):
        row.error(
            "phone",
            _("Bad mobile number “%(value)s”: enter 11 digits, e.g. 13800000000.")
            % {"value": row.get("phone")},
        )
        return ""
    return phone


def _parse_share(row):
    if not row.get("share"):
        return None
    share = _share(row.get("share"))
    if share is None:
        row.error(
            "share",
            _("Bad share “%(value)s”: enter a number above 0 and at most 1, e.g. 0.5 or 50%%.")
            % {"value": row.get("share")},
        )
    return share


def _parse_voter(row):
    """True for 是 (yes), False for 否 (no), None when blank or not a word we know."""
    if not row.get("voter"):
        return None
    word = row.get("voter").lower()
    if word in YES_WORDS:
        return True
    if word in NO_WORDS:
        return False
    row.error("voter", _("Enter 是 or 否 for the designated voter."))
    return None


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
