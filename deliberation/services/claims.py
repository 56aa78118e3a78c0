"""Linking an account to the owner of a flat in the register (业主认证).

An owner's account votes for the flat, so the link is made only when the register agrees
(the holder's name and the last four characters of the identity number recorded at import)
or when a community worker who has seen the owner's papers confirms it. Wrong details are
counted per person and refused after CLAIM_TRIES_PER_DAY, so the four characters cannot be
guessed.
"""

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from deliberation.access import require
from deliberation.audit import record_audit
from deliberation.messages import Message
from deliberation.models import (
    ClaimStatus,
    FlatClaim,
    Holder,
    HolderKind,
    Membership,
    Ownership,
    Role,
)
from deliberation.notices import notify

CLAIM_TRIES_PER_DAY = 5
DAY = 24 * 3600


class ClaimError(Exception):
    """A claim that cannot go ahead; the message says what to do next."""


def _normal_name(name):
    return "".join((name or "").split()).casefold()


def _tries_key(user):
    return f"claim:tries:{user.pk}"


def tries_left(user):
    return max(CLAIM_TRIES_PER_DAY - (cache.get(_tries_key(user)) or 0), 0)


def _count_a_wrong_try(user):
    key = _tries_key(user)
    cache.add(key, 0, timeout=DAY)
    try:
        cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=DAY)


def _require_verified_phone(user):
    if settings.ACCOUNT_PHONE_VERIFICATION_ENABLED and not user.phone_verified:
        raise PermissionDenied


def unit_holders(unit):
    """The natural persons the register names as owners of the unit."""
    return [
        o.holder
        for o in Ownership.objects.filter(unit=unit, holder__kind=HolderKind.PERSON)
        .select_related("holder")
        .order_by("holder__name", "holder_id")
    ]


def _matching_holder(unit, user, name, id_last4):
    last4 = (id_last4 or "").strip().upper()
    for holder in unit_holders(unit):
        if holder.user_id not in (None, user.pk):
            continue
        masked = holder.id_masked.upper()
        known_tail = len(masked) >= 8 and "*" not in masked[-4:]
        if known_tail and masked[-4:] == last4 and _normal_name(holder.name) == _normal_name(name):
            return holder
    return None


def _link(holder, user, *, by, claim, verb):
    holder.user = user
    holder.save(update_fields=["user"])
    record_audit(
        actor=by,
        verb=verb,
        target=claim,
        community=claim.community_id,
        data={"unit": claim.unit_id, "holder": holder.pk, "user": user.pk},
        public=False,
    )


def claim_flat(user, unit, *, name, id_last4):
    """Link the user to the unit's holder when the register agrees; raise ClaimError if not."""
    _require_verified_phone(user)
    if tries_left(user) <= 0:
        raise ClaimError(
            _(
                "Too many tries today. Ask your community worker to confirm your flat, "
                "or try again tomorrow."
            )
        )
    community_id = unit.building.estate.community_id
    with transaction.atomic():
        holder = _matching_holder(unit, user, name, id_last4)
        if holder is None:
            _count_a_wrong_try(user)
            raise ClaimError(
                _(
                    "These details do not match the owners' register. Check the name and the "
                    "last four characters of the identity card, or ask a community worker to "
                    "confirm your flat."
                )
            )
        holder = Holder.objects.select_for_update().get(pk=holder.pk)
        if holder.user_id not in (None, user.pk):  # linked meanwhile
            raise ClaimError(_("This flat is already linked to another account."))
        claim = FlatClaim.objects.create(
            community_id=community_id,
            user=user,
            unit=unit,
            name=name.strip(),
            status=ClaimStatus.MATCHED,
            holder=holder,
            decided_at=timezone.now(),
        )
        _link(holder, user, by=user, claim=claim, verb="registry.claim_match")
    return claim


def request_flat_check(user, unit, *, name):
    """Ask a community worker to confirm the flat (no detail from the register needed)."""
    _require_verified_phone(user)
    with transaction.atomic():
        claim, created = FlatClaim.objects.get_or_create(
            user=user,
            unit=unit,
            status=ClaimStatus.PENDING,
            defaults={"community_id": unit.building.estate.community_id, "name": name.strip()},
        )
        if created:
            record_audit(
                actor=user,
                verb="registry.claim_request",
                target=claim,
                data={"unit": unit.pk},
                public=False,
            )
            workers = Membership.objects.filter(
                community_id=claim.community_id, role=Role.COMMUNITY_WORKER
            ).values_list("user_id", flat=True)
            notify(
                workers,
                Message(
                    gettext_noop("%(name)s asks to be linked to flat %(unit)s."),
                    name=claim.name,
                    unit=str(unit),
                ),
                reverse("flat_claims", args=[claim.community_id]),
            )
    return claim


def confirm_claim(claim_id, holder_id, *, by):
    """A worker who has seen the owner's papers links the account to one of the unit's holders."""
    with transaction.atomic():
        claim = FlatClaim.objects.select_for_update().select_related("user").get(pk=claim_id)
        require(by, claim.community_id, "registry.claim_review")
        if claim.status != ClaimStatus.PENDING:
            raise ClaimError(_("This request has already been answered."))
        holder = next((h for h in unit_holders(claim.unit) if h.pk == holder_id), None)
        if holder is None:
            raise ClaimError(_("Choose one of the owners the register names for this flat."))
        holder = Holder.objects.select_for_update().get(pk=holder.pk)
        if holder.user_id not in (None, claim.user_id):
            raise ClaimError(_("This owner is already linked to another account."))
        claim.status = ClaimStatus.CONFIRMED
        claim.holder = holder
        claim.decided_by = by
        claim.decided_at = timezone.now()
        claim.save(update_fields=["status", "holder", "decided_by", "decided_at"])
        _link(holder, claim.user, by=by, claim=claim, verb="registry.claim_confirm")
        notify(
            [claim.user_id],
            Message(
                gettext_noop("Flat %(unit)s is now linked to your account."), unit=str(claim.unit)
            ),
            reverse("my_units"),
        )
    return claim


def decline_claim(claim_id, *, by, reason):
    with transaction.atomic():
        claim = FlatClaim.objects.select_for_update().get(pk=claim_id)
        require(by, claim.community_id, "registry.claim_review")
        if claim.status != ClaimStatus.PENDING:
            raise ClaimError(_("This request has already been answered."))
        claim.status = ClaimStatus.DECLINED
        claim.decided_by = by
        claim.decided_at = timezone.now()
        claim.reason = reason.strip()
        claim.save(update_fields=["status", "decided_by", "decided_at", "reason"])
        record_audit(
            actor=by,
            verb="registry.claim_decline",
            target=claim,
            data={"unit": claim.unit_id},
            public=False,
        )
        notify(
            [claim.user_id],
            Message(
                gettext_noop("Your request for flat %(unit)s was not confirmed: %(reason)s"),
                unit=str(claim.unit),
                reason=claim.reason,
            ),
            reverse("my_units"),
        )
    return claim
