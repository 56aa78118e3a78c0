"""Django's Redis cache, with one redis-py client per process and pool instead of one per call.

Django's RedisCacheClient builds a new `redis.Redis` for every cache call, and redis-py fills
its table of response callbacks each time: about 0.1 ms of CPU per call, four times what the
call itself costs. The client is thread-safe (each command takes a connection from the pool),
so it is built once and reused.

Django also keeps its cache objects per asgiref Local, which under ASGI is per request
context: every request built a new cache object, with a new connection pool, and so opened a
new Redis connection (redis-py reading its own package metadata each time to introduce
itself). The pools and clients therefore live in the process, one per server URL and
options, shared by every cache object.

    CACHES = {"default": {"BACKEND": "plumbing.cache.RedisCache", "LOCATION": REDIS_URL}}
"""

import threading

from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient

_CLIENTS = {}  # (server URL, pool options) -> redis.Redis over that server's pool
_LOCK = threading.Lock()


class ReusedClients(RedisCacheClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        options = sorted((name, repr(value)) for name, value in self._pool_options.items())
        self._keys = [(server, tuple(options)) for server in self._servers]

    def get_client(self, key=None, *, write=False):
        index = self._get_connection_pool_index(write)
        client = _CLIENTS.get(self._keys[index])
        if client is None:
            with _LOCK:
                client = _CLIENTS.get(self._keys[index])
                if client is None:
                    pool = self._pool_class.from_url(self._servers[index], **self._pool_options)
                    client = self._client(connection_pool=pool)
                    _CLIENTS[self._keys[index]] = client
        return client


class RedisCache(DjangoRedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = ReusedClients
