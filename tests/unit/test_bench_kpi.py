"""The KPI benchmark stays importable (it is run by hand, not by the suite)."""

import bench.kpi


def test_the_kpi_benchmark_imports_and_names_its_target():
    assert bench.kpi.TARGET_MS == 200
    assert callable(bench.kpi.main) and callable(bench.kpi.build)
