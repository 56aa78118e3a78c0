"""Who belongs where, and the one access helper every view uses.

Outsiders get 404, so nobody learns what exists; members without the role get 403.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404

from deliberation.membership import (
    committee_estate_ids,
    community_ids_of,
    forget_roles,
    remember_roles,
    roles_in_estate,
    roles_of,
    roles_query,
)
from deliberation.models import Community, Estate, Phase, Topic
from deliberation.permissions import ALLOWED, may

# Who belongs where is deliberation/membership.py, below the models (their visible_to asks
# it); the names are handed on here, where every view and service asks them.
__all__ = [
    "committee_estate_ids",
    "community_for",
    "community_ids_of",
    "estates_where",
    "forget_roles",
    "may_ever",
    "raise_not_found",
    "remember_roles",
    "require",
    "require_in_phase",
    "roles_in_estate",
    "roles_of",
    "roles_query",
    "topic_for",
]


def estates_where(user, community, action):
    """The community's estates in which the user may do `action` (by name)."""
    community_id = getattr(community, "pk", community)
    estates = Estate.objects.filter(community=community_id).order_by("name")
    return [e for e in estates if may(roles_in_estate(user, community_id, e.pk), action)]


def require(user, community, action, state=None):
    """Raise PermissionDenied unless the user's roles allow the action in this state."""
    if not may(roles_of(user, community), action, state):
        raise PermissionDenied


def community_for(user, community_id, action=None):
    community = get_object_or_404(Community, pk=community_id)
    if community.pk not in community_ids_of(user):
        raise_not_found()
    if action:
        require(user, community, action)
    return community


def raise_not_found():
    raise Http404


def may_ever(roles, action):
    """True when the roles allow `action` in at least one state (else the answer is 403)."""
    return any(allowed & set(roles) for allowed in ALLOWED[action].values())


def require_in_phase(user, topic, action, messages, default):
    """Role check (403) and phase check (a message) for `action` on a topic. A role that may
    do it in another phase is told why not now: `messages[action]`, else `default`; either may
    name the topic's phase as %(phase)s."""
    roles = roles_of(user, topic.community_id)
    if may(roles, action, topic.phase):
        return
    if not may_ever(roles, action):
        raise PermissionDenied
    raise ValidationError(messages.get(action, default) % {"phase": Phase(topic.phase).label})


def topic_for(user, topic_id, action=None, queryset=None):
    """The topic if the user may see it (outsiders 404) and, given an action, may ever do it
    (members without the role 403). Whether the topic's phase allows it now is the service's
    question, answered with a message rather than a 403. Drafts are seen by their authors only.
    """
    queryset = queryset if queryset is not None else Topic.objects.select_related("community")
    topic = get_object_or_404(queryset, pk=topic_id)
    roles = roles_of(user, topic.community_id)  # no role there means not a member: 404
    if not roles:
        raise_not_found()
    if topic.phase == Phase.DRAFT and user.pk not in (topic.proposer_id, topic.filed_by_id):
        raise_not_found()
    if action and not may_ever(roles, action):
        raise PermissionDenied
    return topic
