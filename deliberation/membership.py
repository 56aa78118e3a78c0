"""Who belongs where: a person's communities and roles, read once per request.

Below the models that filter by it (`Topic.objects.visible_to(user)` and the like) and above
the registry's own models (deliberation/models/community.py); deliberation/access.py hands
these names on with the checks built on them.
"""

from django.db.models import CharField, Value

from deliberation.models.community import Holder, Membership, Role
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
    """This user object's roles, kept as long as the object (one request): accounts.User's
    `request_cache`, under a key of this module's."""
    return user.request_cache.setdefault("deliberation.roles", {})


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


def forget_roles(user):
    """Drop the per-request role cache after memberships change."""
    if user.is_authenticated:
        user.request_cache.pop("deliberation.roles", None)
