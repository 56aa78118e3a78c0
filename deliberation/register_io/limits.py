"""How much a register upload may hold and how the import paces itself: the archive's size
and parts, the parsing budget of rows, columns and seconds, the write batches and how often
progress is told. Tests and benchmarks change these here (`limits.BATCH = 10`), so the
modules read them as `limits.NAME` where a test turns them down."""

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
