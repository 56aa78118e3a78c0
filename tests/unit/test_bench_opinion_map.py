"""The opinion-map benchmark stays importable and its synthetic votes are well formed."""

import bench.opinion_map


def test_the_benchmark_names_its_target_and_builds_votes():
    assert bench.opinion_map.TARGET_S == 2.0
    rows = bench.opinion_map.synthetic_votes(participants=30, statements=100)
    assert {vote for _, _, vote, _ in rows} <= {1, 0, -1}
    assert {person for person, *_ in rows} == set(range(30))
