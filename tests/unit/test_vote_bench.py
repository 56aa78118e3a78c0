"""The vote benchmarks stay importable (they are run by hand, not by the test suite)."""

import importlib


def test_the_tally_benchmark_imports():
    module = importlib.import_module("bench.tally")
    assert module.TARGET_MS == 50 and callable(module.main)


def test_the_cast_benchmark_imports():
    module = importlib.import_module("bench.cast")
    assert module.TARGET_RATE == 300 and callable(module.main)
    request = module.request_bytes("POST", "/votes/1/", 8000, ["X-A: 1"], b"m1=yes")
    assert request.startswith(b"POST /votes/1/ HTTP/1.1\r\n") and request.endswith(
        b"\r\n\r\nm1=yes"
    )
