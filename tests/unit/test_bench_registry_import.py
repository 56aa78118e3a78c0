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
