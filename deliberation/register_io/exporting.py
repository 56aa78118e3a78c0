"""Writing a register: the community's register in the import format (identity numbers
masked), and the template with examples and notes. Every text cell is written as a string
with Excel's quote prefix, so nothing written can turn into a formula."""

import io
from decimal import Decimal

from django.utils.translation import gettext_lazy

from accounts.phone import local_phone
from deliberation.models import Building, Ownership
from deliberation.register_io.columns import (
    AREA_BASIS_WORDS,
    COLUMNS,
    FORMULA_START,
    HOLDER_KIND_WORDS,
    TWO_PLACES,
    UNIT_KIND_WORDS,
)


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
    rows = ownerships.iterator(chunk_size=2000)
    for *unit, basis, kind, name, holder_kind, id_masked, phone, share, voter in rows:
        values = [
            *unit,  # estate, building, stairwell, number, floor, area
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

    def example(number, area, basis, name, id_number, phone, share, voter):
        return [
            estate_name,
            building_name,
            "1",
            number,
            1,
            area,
            _word(AREA_BASIS_WORDS, basis, language),
            _word(UNIT_KIND_WORDS, "flat", language),
            name,
            _word(HOLDER_KIND_WORDS, "person", language),
            id_number,
            phone,
            share,
            voter,
        ]

    examples = [
        example("101", 89.5, "registered", "张三", "110105195001011234", "13800000000", 1, yes),
        example("102", 92.0, "surveyed", "李四", "", "13900000000", 0.5, yes),
        example("102", 92.0, "surveyed", "王五", "", "", 0.5, no),
    ]
    for values in examples:
        sheet.append([_safe_cell(sheet, v) for v in values])
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
