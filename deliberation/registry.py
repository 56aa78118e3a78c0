"""The registry's arithmetic inputs: each unit's head key and the electorate of an estate.

Collapsing rules (DOMAIN.md §3.1, SPC interpretation arts. 8-9): every unit counts its area;
all of the developer's units together are one head; one holder of several units is one head;
a co-owned unit is one head, voted by its designated co-owner. Parking spaces count only
when the community's rules say so. All of it is computed in the database.
"""

import hashlib
import hmac
from decimal import Decimal

from django.conf import settings
from django.db.models import (
    Case,
    CharField,
    Count,
    Exists,
    OuterRef,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Cast, Concat

from deliberation import rules
from deliberation.models import HolderKind, Ownership, Unit, UnitKind

DEVELOPER_KEY = "developer"


def identity_digest(id_number):
    """A keyed digest of an identity number, to recognise a holder without storing the number."""
    normalised = (id_number or "").strip().upper()
    if not normalised:
        return ""
    key = settings.IDENTITY_PEPPER.encode()
    return hmac.new(key, normalised.encode(), hashlib.sha256).hexdigest()


def mask_identity(id_number):
    value = (id_number or "").strip().upper()
    if len(value) <= 7:
        return "*" * len(value)
    return value[:4] + "*" * (len(value) - 8) + value[-4:]


def head_key(holder_id, kind):
    """The head-count key of a holder, as voting_units() computes it in SQL."""
    return DEVELOPER_KEY if kind == HolderKind.DEVELOPER else f"h{holder_id}"


def voting_units(estate):
    """Units of the estate that carry a vote, annotated with `head` (the head-count key)."""
    developer = Ownership.objects.filter(unit=OuterRef("pk"), holder__kind=HolderKind.DEVELOPER)
    voter = Ownership.objects.filter(unit=OuterRef("pk")).order_by(
        "-is_designated_voter", "holder_id"
    )
    units = Unit.objects.filter(building__estate=estate)
    if not estate.community.parking_spaces_are_units:
        units = units.exclude(kind=UnitKind.PARKING)
    return units.annotate(
        voter_id=Subquery(voter.values("holder_id")[:1]),
        head=Case(
            When(Exists(developer), then=Value(DEVELOPER_KEY)),
            When(
                voter_id__isnull=False,
                then=Concat(Value("h"), Cast("voter_id", CharField()), output_field=CharField()),
            ),
            default=Concat(Value("u"), Cast("pk", CharField()), output_field=CharField()),
            output_field=CharField(),
        ),
    )


def electorate_totals(estate):
    """(total_area, total_headcount) of the estate, by two aggregate queries."""
    units = voting_units(estate)
    area = units.aggregate(total=Sum("area"))["total"] or Decimal("0.00")
    heads = units.aggregate(n=Count("head", distinct=True))["n"]
    return area, heads


def electorate_holdings(estate):
    """The estate as rules.Holding values, ready for rules.decide / rules.elect."""
    rows = voting_units(estate).values_list("pk", "area", "head")
    return [rules.Holding(unit=str(pk), area=area, holder=head) for pk, area, head in rows]
