"""The register-import benchmark still imports and still writes a file the importer accepts."""

import random

from bench import registry_import
from deliberation.register_io import read_register


def test_the_benchmark_file_is_a_valid_register():
    data = registry_import.make_file("基准社区小区", 2, 8, random.Random(1))  # noqa: S311
    parsed = read_register(data)
    assert parsed.errors == []
    assert len(parsed.rows) == 8
    assert callable(registry_import.main)


def test_the_excel_style_copy_reads_the_same():
    data = registry_import.make_file("基准社区小区", 1, 6, random.Random(2))  # noqa: S311
    shared = registry_import.with_shared_strings(data)
    assert b"sharedStrings.xml" in shared
    assert read_register(shared).rows == read_register(data).rows
