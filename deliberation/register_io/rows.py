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
