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

The modules, in the order an import runs: `columns` (the format), `limits` (sizes, budgets,
batches), `reading` (the workbook, safely), `rows` (one row's checks), `planning` (compare
with the register), `applying` (`import_register`), `uploads` (kept between preview and
apply), `exporting` (export and template).
"""

from deliberation.register_io import limits
from deliberation.register_io.applying import import_register
from deliberation.register_io.columns import (
    COLUMN_BY_KEY,
    COLUMNS,
    FIELD_LABELS,
    XLSX_TYPE,
    Column,
    ParsedRegister,
    RegisterChanged,
    RegisterFileError,
    RegisterRejected,
    Row,
    RowError,
    change_label,
)
from deliberation.register_io.exporting import _safe_cell, export_register, register_template
from deliberation.register_io.planning import HolderPlan, ImportPlan, UnitPlan, plan_register_import
from deliberation.register_io.reading import check_xlsx_bytes, file_sha256, megabytes, read_register
from deliberation.register_io.uploads import discard_upload, stash_upload, stashed_upload

__all__ = [
    "COLUMNS",
    "COLUMN_BY_KEY",
    "FIELD_LABELS",
    "XLSX_TYPE",
    "Column",
    "HolderPlan",
    "ImportPlan",
    "ParsedRegister",
    "RegisterChanged",
    "RegisterFileError",
    "RegisterRejected",
    "Row",
    "RowError",
    "UnitPlan",
    "_safe_cell",
    "change_label",
    "check_xlsx_bytes",
    "discard_upload",
    "export_register",
    "file_sha256",
    "import_register",
    "limits",
    "megabytes",
    "plan_register_import",
    "read_register",
    "register_template",
    "stash_upload",
    "stashed_upload",
]
