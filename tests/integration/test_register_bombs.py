"""A register upload that would take a worker down is refused: a small .xlsx that unpacks to
hundreds of megabytes, to thousands of parts or at a zip bomb's ratio is refused from the
archive's directory, before anything is unpacked; a sheet that declares a huge number of rows
or takes too long to read is refused within its budget. Nothing changes."""

import io
import re
import tracemalloc
import zipfile

import pytest
from openpyxl import Workbook

from deliberation import register_io
from tests.integration.test_register_import import current_register, the_existing_six, upload

pytestmark = pytest.mark.django_db

TOO_MUCH = "解压后的数据量远超业主名册的正常大小"
HEADERS = ["小区", "楼栋", "房号", "建筑面积(㎡)", "业主姓名"]


def workbook(rows=()):
    book = Workbook()
    book.active.append(HEADERS)
    for values in rows:
        book.active.append(values)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def with_members(data, members):
    """The workbook with extra parts: (name, size in bytes of zeros) each, deflated."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            target.writestr(item, source.read(item.filename))
        zeros = b"\0" * (1024 * 1024)
        for name, size in members:
            info = zipfile.ZipInfo(name)
            info.compress_type = zipfile.ZIP_DEFLATED
            with target.open(info, "w", force_zip64=True) as part:
                left = size
                while left:
                    part.write(zeros[: min(left, len(zeros))])
                    left -= min(left, len(zeros))
    return out.getvalue()


def with_sheet(data, edit):
    """The workbook with its first sheet's XML passed through `edit`."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            content = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                content = edit(content.decode()).encode()
            target.writestr(item, content, zipfile.ZIP_DEFLATED)
    return out.getvalue()


def a_data_row_at(number):
    """A sheet whose one data row is numbered `number`: openpyxl hands over every empty row
    before it, though the file holds none of them."""

    def edit(xml):
        xml = re.sub(r"<dimension [^>]*>", "", xml)
        xml = xml.replace('<row r="2"', f'<row r="{number}"')
        return re.sub(r'r="([A-Z]+)2"', lambda m: f'r="{m.group(1)}{number}"', xml)

    return with_sheet(workbook([["测试社区小区", "1号楼", "101", 80, "业主1"]]), edit)


@pytest.fixture
def never_parsed(monkeypatch):
    def never(*args, **kwargs):
        raise AssertionError("a file over the limits must not be parsed")

    monkeypatch.setattr("openpyxl.load_workbook", never)


@pytest.fixture
def worker(client, community_worker):
    client.force_login(community_worker)
    return client


@pytest.mark.parametrize(
    "members",
    [
        # 160 parts of 0.9 MB: 144 MB in all, under the old 400 MB check.
        [(f"xl/media/pad{n}.bin", 900 * 1024) for n in range(160)],
        # One part at a zip bomb's ratio: 8 MB from about 8 KB.
        [("xl/worksheets/sheet2.xml", 8 * 1024 * 1024)],
        # Thousands of empty parts.
        [(f"xl/media/p{n}.bin", 0) for n in range(3000)],
    ],
    ids=["total size", "ratio of one part", "number of parts"],
)
def test_a_small_file_that_unpacks_to_too_much_is_refused_unopened(
    worker, community, never_parsed, members
):
    bomb = with_members(workbook(the_existing_six()), members)
    assert len(bomb) < 1024 * 1024
    before = current_register(community)
    tracemalloc.start()
    try:
        with pytest.raises(register_io.RegisterFileError):
            register_io.check_xlsx_bytes(bomb)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 4 * 1024 * 1024  # the directory is read, nothing is unpacked
    response = upload(worker, community, bomb)
    assert TOO_MUCH in response.text
    assert current_register(community) == before


def test_a_sheet_declaring_more_rows_than_a_register_holds_is_refused(worker, community):
    before = current_register(community)
    response = upload(worker, community, a_data_row_at(register_io.limits.MAX_SHEET_ROWS + 2))
    assert "文件超过 100000 行" in response.text
    assert current_register(community) == before


def test_a_sheet_that_takes_too_long_to_read_is_refused(worker, community, monkeypatch):
    seconds = iter(range(0, 10**6, 5))  # each look at the clock finds 5 s more gone
    monkeypatch.setattr(register_io.reading, "_clock", lambda: next(seconds))
    before = current_register(community)
    response = upload(worker, community, a_data_row_at(20_000))
    assert "读取时间过长" in response.text, response.text
    assert current_register(community) == before
