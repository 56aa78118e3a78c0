"""Business operations, one module per concept: each a `verb_noun` function that runs in one
transaction, re-checks permission, audits, and notifies or broadcasts after commit."""

from datetime import timedelta

from django.utils import timezone

# The same request sent twice within this (a double tap, a resent form) returns the first.
DOUBLE_SUBMIT_WINDOW = timedelta(minutes=10)


def sent_just_now(queryset, **same):
    """The row that a request with the same fields made within the window, or None: the one a
    double submit returns instead of making another."""
    since = timezone.now() - DOUBLE_SUBMIT_WINDOW
    return queryset.filter(**same, created_at__gte=since).first()
