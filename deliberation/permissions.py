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
# Residents raise matters; grid and community workers file them for residents (点单).
PROPOSERS = frozenset({Role.RESIDENT, Role.OWNER, Role.GRID_WORKER}) | STAFF
# Real-name discussion: the people concerned and those who answer to them.
DISCUSSANTS = PROPOSERS | {Role.COMMITTEE}

ALLOWED = {
    # The registry
    "community.view": {ANY: EVERY_MEMBER},
    "registry.view": {ANY: STAFF | {Role.STREET_OBSERVER}},
    "registry.import": {ANY: frozenset({Role.COMMUNITY_WORKER})},
    "registry.export": {ANY: STAFF},
    # Confirming that an account belongs to an owner in the register (业主认证)
    "registry.claim_review": {ANY: frozenset({Role.COMMUNITY_WORKER})},
    # Topics: the lifecycle moves (deliberation/lifecycle.py TRANSITIONS name these actions)
    "topic.view": {ANY: EVERY_MEMBER},
    "topic.propose": {ANY: PROPOSERS},
    "topic.file_for_resident": {ANY: frozenset({Role.GRID_WORKER, Role.COMMUNITY_WORKER})},
    "topic.edit": {"draft": PROPOSERS},  # the services also require being the proposer
    "topic.submit": {ANY: PROPOSERS},
    "topic.withdraw": {ANY: EVERY_MEMBER},  # the services also require being the proposer
    "topic.cosign": {"collecting": frozenset({Role.RESIDENT, Role.OWNER})},
    "topic.follow": {ANY: EVERY_MEMBER},
    "topic.triage": {"collecting": STAFF, "triage": STAFF},
    "topic.comment": {"collecting": DISCUSSANTS, "triage": DISCUSSANTS, "discussing": DISCUSSANTS},
    "topic.react": {ANY: DISCUSSANTS},
    "topic.report": {ANY: EVERY_MEMBER},
    "topic.moderate": {ANY: STAFF},
    "topic.poll": {"discussing": STAFF | {Role.COMMITTEE}},
    "topic.poll_vote": {"discussing": frozenset({Role.RESIDENT, Role.OWNER})},
    "topic.decide": {"discussing": frozenset({Role.PARTY_SECRETARY, Role.COMMITTEE})},
    "topic.execute": {ANY: STAFF | {Role.COMMITTEE}},
    "topic.complete": {ANY: STAFF | {Role.COMMITTEE, Role.GRID_WORKER, Role.PARTNER_CONTACT}},
    "topic.close": {ANY: STAFF},
    "topic.reopen": {ANY: STAFF | {Role.GRID_WORKER}},
    # The notice board (公示栏) and the audit history are public to every member; the public
    # kinds of notice to anyone (deliberation.models.notice.PUBLIC_NOTICE_KINDS)
    "notice.view": {ANY: EVERY_MEMBER},
    # 异议 during a notice period, by notice kind: an owners' assembly's notices are the
    # owners' to contest, community matters also the residents'
    "notice.object": {
        ANY: frozenset({Role.RESIDENT, Role.OWNER}),
        "vote_notice": frozenset({Role.OWNER}),
        "vote_result": frozenset({Role.OWNER}),
        "candidates": frozenset({Role.OWNER}),
    },
    "notice.answer": {ANY: STAFF | {Role.COMMITTEE}},
}


def may(roles, action, state=None):
    """True when any of `roles` may do `action` in `state` (unknown actions are a bug)."""
    by_state = ALLOWED[action]
    allowed = by_state.get(state, by_state.get(ANY, frozenset()))
    return bool(allowed & set(roles))


# Meetings. A meeting's chair, secretary and invited participants are seats in that one
# meeting, not community roles: meetings.access.roles_in adds these pseudo-roles to the user's
# community roles, so the party secretary who does not chair this meeting cannot run it.
CHAIR_SEAT = "seat:chair"
SECRETARY_SEAT = "seat:secretary"
PARTICIPANT_SEAT = "seat:participant"
OFFICERS = frozenset({CHAIR_SEAT, SECRETARY_SEAT})
SEATED = OFFICERS | {PARTICIPANT_SEAT}
_BEFORE = ("draft", "noticed")
_MINUTES_OPEN = ("live", "closed", "corrections")

ALLOWED.update(
    {
        "meeting.view": {ANY: EVERY_MEMBER | SEATED},
        "meeting.create": {ANY: STAFF | {Role.COMMITTEE}},
        "meeting.edit": {s: OFFICERS for s in _BEFORE},
        "meeting.notice": {"draft": frozenset({CHAIR_SEAT})},
        "meeting.rsvp": {s: SEATED for s in _BEFORE},
        "meeting.open": {"noticed": frozenset({CHAIR_SEAT})},
        "meeting.check_in": {s: SEATED for s in ("noticed", "live")},
        "meeting.check_in_other": {s: OFFICERS for s in ("noticed", "live")},
        "meeting.display": {ANY: SEATED},
        "meeting.agenda": {"live": frozenset({CHAIR_SEAT})},
        "meeting.raise_hand": {"live": SEATED},
        "meeting.floor": {"live": frozenset({CHAIR_SEAT})},
        "meeting.hearing_stage": {"live": frozenset({CHAIR_SEAT})},
        "meeting.live_vote": {"live": frozenset({CHAIR_SEAT})},
        "meeting.cast_live_vote": {"live": SEATED},
        "meeting.write_minutes": {s: frozenset({SECRETARY_SEAT}) for s in _MINUTES_OPEN},
        "meeting.close": {"live": frozenset({CHAIR_SEAT})},
        "meeting.move_chair": {s: frozenset({CHAIR_SEAT}) | STAFF for s in _BEFORE + ("live",)},
        "meeting.send_for_corrections": {"closed": OFFICERS},
        "meeting.correct": {"corrections": SEATED},
        "meeting.finalise_minutes": {"corrections": OFFICERS},
        "meeting.sign": {"signed": SEATED},
        "meeting.paper_signature": {"signed": OFFICERS},
        "meeting.publish_minutes": {"signed": frozenset({CHAIR_SEAT})},
        # Service of its messages on each participant: coverage, paper lists, receipts
        "meeting.delivery": {
            s: OFFICERS | STAFF
            for s in ("noticed", "live", "closed", "corrections", "signed", "published")
        },
    }
)

# 办 and 评: tasks, co-building units, ratings, visits and the KPI dashboard.
# The services add what a role cannot say: a contact answers only for their own unit, a
# responsible party reports only on their own task, only affected residents rate.
_EXECUTING = ("decided", "executing")
TASK_WORKERS = STAFF | {Role.GRID_WORKER, Role.COMMITTEE, Role.PARTNER_CONTACT}

ALLOWED.update(
    {
        "task.view": {ANY: EVERY_MEMBER},
        "task.add": {s: STAFF | {Role.COMMITTEE} for s in _EXECUTING},
        "task.set_due": {ANY: frozenset({Role.PARTY_SECRETARY})},
        "task.dispatch": {ANY: STAFF},
        "task.claim": {ANY: frozenset({Role.PARTNER_CONTACT})},
        "task.progress": {"executing": TASK_WORKERS},
        "task.supervise": {ANY: frozenset({Role.PARTY_SECRETARY, Role.STREET_OBSERVER})},
        "partner.view": {ANY: EVERY_MEMBER},
        "partner.register": {ANY: STAFF},
        "partner.offer": {ANY: STAFF | {Role.PARTNER_CONTACT}},
        # 点单: residents order a unit's service; staff dispatch it through topic.triage.
        "service.order": {ANY: frozenset({Role.RESIDENT, Role.OWNER})},
        "topic.rate": {"evaluating": frozenset({Role.RESIDENT, Role.OWNER})},
        "topic.visit": {"evaluating": STAFF | {Role.GRID_WORKER}},
        "topic.conclude": {"evaluating": STAFF},
        "kpi.view": {ANY: STAFF | {Role.STREET_OBSERVER, Role.GRID_WORKER}},
    }
)

# Owners' assembly votes. Tellers are appointed per vote, not a community role:
# deliberation.services.votes.vote_roles adds this pseudo-role for the vote's tellers.
TELLER = "vote:teller"
VOTE_RUNNERS = STAFF | {Role.COMMITTEE}
_VOTE_LIVE = ("noticed", "open")
_VOTE_AFTER = ("open", "closed", "counted", "published")

ALLOWED.update(
    {
        "vote.view": {ANY: EVERY_MEMBER | {TELLER}},
        "vote.convene": {ANY: VOTE_RUNNERS},
        "vote.edit": {"draft": VOTE_RUNNERS},  # matters, tellers, candidates, the notice
        "vote.publish_notice": {"draft": VOTE_RUNNERS},
        "vote.cancel": {s: VOTE_RUNNERS for s in ("draft", "noticed", "open")},
        # Tellers are named before voting closes (docs/rules.md, "Closing time").
        "vote.appoint_teller": {s: VOTE_RUNNERS for s in ("draft", "noticed", "open")},
        "vote.amend_electorate": {s: VOTE_RUNNERS for s in (*_VOTE_LIVE, "closed")},
        "vote.cast": {"open": frozenset({Role.OWNER})},
        "vote.enter_paper": {s: frozenset({TELLER}) for s in ("open", "closed")},
        "vote.register_mandate": {s: VOTE_RUNNERS for s in _VOTE_LIVE},
        "vote.turnout": {
            s: VOTE_RUNNERS | {Role.OWNER, Role.GRID_WORKER, Role.STREET_OBSERVER, TELLER}
            for s in _VOTE_AFTER
        },
        "vote.non_voters": {s: VOTE_RUNNERS | {Role.GRID_WORKER} for s in ("open", "closed")},
        "vote.remind": {"open": VOTE_RUNNERS | {Role.GRID_WORKER}},
        "vote.see_choices": {ANY: frozenset({TELLER})},
        "vote.tally": {"closed": VOTE_RUNNERS | {TELLER}, "counted": VOTE_RUNNERS | {TELLER}},
        "vote.confirm": {"counted": frozenset({TELLER})},
        "vote.publish_result": {"counted": VOTE_RUNNERS},
        "vote.export": {
            s: VOTE_RUNNERS | {TELLER, Role.STREET_OBSERVER} for s in ("counted", "published")
        },
        "vote.by_election": {"published": VOTE_RUNNERS},
        "vote.nominate": {"draft": frozenset({Role.OWNER}) | VOTE_RUNNERS},
        "vote.vet": {"draft": VOTE_RUNNERS},
        "selection.view": {ANY: EVERY_MEMBER},
        "selection.plan": {ANY: VOTE_RUNNERS},
    }
)

# Printed documents (deliberation/documents): each download checks the permission of the page
# it hangs from; these are the two with no page of their own.
ALLOWED.update(
    {
        "vote.print_ballots": {s: VOTE_RUNNERS for s in ("noticed", "open")},
        # Service of notice (送达): coverage, the unserved households, paper lists and receipts
        "vote.delivery": {
            s: VOTE_RUNNERS | {Role.GRID_WORKER}
            for s in ("noticed", "open", "closed", "counted", "published")
        },
        "document.verify": {ANY: EVERY_MEMBER},
    }
)

# The opinion map (意见地图) of a topic's discussion: statements, answers, moderation, the map.
ALLOWED.update(
    {
        "opinion.view": {ANY: EVERY_MEMBER},
        "opinion.write": {"discussing": DISCUSSANTS},
        "opinion.vote": {"discussing": DISCUSSANTS},
        "opinion.moderate": {ANY: STAFF},
    }
)
