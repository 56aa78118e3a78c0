"""The vote benchmarks stay importable (they are run by hand, not by the test suite)."""

import importlib


def test_the_tally_benchmark_imports():
    module = importlib.import_module("bench.tally")
    assert module.TARGET_MS == 50 and callable(module.main)
