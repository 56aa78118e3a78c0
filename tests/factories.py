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
