from decimal import Decimal

import pytest

from deliberation.models import Holder, HolderKind, Ownership, Unit, UnitKind
from deliberation.registry import electorate_holdings, electorate_totals

pytestmark = pytest.mark.django_db


def test_the_developer_and_a_multi_unit_owner_each_count_as_one_head(community):
    estate = community.estates.get()
    units = list(Unit.objects.filter(building__estate=estate).order_by("pk"))
    developer = Holder.objects.create(community=community, kind=HolderKind.DEVELOPER, name="开发商")
    investor = Holder.objects.create(community=community, name="投资人")
    for unit, holder in zip(units[:4], [developer, developer, investor, investor], strict=True):
        Ownership.objects.filter(unit=unit).delete()
        Ownership.objects.create(unit=unit, holder=holder)
    area, heads = electorate_totals(estate)
    assert area == Decimal("480.00")  # six flats of 80 m², the developer's included
    assert heads == 4  # developer 1 + investor 1 + two single owners
    holdings = electorate_holdings(estate)
    assert len({h.holder for h in holdings}) == 4


def test_a_co_owned_unit_is_one_head_voted_by_its_designated_owner(community):
    unit = Unit.objects.filter(building__estate__community=community).first()
    spouse = Holder.objects.create(community=community, name="配偶")
    Ownership.objects.create(unit=unit, holder=spouse, is_designated_voter=False)
    _, heads = electorate_totals(community.estates.get())
    assert heads == 6


def test_parking_spaces_count_only_when_the_rules_say_so(community):
    estate = community.estates.get()
    Unit.objects.filter(pk=Unit.objects.filter(building__estate=estate).first().pk).update(
        kind=UnitKind.PARKING
    )
    assert electorate_totals(estate) == (Decimal("400.00"), 5)
    community.parking_spaces_are_units = True
    community.save()
    estate.refresh_from_db()
    assert electorate_totals(estate) == (Decimal("480.00"), 6)
