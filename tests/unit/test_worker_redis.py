from tests.conftest import worker_redis


def test_each_test_worker_gets_a_redis_database_after_the_run_s_own_and_a_prefix():
    assert worker_redis("redis://127.0.0.1:6379/0", "gw0") == (
        "redis://127.0.0.1:6379/1",
        "gongyi-gw0",
    )
    assert worker_redis("redis://127.0.0.1:6379", "gw3") == (
        "redis://127.0.0.1:6379/4",
        "gongyi-gw3",
    )
    assert worker_redis("redis://:secret@10.0.0.2:6380/5?x=1", "gw1")[0] == (
        "redis://:secret@10.0.0.2:6380/7?x=1"
    )
