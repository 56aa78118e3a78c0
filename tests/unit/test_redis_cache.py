"""plumbing.cache.RedisCache builds one redis-py client per pool (no server needed to check)."""

from plumbing.cache import RedisCache


def test_it_reuses_one_client_for_every_call():
    cache = RedisCache("redis://127.0.0.1:6379/9", {})
    first = cache._cache.get_client("a")
    assert cache._cache.get_client("b") is first
    assert cache._cache.get_client("c", write=True) is first  # one server: one pool


def test_it_keeps_one_client_per_server_for_writes_and_reads():
    cache = RedisCache("redis://127.0.0.1:6379/9,redis://127.0.0.1:6380/9", {})
    writer = cache._cache.get_client(write=True)
    assert cache._cache.get_client(write=True) is writer
    assert writer.connection_pool.connection_kwargs["port"] == 6379


def test_cache_objects_made_for_each_request_share_the_process_client():
    """Django keeps cache objects per asgiref Local: under ASGI, a new one per request."""
    first = RedisCache("redis://127.0.0.1:6379/9", {})
    second = RedisCache("redis://127.0.0.1:6379/9", {})
    assert second._cache.get_client() is first._cache.get_client()
    other = RedisCache("redis://127.0.0.1:6379/8", {})
    assert other._cache.get_client() is not first._cache.get_client()
