"""Signals the project sends for others (tests, monitoring) to hear."""

from django.dispatch import Signal

# A background job recorded a step: sent with job=, after its progress is written.
job_progressed = Signal()

# A topic's opinion map was drawn anew and committed: sent with topic_id=. The live rooms
# discussing the topic (meetings) hear it and send the new map to their sockets.
opinion_map_drawn = Signal()

# A vote's result was published: sent with vote= inside the publishing transaction.
# deliberation/documents/published.py stores its PDF on a task worker after the commit.
vote_result_published = Signal()
