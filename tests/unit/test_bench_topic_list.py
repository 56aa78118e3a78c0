"""The topic-list benchmark imports and keeps its targets (it is run by hand, not here)."""

import importlib


def test_the_topic_list_benchmark_imports_and_states_its_targets():
    bench = importlib.import_module("bench.topic_list")
    assert bench.TARGET_MS == 100 and bench.TARGET_QUERIES == 12
    assert callable(bench.main) and callable(bench.build)
