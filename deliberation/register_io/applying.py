"""Applying a register: `import_register`, the one service that changes it. One transaction,
the community row locked, the plan recomputed inside it, all or nothing, one audit entry
"registry.import"; `progress(done, total, stage)` hears how far it has got."""

import contextlib
import gc

from django.db import transaction

from deliberation.access import forget_roles, require
from deliberation.audit import record_audit
from deliberation.models import Building, Community, Holder, Ownership, Unit
from deliberation.models.community import unit_sort_key
from deliberation.register_io import limits
from deliberation.register_io.columns import RegisterChanged, RegisterRejected
from deliberation.register_io.limits import UPDATE_BATCH
from deliberation.register_io.planning import plan_register_import
from deliberation.register_io.reading import read_register


def import_register(
    community, data, *, by=None, create_buildings=False, expected=None, filename="", progress=None
):
    """Apply an xlsx register to the community, all or nothing. Returns the ImportPlan.

    Raises RegisterFileError (unusable file), RegisterRejected (row errors: plan attached),
    RegisterChanged (`expected` is the preview's fingerprint and no longer matches), or
    PermissionDenied (`by` may not import here). `by=None` is an operator's command.
    `progress(done, total)`, if given, hears of each batch of units written (inside the
    transaction: see deliberation.jobs for how a background job shows it).
    """
    progress = progress or (lambda done, total, stage="": None)
    with _without_cycle_collection():
        return _import_register(community, data, by, create_buildings, expected, filename, progress)


@contextlib.contextmanager
def _without_cycle_collection():
    """Python's cycle collector off for one import: the hundreds of thousands of objects a
    large file makes are all alive until the end, yet every few batches the collector walks
    them all (bench/RESULTS.md: a third of the CPU, and pauses of seconds between progress
    steps). What is freed is freed by reference counting as usual; cycles wait for the end."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _import_register(community, data, by, create_buildings, expected, filename, progress):
    progress(0, 0, "read")  # opening the workbook reads its whole shared-string table first
    parsed = read_register(data, progress=progress)
    with transaction.atomic():
        community = Community.objects.select_for_update().get(pk=community.pk)
        if by is not None:
            forget_roles(by)  # re-checked under the lock, from the database
            require(by, community, "registry.import")
        plan = plan_register_import(
            community, parsed, create_buildings=create_buildings, progress=progress
        )
        if not plan.ok:
            raise RegisterRejected(plan)
        if expected is not None and plan.fingerprint() != expected:
            raise RegisterChanged
        _apply_plan(plan, progress)
        record_audit(
            actor=by,
            verb="registry.import",
            target=community,
            community=community,
            data={**plan.counts(), "file_sha256": parsed.sha256, "file": filename[:100]},
        )
    return plan


def _apply_plan(plan, progress=lambda done, total: None):
    """Write the plan: buildings, changed holders, new units (with their new holders and
    ownerships) in batches, telling `progress(done, total)` after each, then the other new
    holders, changed units and the ownership changes of units already in the register."""
    community = plan.community
    total = len(plan.units)
    progress(0, total)
    building_ids = _building_ids(plan)
    _update_holders(plan.changed_holders)
    new_units = [u for u in plan.units if u.existing_id is None]
    done = total - len(new_units)  # units already in the register count as done
    progress(done, total)
    # Each batch of new units with its new holders and ownerships, so the count moves
    # steadily over all the writing.
    for start in range(0, len(new_units), limits.BATCH):
        batch = new_units[start : start + limits.BATCH]
        _create_holders(
            community, [h for u in batch for h, _share, _voter in u.owners if h.existing is None]
        )
        _create_units(batch, building_ids)
        done += len(batch)
        progress(done, total)
    _create_holders(community, plan.new_holders)  # those who own only units already there
    _update_units(plan.changed_units)
    _change_ownerships(plan.units)


def _building_ids(plan):
    """{(estate id, name): building id} of the community, the plan's new buildings created."""
    building_ids = dict(
        ((estate_id, name), pk)
        for pk, estate_id, name in Building.objects.filter(
            estate__community=plan.community
        ).values_list("pk", "estate_id", "name")
    )
    if plan.new_buildings:
        created = Building.objects.bulk_create(
            [Building(estate=estate, name=name) for estate, name in plan.new_buildings],
            batch_size=limits.BATCH,
        )
        for building in created:
            building_ids[(building.estate_id, building.name)] = building.pk
    return building_ids


def _create_holders(community, plans):
    """New holders not yet written, once each (a holder may own several units)."""
    fresh = list({id(h): h for h in plans if getattr(h, "db_id", None) is None}.values())
    created = Holder.objects.bulk_create(
        [
            Holder(
                community=community,
                kind=h.kind,
                name=h.name,
                phone=h.phone,
                id_digest=h.id_digest,
                id_masked=h.id_masked,
            )
            for h in fresh
        ],
        batch_size=limits.BATCH,
    )
    for plan_, holder in zip(fresh, created, strict=True):
        plan_.db_id = holder.pk


def _update_holders(changed_holders):
    if not changed_holders:
        return
    objs = []
    for h in changed_holders:
        holder = h.existing
        holder.name, holder.kind = h.name, h.kind
        if h.phone:
            holder.phone = h.phone
        if h.id_digest:
            holder.id_masked = h.id_masked
        objs.append(holder)
    Holder.objects.bulk_update(
        objs, ["name", "kind", "phone", "id_masked"], batch_size=UPDATE_BATCH
    )


def _holder_id(holder):
    return holder.db_id if holder.existing is None else holder.existing.pk


def _create_units(batch, building_ids):
    """A batch of new units, and all their ownerships."""
    created = Unit.objects.bulk_create(
        [
            Unit(
                building_id=building_ids[u.building_key],
                stairwell=u.key[2],
                number=u.key[3],
                sort_key=unit_sort_key(u.building_key[1], u.key[2], u.key[3]),
                **u.fields,
            )
            for u in batch
        ]
    )
    owned = []
    for unit_plan, unit in zip(batch, created, strict=True):
        unit_plan.db_id = unit.pk
        unit_plan.ownership_ops = {}
        owned += [
            Ownership(
                unit_id=unit.pk,
                holder_id=_holder_id(holder),
                share=share,
                is_designated_voter=voter,
            )
            for holder, share, voter in unit_plan.owners
        ]
    Ownership.objects.bulk_create(owned, batch_size=limits.BATCH)


def _update_units(changed):
    """Floor, area, basis and kind of units already in the register, where they changed."""
    changed_units = [
        Unit(pk=u.existing_id, **u.fields)
        for u in changed
        if any(c[0] in ("floor", "area", "area_basis", "kind") for c in u.changes)
    ]
    if changed_units:
        Unit.objects.bulk_update(
            changed_units, ["floor", "area", "area_basis", "kind"], batch_size=UPDATE_BATCH
        )


def _change_ownerships(units):
    """Owners removed, shares and voters updated, owners added, for units already there."""
    remove, losing_vote, other_updates, create = [], [], [], []
    for unit in units:
        ops = unit.ownership_ops
        if not ops:
            continue
        remove += ops["remove"]
        for pk, share, voter in ops["update"]:
            target = losing_vote if not voter else other_updates
            target.append(Ownership(pk=pk, share=share, is_designated_voter=voter))
        for holder, share, voter in ops["create"]:
            create.append(
                Ownership(
                    unit_id=unit.existing_id or unit.db_id,
                    holder_id=_holder_id(holder),
                    share=share,
                    is_designated_voter=voter,
                )
            )
    for start in range(0, len(remove), limits.BATCH):
        Ownership.objects.filter(pk__in=remove[start : start + limits.BATCH]).delete()
    # One designated voter per unit is a unique constraint: clear old voters before new ones.
    for objs in (losing_vote, other_updates):
        if objs:
            Ownership.objects.bulk_update(
                objs, ["share", "is_designated_voter"], batch_size=UPDATE_BATCH
            )
    if create:
        Ownership.objects.bulk_create(create, batch_size=limits.BATCH)
