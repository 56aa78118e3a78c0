"""Django's PostgreSQL backend with a cheaper connection check for the pool.

Django's CONN_HEALTH_CHECKS makes psycopg-pool send an empty query before handing out every
connection: a round trip per request, for nothing when the connection came back a moment ago
from a request that used it. Here a connection is checked only when it has sat in the pool for
RECENT seconds or more, which is when a PostgreSQL restart or a dropped socket can have
happened unseen; under load connections go round in milliseconds and are never checked.
"""
