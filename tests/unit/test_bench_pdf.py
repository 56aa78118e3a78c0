"""The PDF benchmark stays importable (it is not run by the suite: speed lives in bench/)."""

import importlib


def test_the_pdf_benchmark_imports_and_has_a_main():
    module = importlib.import_module("bench.pdf")
    assert callable(module.main)
    assert callable(module.plain_weasyprint)
