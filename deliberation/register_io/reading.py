"""Reading a workbook safely: refuse what is too big or not an xlsx from the zip's directory
alone (size, parts, inflation ratio: no zip bomb is unpacked), then parse the first sheet
within a budget of rows, columns and seconds, one row at a time (`rows.parse_row`)."""

import hashlib
import io
import re
import time
import zipfile

from django.conf import settings
from django.utils.translation import gettext as _

from deliberation.register_io import limits
from deliberation.register_io.columns import COLUMNS, ParsedRegister, RegisterFileError
from deliberation.register_io.limits import (
    MAX_COLUMNS,
    MAX_INFLATED_BYTES,
    MAX_MEMBER_RATIO,
    MAX_MEMBERS,
    MAX_ROWS,
    MAX_SHEET_ROWS,
    PARSE_CHECK_EVERY,
    PARSE_SECONDS,
    RATIO_CHECKED_FROM,
)
from deliberation.register_io.rows import _blank, _parse_row


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
    limits.PROGRESS_ROWS rows."""
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
        if progress is not None and row_number % limits.PROGRESS_ROWS == 0:
            progress(row_number - 1, max(expected, row_number - 1), "read")
    if progress is not None:
        progress(row_number - 1, row_number - 1, "read")
    return parsed
