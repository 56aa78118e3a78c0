"""Who belongs where, and the one access helper every view uses.

Outsiders get 404, so nobody learns what exists; members without the role get 403.
"""

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404

from deliberation.models import Community, Holder, Membership, Role
from deliberation.permissions import may


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
        ids = set(Membership.objects.filter(user=user).values_list("community_id", flat=True))
        ids |= set(
            Holder.objects.filter(user=user, ownerships__isnull=False).values_list(
                "community_id", flat=True
            )
        )
        cache["ids"] = ids
    return cache["ids"]


def roles_of(user, community):
    """The set of Role values the user holds in the community; OWNER comes from ownership."""
    if not user.is_authenticated:
        return frozenset()
    community_id = getattr(community, "pk", community)
    cache = _cache(user)
    key = ("roles", community_id)
    if key not in cache:
        roles = set(
            Membership.objects.filter(user=user, community_id=community_id).values_list(
                "role", flat=True
            )
        )
        if Holder.objects.filter(
            user=user, community_id=community_id, ownerships__isnull=False
        ).exists():
            roles.add(Role.OWNER)
        cache[key] = frozenset(roles)
    return cache[key]


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
