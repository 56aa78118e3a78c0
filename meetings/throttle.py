"""How often one person may send room commands.

Counted in the cache, per person: every socket of that person, on every worker process (the
cache is Redis when REDIS_URL is set), shares one count, so opening more sockets or
reconnecting gives no fresh allowance. Fixed windows, each one counter the cache increments
atomically: ROOM_COMMAND_LIMITS is a list of (seconds, commands), by default a burst of 5 in
a second and 20 in ten seconds (2 a second sustained). A refused command counts too, so a
client that keeps sending stays refused.
"""

import time

from django.conf import settings
from django.core.cache import cache


def command_allowed(user_id):
    """Take one command from this person's allowance; False when a window is full."""
    now = time.time()
    allowed = True
    for seconds, limit in settings.ROOM_COMMAND_LIMITS:
        key = f"room:commands:{user_id}:{seconds}:{int(now // seconds)}"
        cache.add(key, 0, timeout=seconds + 1)
        try:
            used = cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, timeout=seconds + 1)
            used = 1
        allowed = allowed and used <= limit
    return allowed
