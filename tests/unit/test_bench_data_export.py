import importlib


def test_the_data_export_benchmark_still_imports():
    module = importlib.import_module("bench.data_export")
    assert callable(module.main)
    assert module.TARGET_S > 0
