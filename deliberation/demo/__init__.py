"""The demo community: loaded by `manage.py seed_demo`, idempotently.

Each feature adds its own seeder to SEEDERS; each takes the context dict that earlier seeders
returned (community, users, password) and must be safe to run again (skip what exists).
"""

SEEDERS = [
    "deliberation.demo.registry.seed",
    "deliberation.demo.topics.seed",
    "deliberation.demo.opinions.seed",
    "deliberation.demo.execution.seed",
    "deliberation.demo.votes.seed",
    "meetings.demo.seed",
    "deliberation.demo.notifications.seed",  # last: marks the older notifications read
]
