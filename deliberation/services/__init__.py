"""Business operations, one module per concept: each a `verb_noun` function that runs in one
transaction, re-checks permission, audits, and notifies or broadcasts after commit."""
