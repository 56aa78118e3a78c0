"""Who belongs where, and the one access helper every view uses.

Outsiders get 404, so nobody learns what exists; members without the role get 403.
"""

from django.core.exceptions import PermissionDenied
from django.db.models import CharField, Value
from django.shortcuts import get_object_or_404

from deliberation.models import Community, Holder, Membership, Role
from deliberation.permissions import may
from plumbing.prepared import Prepared

# (community id, role) for each membership, and (community id, "owner") for each holder with a
# unit: every page asks, so it runs precompiled.
_ROLES_OF_USER = Prepared(
    lambda user_id: (
        Membership.objects.filter(user=user_id)
        .values_list("community_id", "role")
        .union(
            Holder.objects.filter(user=user_id, ownerships__isnull=False).values_list(
                "community_id", Value(Role.OWNER, output_field=CharField())
            ),
            all=True,
        )
    ),
    int,
)


def _cache(user):
    cache = getattr(user, "_gongyi_roles", None)
    if cache is None:
        cache = {}
        user._gongyi_roles = cache
    return cache


def community_ids_of(user):
    """Ids of the communities where the user holds a role or owns a unit."""
    if not user.is_authenticated:
        return set()
    cache = _cache(user)
    if "ids" not in cache:
        remember_roles(user, _ROLES_OF_USER.rows(user.pk))
    return cache["ids"]


def roles_query(user):
    """(prepared query, values) of the user's roles everywhere, for prepared.together: a page
    that reads them with its other queries passes the rows to remember_roles."""
    return _ROLES_OF_USER, (user.pk,)


def remember_roles(user, rows):
    """Keep the (community id, role) rows of _ROLES_OF_USER for this request."""
    # One query gives the roles in every community of the user: remember them all, so
    # roles_of does not ask again for a community the user belongs to.
    cache = _cache(user)
    roles = {}
    for community_id, role in rows:
        roles.setdefault(community_id, set()).add(role)
    for community_id, held in roles.items():
        cache.setdefault(("roles", community_id), frozenset(held))
    cache["ids"] = set(roles)


def roles_of(user, community):
    """The set of Role values the user holds in the community; OWNER comes from ownership."""
    if not user.is_authenticated:
        return frozenset()
    community_id = getattr(community, "pk", community)
    cache = _cache(user)
    key = ("roles", community_id)
    if key not in cache:
        # The one prepared query of community_ids_of answers for every community at once.
        community_ids_of(user)
        cache.setdefault(key, frozenset())
    return cache[key]


def committee_estate_ids(user, community):
    """Ids of the estates whose owners' committee the user sits on in this community."""
    if not user.is_authenticated:
        return frozenset()
    community_id = getattr(community, "pk", community)
    cache = _cache(user)
    key = ("committee_estates", community_id)
    if key not in cache:
        cache[key] = frozenset(
            Membership.objects.filter(
                user=user, community=community_id, role=Role.COMMITTEE, estate__isnull=False
            ).values_list("estate_id", flat=True)
        )
    return cache[key]


def roles_in_estate(user, community, estate):
    """The user's roles for an act in one estate: a committee acts for its own estate only.

    An owners' committee is the executive of one estate's assembly, so the committee role counts
    only where the user's committee membership names that estate; staff roles count everywhere.
    """
    roles = roles_of(user, community)
    if Role.COMMITTEE in roles:
        estate_id = getattr(estate, "pk", estate)
        if estate_id not in committee_estate_ids(user, community):
            roles = roles - {Role.COMMITTEE}
    return roles


def estates_where(user, community, action):
    """The community's estates in which the user may do `action` (by name)."""
    from deliberation.models import Estate

    community_id = getattr(community, "pk", community)
    estates = Estate.objects.filter(community=community_id).order_by("name")
    return [e for e in estates if may(roles_in_estate(user, community_id, e.pk), action)]


def forget_roles(user):
    """Drop the per-request role cache after memberships change."""
    if hasattr(user, "_gongyi_roles"):
        del user._gongyi_roles


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
    from django.http import Http404

    raise Http404


def may_ever(roles, action):
    """True when the roles allow `action` in at least one state (else the answer is 403)."""
    from deliberation.permissions import ALLOWED

    return any(allowed & set(roles) for allowed in ALLOWED[action].values())


def topic_for(user, topic_id, action=None, queryset=None):
    """The topic if the user may see it (outsiders 404) and, given an action, may ever do it
    (members without the role 403). Whether the topic's phase allows it now is the service's
    question, answered with a message rather than a 403. Drafts are seen by their authors only.
    """
    from deliberation.models import Phase, Topic

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
