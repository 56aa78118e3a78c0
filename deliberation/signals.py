"""Signals the project sends for others (tests, monitoring) to hear."""

from django.dispatch import Signal

# A background job recorded a step: sent with job=, after its progress is written.
job_progressed = Signal()

# A topic's opinion map was drawn anew and committed: sent with topic_id=. The live rooms
# discussing the topic (meetings) hear it and send the new map to their sockets.
opinion_map_drawn = Signal()
