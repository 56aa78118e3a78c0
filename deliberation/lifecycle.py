"""The topic lifecycle 提 → 议 → 定 → 办 → 评 as one explicit state machine.

`TRANSITIONS[(from_phase, to_phase)]` names the permission action that allows the move;
`deliberation.permissions.ALLOWED` says which roles hold that action in the `from` phase.
`transition_topic` is the only code that changes `Topic.phase`: it locks the row, checks the
move and the actor, stamps the phase time, audits, and notifies followers after commit.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from deliberation.access import roles_of
from deliberation.audit import record_audit
from deliberation.messages import Message
from deliberation.models import Phase, Topic
from deliberation.notices import followers_of, tell
from deliberation.permissions import may
from plumbing import fragments

# (from, to) -> permission action
TRANSITIONS = {
    (Phase.DRAFT, Phase.COLLECTING): "topic.submit",
    (Phase.DRAFT, Phase.WITHDRAWN): "topic.withdraw",
    (Phase.SUBMITTED, Phase.COLLECTING): "topic.submit",
    (Phase.SUBMITTED, Phase.TRIAGE): "topic.submit",
    (Phase.COLLECTING, Phase.TRIAGE): "topic.cosign",  # reached by the threshold
    (Phase.COLLECTING, Phase.WITHDRAWN): "topic.withdraw",
    (Phase.COLLECTING, Phase.DISCUSSING): "topic.triage",  # urgent: accepted before the threshold
    (Phase.TRIAGE, Phase.WITHDRAWN): "topic.withdraw",
    (Phase.TRIAGE, Phase.DISCUSSING): "topic.triage",
    (Phase.TRIAGE, Phase.DECLINED): "topic.triage",
    (Phase.TRIAGE, Phase.MERGED): "topic.triage",
    (Phase.TRIAGE, Phase.EXECUTING): "topic.triage",  # a service order dispatched (下单)
    (Phase.COLLECTING, Phase.DECLINED): "topic.triage",
    (Phase.COLLECTING, Phase.MERGED): "topic.triage",
    (Phase.DISCUSSING, Phase.DECIDED): "topic.decide",
    (Phase.DECIDED, Phase.EXECUTING): "topic.execute",
    (Phase.DECIDED, Phase.CLOSED): "topic.close",  # a decision that needs no task
    (Phase.EXECUTING, Phase.EVALUATING): "topic.complete",
    (Phase.EVALUATING, Phase.CLOSED): "topic.close",
    (Phase.EVALUATING, Phase.EXECUTING): "topic.reopen",
    (Phase.CLOSED, Phase.EXECUTING): "topic.reopen",
}

# When a topic enters a phase, stamp this field (first time only unless noted in stamp()).
PHASE_STAMPS = {
    Phase.COLLECTING: "submitted_at",
    Phase.TRIAGE: "submitted_at",
    Phase.DISCUSSING: "accepted_at",
    Phase.DECIDED: "decided_at",
    Phase.EXECUTING: "execution_started_at",
    Phase.EVALUATING: "completed_at",
    Phase.CLOSED: "closed_at",
}


class TransitionRefused(ValidationError):
    """The move is not in the table, or the topic moved on since the page was loaded."""


def can_transition(user, topic, to_phase, *, system=False):
    action = TRANSITIONS.get((topic.phase, to_phase))
    if action is None:
        return False
    return system or may(roles_of(user, topic.community), action, topic.phase)


def transition_topic(
    topic, to_phase, *, by, reason="", expected_version=None, system=False, data=None
):
    """Move `topic` to `to_phase` and return the fresh row.

    `system=True` skips the role check for moves the platform makes itself (the co-sign
    threshold, a deadline); `by` is still recorded. `expected_version` guards against a stale
    form: if someone else moved the topic meanwhile, the move is refused.
    """
    with transaction.atomic():
        locked = Topic.objects.select_for_update().select_related("community").get(pk=topic.pk)
        if expected_version is not None and locked.version != expected_version:
            raise TransitionRefused(
                _("Someone else changed this topic a moment ago. Please look at it again.")
            )
        action = TRANSITIONS.get((locked.phase, to_phase))
        if action is None:
            raise TransitionRefused(
                _("A topic that is “%(current)s” cannot become “%(target)s”.")
                % {"current": Phase(locked.phase).label, "target": Phase(to_phase).label}
            )
        if not system and not may(roles_of(by, locked.community), action, locked.phase):
            raise PermissionDenied
        now = timezone.now()
        previous = locked.phase
        locked.phase = to_phase
        locked.phase_changed_at = now
        locked.phase_reason = reason
        locked.version += 1
        fields = ["phase", "phase_changed_at", "phase_reason", "version"]
        stamp = PHASE_STAMPS.get(to_phase)
        if stamp and (getattr(locked, stamp) is None or to_phase == Phase.CLOSED):
            setattr(locked, stamp, now)
            fields.append(stamp)
        locked.save(update_fields=fields)
        record_audit(
            actor=by,
            verb="topic.phase",
            target=locked,
            data={"from": previous, "to": to_phase, "reason": reason, **(data or {})},
        )
        fragments.bump("topics", locked.community_id)
        transaction.on_commit(lambda: _notify_followers(locked, previous))
    return locked


def _notify_followers(topic, previous):
    """Tell the topic's followers (in the app, and by email where they gave an address)."""
    text = Message(
        gettext_noop("“%(title)s” is now: %(phase)s"),
        title=topic.title,
        phase=Phase(topic.phase).label,
    )
    tell(followers_of(topic), text, topic.get_absolute_url())
