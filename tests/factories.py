"""Small factories for tests: a community with a register, and people in roles."""

import itertools
from decimal import Decimal

from accounts.models import User
from deliberation.models import (
    Building,
    Community,
    Estate,
    Grid,
    Holder,
    HolderKind,
    Membership,
    Ownership,
    Role,
    Unit,
)

PASSWORD = "correct-horse-battery"
_numbers = itertools.count(1)


def make_user(name="测试用户", phone=None, **extra):
    n = next(_numbers)
    phone = phone or f"+861770000{n:04d}"
    extra.setdefault("phone_verified", True)
    return User.objects.create_user(
        email=f"user{n}@example.com", phone=phone, password=PASSWORD, real_name=name, **extra
    )


def make_community(name="测试社区", units=6, area="80.00", **settings):
    """A community with one estate, one building of `units` flats, each with its own holder."""
    community = Community.objects.create(name=name, **settings)
    estate = Estate.objects.create(community=community, name=f"{name}小区")
    building = Building.objects.create(estate=estate, name="1号楼")
    for i in range(1, units + 1):
        unit = Unit.objects.create(building=building, number=f"{100 + i}", area=Decimal(area))
        holder = Holder.objects.create(community=community, name=f"业主{i}")
        Ownership.objects.create(unit=unit, holder=holder)
    grid = Grid.objects.create(community=community, name="一网格")
    grid.buildings.add(building)
    return community


def add_estate(community, name="和谐家园", units=4, area="90.00"):
    """A second estate of the community, with one building of `units` flats and their holders."""
    estate = Estate.objects.create(community=community, name=name)
    building = Building.objects.create(estate=estate, name="8号楼")
    for i in range(1, units + 1):
        unit = Unit.objects.create(building=building, number=f"{200 + i}", area=Decimal(area))
        holder = Holder.objects.create(community=community, name=f"{name}业主{i}")
        Ownership.objects.create(unit=unit, holder=holder)
    return estate


def add_building(community, name="2号楼", units=3, area="90.00", holders="二楼业主"):
    """Another building in the community's estate: `units` flats (201, 202, ...) of `area` m²,
    each with its own holder (二楼业主1, ...)."""
    building = Building.objects.create(estate=community.estates.get(), name=name)
    for i in range(1, units + 1):
        unit = Unit.objects.create(building=building, number=f"{200 + i}", area=Decimal(area))
        holder = Holder.objects.create(community=community, name=f"{holders}{i}")
        Ownership.objects.create(unit=unit, holder=holder)
    return building


def add_member(community, role, user=None, estate=None, name=None):
    user = user or make_user(name=name or role)
    if role == Role.OWNER:
        give_unit(community, user)
    else:
        if role == Role.COMMITTEE and estate is None:
            estate = community.estates.order_by("pk").first()
        Membership.objects.create(user=user, community=community, role=role, estate=estate)
    return user


def give_unit(community, user, area=None):
    """Link the first unowned-by-a-user holder of the community to `user`."""
    holder = (
        Holder.objects.filter(community=community, user=None)
        .exclude(kind=HolderKind.DEVELOPER)
        .order_by("pk")
        .first()
    )
    holder.user = user
    holder.name = user.real_name or holder.name
    holder.save(update_fields=["user", "name"])
    if area is not None:
        Unit.objects.filter(ownerships__holder=holder).update(area=Decimal(area))
    return holder


# The tests' personas in a community: fixture name -> (roles, real name). The first role makes
# the person; each further role is added to the same person (an owner is a resident who holds
# a flat). tests/conftest.py makes each on request, tests/integration/shared_world.py all at once.
PERSONA_ROLES = {
    "resident": ((Role.RESIDENT,), "王芳"),
    "owner": ((Role.RESIDENT, Role.OWNER), "李明"),
    "grid_worker": ((Role.GRID_WORKER,), "张伟"),
    "community_worker": ((Role.COMMUNITY_WORKER,), "刘洋"),
    "committee_member": ((Role.COMMITTEE, Role.OWNER), "陈静"),
    "chair": ((Role.PARTY_SECRETARY,), "赵书记"),
    "partner": ((Role.PARTNER_CONTACT,), "孙红"),
    "observer": ((Role.STREET_OBSERVER,), "周街道"),
}


def make_persona(community, persona):
    """One of PERSONA_ROLES in `community`; the grid worker looks after its first grid."""
    (first, *more), name = PERSONA_ROLES[persona]
    user = add_member(community, first, name=name)
    for role in more:
        add_member(community, role, user=user)
    if persona == "grid_worker":
        grid = community.grids.first()
        grid.worker = user
        grid.save()
    return user


def make_outsider(other_community):
    return add_member(other_community, Role.RESIDENT, name="外人")


def make_stranger():
    """Signed up, but a member of no community."""
    return make_user(name="路人")
