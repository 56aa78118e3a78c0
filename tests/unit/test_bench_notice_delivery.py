"""The notice delivery benchmark stays importable (it is run by hand, not by the suite)."""

import bench.notice_delivery


def test_the_notice_delivery_benchmark_imports_and_names_its_target():
    assert bench.notice_delivery.TARGET_S == 60.0
    assert callable(bench.notice_delivery.main) and callable(bench.notice_delivery.build)
