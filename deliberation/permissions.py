"""Who may do what, in which state: one table for the whole platform.

`ALLOWED[action][state]` is the set of roles allowed to do `action` while the object is in
`state`; the key `ANY` applies in every state without its own entry. Actions are namespaced by
the object they act on ("topic.cosign", "vote.cast", "meeting.grant_floor"). Views, services
and consumers ask `may()`; nothing else compares phases to decide permissions.
"""

from deliberation.models.community import Role

ANY = "*"

STAFF = frozenset({Role.COMMUNITY_WORKER, Role.PARTY_SECRETARY})
EVERY_MEMBER = frozenset(Role.values)

ALLOWED = {
    # The registry
    "community.view": {ANY: EVERY_MEMBER},
    "registry.view": {ANY: STAFF | {Role.STREET_OBSERVER}},
    "registry.import": {ANY: frozenset({Role.COMMUNITY_WORKER})},
    "registry.export": {ANY: STAFF},
    # Topics: the lifecycle moves (deliberation/lifecycle.py TRANSITIONS name these actions)
    "topic.submit": {ANY: frozenset({Role.RESIDENT, Role.OWNER, Role.GRID_WORKER}) | STAFF},
    "topic.withdraw": {ANY: EVERY_MEMBER},  # the services also require being the proposer
    "topic.cosign": {ANY: frozenset({Role.RESIDENT, Role.OWNER})},
    "topic.triage": {ANY: STAFF},
    "topic.decide": {ANY: STAFF | {Role.COMMITTEE}},
    "topic.execute": {ANY: STAFF | {Role.COMMITTEE}},
    "topic.complete": {ANY: STAFF | {Role.COMMITTEE, Role.GRID_WORKER, Role.PARTNER_CONTACT}},
    "topic.close": {ANY: STAFF},
    "topic.reopen": {ANY: STAFF | {Role.GRID_WORKER}},
}


def may(roles, action, state=None):
    """True when any of `roles` may do `action` in `state` (unknown actions are a bug)."""
    by_state = ALLOWED[action]
    allowed = by_state.get(state, by_state.get(ANY, frozenset()))
    return bool(allowed & set(roles))
