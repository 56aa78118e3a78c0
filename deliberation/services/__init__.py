"""Business operations, one module per concept: each a `verb_noun` function that runs in one
transaction, re-checks permission, audits, and notifies or broadcasts after commit."""

from datetime import timedelta

# The same request sent twice within this (a double tap, a resent form) returns the first.
DOUBLE_SUBMIT_WINDOW = timedelta(minutes=10)
