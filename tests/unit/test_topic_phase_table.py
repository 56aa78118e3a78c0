"""The role × phase matrix of the topic actions, written out as designed."""

import pytest

from deliberation.lifecycle import TRANSITIONS
from deliberation.models import Phase, Role
from deliberation.permissions import may

R = Role
RESIDENTS = {R.RESIDENT, R.OWNER}
STAFF = {R.COMMUNITY_WORKER, R.PARTY_SECRETARY}
TALKERS = RESIDENTS | STAFF | {R.GRID_WORKER, R.COMMITTEE}

# action -> {phase: roles allowed}; phases not listed allow nobody
DESIGN = {
    "topic.cosign": {Phase.COLLECTING: RESIDENTS},
    "topic.triage": {Phase.COLLECTING: STAFF, Phase.TRIAGE: STAFF},
    "topic.comment": {Phase.COLLECTING: TALKERS, Phase.TRIAGE: TALKERS, Phase.DISCUSSING: TALKERS},
    "topic.poll": {Phase.DISCUSSING: STAFF | {R.COMMITTEE}},
    "topic.poll_vote": {Phase.DISCUSSING: RESIDENTS},
    "topic.decide": {Phase.DISCUSSING: {R.PARTY_SECRETARY, R.COMMITTEE}},
    "topic.edit": {Phase.DRAFT: RESIDENTS | STAFF | {R.GRID_WORKER}},
}


@pytest.mark.parametrize("action", sorted(DESIGN))
@pytest.mark.parametrize("phase", Phase.values)
def test_each_role_may_act_only_in_the_designed_phases(action, phase):
    allowed = DESIGN[action].get(phase, set())
    for role in Role.values:
        assert may({role}, action, phase) == (role in allowed), (action, phase, role)


def test_terminal_phases_lead_nowhere_but_reopening():
    for phase in (Phase.DECLINED, Phase.MERGED, Phase.WITHDRAWN):
        assert not [to for (frm, to) in TRANSITIONS if frm == phase]
    assert {to for (frm, to) in TRANSITIONS if frm == Phase.CLOSED} == {Phase.EXECUTING}


def test_a_decision_is_reached_only_from_discussion():
    assert [frm for (frm, to) in TRANSITIONS if to == Phase.DECIDED] == [Phase.DISCUSSING]
