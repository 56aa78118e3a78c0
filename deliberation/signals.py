"""Signals the project sends for others (tests, monitoring) to hear."""

from django.dispatch import Signal

# A background job recorded a step: sent with job=, after its progress is written.
job_progressed = Signal()
