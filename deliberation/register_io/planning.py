"""Planning an import: the parsed rows compared with the register, without writing. Rows are
grouped by unit, holders matched to the register (identity digest, masked number and name,
or name and mobile number), each unit's fields and ownerships diffed, and what applying
would do counted (`ImportPlan.counts`) and fingerprinted."""

import hashlib
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.translation import gettext as _

from accounts.phone import normalise_phone
from deliberation.models import (
    AreaBasis,
    Building,
    Community,
    Estate,
    Holder,
    HolderKind,
    Ownership,
    Unit,
    UnitKind,
)
from deliberation.register_io import limits
from deliberation.register_io.columns import (
    COLUMN_BY_KEY,
    FIELD_LABELS,
    FOUR_PLACES,
    ParsedRegister,
    RowError,
)
from deliberation.register_io.limits import MAX_SHOWN_ERRORS


@dataclass
class HolderPlan:
    key: tuple
    name: str
    kind: str
    phone: str
    id_digest: str
    id_masked: str
    first_row: int
    existing: Holder | None = None
    changes: list = field(default_factory=list)


@dataclass
class UnitPlan:
    key: tuple
    label: str
    building_key: tuple
    fields: dict
    owners: list  # [(HolderPlan, share, voter)]
    existing_id: int | None = None
    changes: list = field(default_factory=list)
    ownership_ops: dict = field(default_factory=dict)


@dataclass
class ImportPlan:
    community: Community
    parsed: ParsedRegister
    errors: list
    units: list = field(default_factory=list)
    holders: list = field(default_factory=list)
    new_buildings: list = field(default_factory=list)  # [(estate, name)]
    not_in_file: list = field(default_factory=list)  # labels
    create_buildings: bool = False

    @property
    def ok(self):
        return not self.errors

    @property
    def new_units(self):
        return [u for u in self.units if u.existing_id is None]

    @property
    def changed_units(self):
        return [u for u in self.units if u.existing_id is not None and u.changes]

    @property
    def new_holders(self):
        return [h for h in self.holders if h.existing is None]

    @property
    def changed_holders(self):
        return [h for h in self.holders if h.existing is not None and h.changes]

    def counts(self):
        return {
            "rows": len(self.parsed.rows),
            "created": len(self.new_units),
            "updated": len(self.changed_units),
            "unchanged": len(self.units) - len(self.new_units) - len(self.changed_units),
            "not_in_file": len(self.not_in_file),
            "removed": 0,
            "holders_created": len(self.new_holders),
            "holders_updated": len(self.changed_holders),
            "buildings_created": len(self.new_buildings),
        }

    @property
    def has_changes(self):
        c = self.counts()
        return bool(
            c["created"]
            or c["updated"]
            or c["holders_created"]
            or c["holders_updated"]
            or c["buildings_created"]
        )

    def fingerprint(self):
        """A digest of what applying would do, to notice a register changed since preview."""
        parts = [self.parsed.sha256, str(self.create_buildings), str(self.not_in_file)]
        for u in self.units:
            if u.changes or u.existing_id is None:
                owners = [(h.key, str(s), v) for h, s, v in u.owners]
                parts.append(f"u{u.key}{u.existing_id}{sorted(u.fields.items())}{owners}")
        for h in self.holders:
            if h.changes or h.existing is None:
                pk = h.existing.pk if h.existing is not None else ""
                parts.append(f"h{h.key}{pk}{h.name}{h.phone}{h.kind}")
        return hashlib.sha256("\n".join(parts).encode()).hexdigest()

    @property
    def shown_errors(self):
        return self.errors[:MAX_SHOWN_ERRORS]


def _unit_label(estate, building, stairwell, number):
    return " ".join(part for part in (estate, building, stairwell, number) if part)


def plan_register_import(community, parsed, *, create_buildings=False, progress=None):
    """Compare the parsed file with the register. Reads only; safe outside a transaction.

    `progress(done, total, "check")` hears of every PROGRESS_ROWS rows grouped into units,
    then compared with the register (each row counts twice)."""
    plan = ImportPlan(
        community=community,
        parsed=parsed,
        errors=list(parsed.errors),
        create_buildings=create_buildings,
    )
    error = _error_of(plan)
    estates = {e.name: e for e in Estate.objects.filter(community=community)}
    buildings, building_names = _buildings_of(community)
    grouped, new_buildings = _group_by_unit(
        parsed, estates, buildings, create_buildings, error, progress
    )
    holders = _HolderMatcher(community, error)
    existing_units = _units_of(community, building_names)
    ownerships = _ownerships_of(community)
    holder_names = {}
    estate_names = {e.pk: e.name for e in estates.values()}
    total_rows = len(parsed.rows)
    compared = 0
    for key, rows in grouped.items():
        if progress is not None and compared // limits.PROGRESS_ROWS != (compared + len(rows)) // (
            limits.PROGRESS_ROWS
        ):
            progress(total_rows + compared, 2 * total_rows, "check")
        compared += len(rows)
        label = _unit_label(estate_names[key[0]], *key[1:])
        unit_plan = _plan_unit(key, rows, label, holders, error)
        if unit_plan is None:
            continue
        existing = existing_units.pop(key, None)
        if existing is not None:
            _diff_unit(unit_plan, existing, ownerships.get(existing["pk"], {}), holder_names)
        plan.units.append(unit_plan)

    # Existing holders whose names we need to describe removed ownerships.
    _fill_holder_names(plan, holder_names)
    plan.holders = list(holders.plans.values())
    # A holder that is new and also exists as another key of an existing holder is fine.
    plan.new_buildings = list(new_buildings.values())
    plan.not_in_file = sorted(
        _unit_label(estate_names.get(k[0], ""), *k[1:]) for k in existing_units
    )
    plan.errors.sort(key=lambda e: e.row)
    return plan


def _error_of(plan):
    """`error(row, column key, message)`, adding a RowError to the plan."""

    def error(row, key, message):
        plan.errors.append(RowError(row, plan.parsed.column_name(key), message))

    return error


# ---- the register as it stands


def _buildings_of(community):
    """({(estate id, name): building id}, {building id: (estate id, name)})."""
    buildings = {}
    building_names = {}
    for pk, estate_id, name in Building.objects.filter(estate__community=community).values_list(
        "pk", "estate_id", "name"
    ):
        buildings[(estate_id, name)] = pk
        building_names[pk] = (estate_id, name)
    return buildings, building_names


def _units_of(community, building_names):
    """{(estate id, building, stairwell, number): the unit's pk and fields}."""
    existing_units = {}
    unit_values = Unit.objects.filter(building__estate__community=community).values_list(
        "pk", "building_id", "stairwell", "number", "floor", "area", "area_basis", "kind"
    )
    for pk, building_id, stairwell, number, floor, area, basis, kind in unit_values:
        estate_id, building_name = building_names[building_id]
        existing_units[(estate_id, building_name, stairwell, number)] = {
            "pk": pk,
            "floor": floor,
            "area": area,
            "area_basis": basis,
            "kind": kind,
        }
    return existing_units


def _ownerships_of(community):
    """{unit id: {holder id: (ownership pk, share, designated voter)}}."""
    ownerships = {}
    for pk, unit_id, holder_id, share, voter in Ownership.objects.filter(
        unit__building__estate__community=community
    ).values_list("pk", "unit_id", "holder_id", "share", "is_designated_voter"):
        ownerships.setdefault(unit_id, {})[holder_id] = (pk, share, voter)
    return ownerships


# ---- step 1: the file's rows grouped by unit


def _group_by_unit(parsed, estates, buildings, create_buildings, error, progress):
    """({unit key: [rows]}, {building key: (estate, name)} of buildings to create); rows of
    an unknown estate or building are errors."""
    grouped = {}
    new_buildings = {}
    total_rows = len(parsed.rows)
    for index, row in enumerate(parsed.rows):
        if progress is not None and index % limits.PROGRESS_ROWS == 0:
            progress(index, 2 * total_rows, "check")  # grouping: the first half
        estate = estates.get(row.estate)
        if estate is None:
            error(
                row.row,
                "estate",
                _("Unknown estate “%(name)s”: it is not an estate of this community.")
                % {"name": row.estate},
            )
            continue
        building_key = (estate.pk, row.building)
        if building_key not in buildings:
            if not create_buildings:
                error(
                    row.row,
                    "building",
                    _(
                        "Unknown building “%(name)s” in %(estate)s. Check "
                        "the name, or tick “create missing buildings”."
                    )
                    % {"name": row.building, "estate": estate.name},
                )
                continue
            new_buildings.setdefault(building_key, (estate, row.building))
        grouped.setdefault((estate.pk, row.building, row.stairwell, row.number), []).append(row)
    return grouped, new_buildings


# ---- step 2: holders matched to the register


class _HolderMatcher:
    """One HolderPlan per distinct holder of the file, matched to the register: by identity
    digest, by masked number and name, else by name and mobile number."""

    def __init__(self, community, error):
        self.error = error
        self.plans = {}
        self.by_digest, self.by_masked, self.by_name_phone = {}, {}, {}
        holder_rows = Holder.objects.filter(community=community).order_by("pk")
        for holder in holder_rows.only("pk", "name", "kind", "phone", "id_digest", "id_masked"):
            if holder.id_digest:
                self.by_digest.setdefault(holder.id_digest, holder)
            if holder.id_masked:
                self.by_masked.setdefault((holder.id_masked, holder.name), holder)
            self.by_name_phone.setdefault((holder.name, normalise_phone(holder.phone)), holder)

    def holder_for(self, row):
        """The row's HolderPlan, or None (with an error) when the row contradicts another."""
        key = _holder_key(row)
        plan_ = self.plans.get(key)
        if plan_ is not None:
            return self._same_holder(plan_, row)
        plan_ = HolderPlan(
            key=key,
            name=row.holder_name,
            kind=row.holder_kind,
            phone=row.phone,
            id_digest=row.id_digest,
            id_masked=row.id_masked,
            first_row=row.row,
        )
        if key[0] == "id":
            existing = self.by_digest.get(row.id_digest)
        elif key[0] == "masked":
            existing = self.by_masked.get((row.id_masked, row.holder_name))
            if existing is None:
                self.error(
                    row.row,
                    "id_number",
                    _(
                        "Masked identity number of someone not in the "
                        "register: enter the full number."
                    ),
                )
                return None
        else:
            existing = self.by_name_phone.get((row.holder_name, row.phone))
        plan_.existing = existing
        if existing is not None:
            _diff_holder(plan_, existing)
        self.plans[key] = plan_
        return plan_

    def _same_holder(self, plan_, row):
        """A later row of a holder already seen: it must give the same name and kind."""
        if plan_.name != row.holder_name:
            self.error(
                row.row,
                "id_number",
                _("This identity number is given to %(other)s in row %(row)s.")
                % {"other": plan_.name, "row": plan_.first_row},
            )
            return None
        if plan_.kind != row.holder_kind:
            self.error(
                row.row,
                "holder_kind",
                _("Row %(row)s gives this holder another kind.") % {"row": plan_.first_row},
            )
            return None
        return plan_


def _holder_key(row):
    if row.id_digest:
        return ("id", row.id_digest)
    if row.id_is_masked:
        return ("masked", row.id_masked, row.holder_name)
    return ("name", row.holder_name, row.phone)


def _diff_holder(plan_, existing):
    """What the file changes of a holder in the register, as (field, old, new)."""
    if existing.name != plan_.name:
        plan_.changes.append(("name", existing.name, plan_.name))
    if plan_.phone and normalise_phone(existing.phone) != plan_.phone:
        plan_.changes.append(("phone", existing.phone, plan_.phone))
    if existing.kind != plan_.kind:
        plan_.changes.append(
            ("holder_kind", existing.get_kind_display(), HolderKind(plan_.kind).label)
        )
    if plan_.key[0] == "id" and existing.id_masked != plan_.id_masked:
        plan_.changes.append(("id_masked", existing.id_masked, plan_.id_masked))


# ---- step 3: one unit's rows made a UnitPlan, and diffed with the register


def _plan_unit(key, rows, label, holders, error):
    """A UnitPlan from the unit's rows, or None when they disagree (errors added)."""
    first = rows[0]
    fields = {
        "floor": first.floor,
        "area": first.area,
        "area_basis": first.area_basis,
        "kind": first.kind,
    }
    bad = not _rows_agree(rows, fields, label, error)
    owners = []
    seen = {}
    for row in rows:
        holder = holders.holder_for(row)
        if holder is None:
            bad = True
            continue
        identity = holder.existing.pk if holder.existing is not None else holder.key
        if identity in seen:
            error(
                row.row,
                "number",
                _("Duplicate unit: row %(row)s already lists %(unit)s for this holder.")
                % {"row": seen[identity], "unit": label},
            )
            bad = True
            continue
        seen[identity] = row.row
        owners.append([holder, row.share, row.voter])
    if bad or not owners:
        return None
    if not _settle_shares_and_voter(owners, rows, label, error):
        return None
    return UnitPlan(
        key=key, label=label, building_key=(key[0], key[1]), fields=fields, owners=owners
    )


def _rows_agree(rows, fields, label, error):
    """Every row of a unit gives it the first row's floor, area, basis and kind."""
    agree = True
    for other in rows[1:]:
        for name in ("area", "floor", "area_basis", "kind"):
            if getattr(other, name) != fields[name]:
                column = name if name in COLUMN_BY_KEY else "area"
                error(
                    other.row,
                    column,
                    _("Duplicate unit: row %(row)s gives %(unit)s a different %(field)s.")
                    % {"row": rows[0].row, "unit": label, "field": FIELD_LABELS[name]},
                )
                agree = False
                break
    return agree


def _diff_unit(unit_plan, existing, current_ownerships, holder_names):
    """The unit is in the register: note its changed fields and plan its ownerships."""
    unit_plan.existing_id = existing["pk"]
    for name in ("floor", "area", "area_basis", "kind"):
        if existing[name] != unit_plan.fields[name]:
            unit_plan.changes.append(
                (name, _display(name, existing[name]), _display(name, unit_plan.fields[name]))
            )
    _plan_ownerships(unit_plan, current_ownerships, holder_names)


def _settle_shares_and_voter(owners, rows, label, error):
    if len(owners) == 1:
        holder, share, _voter = owners[0]
        owners[0][1] = share if share is not None else Decimal(1)
        owners[0][2] = True
        return True
    given = [o[1] for o in owners if o[1] is not None]
    if given and len(given) != len(owners):
        error(
            rows[0].row,
            "share",
            _("Co-owned unit %(unit)s: give every co-owner a share, or none.") % {"unit": label},
        )
        return False
    if not given:
        equal = (Decimal(1) / len(owners)).quantize(FOUR_PLACES)
        for owner in owners:
            owner[1] = equal
    else:
        total = sum(given)
        if abs(total - 1) > FOUR_PLACES * len(owners):
            error(
                rows[0].row,
                "share",
                _("Co-owned unit %(unit)s: the shares add up to %(total)s, not 1.")
                % {"unit": label, "total": total},
            )
            return False
    voters = [o for o in owners if o[2]]
    if len(voters) != 1:
        error(
            rows[0].row,
            "voter",
            _(
                "Co-owned unit %(unit)s needs exactly one designated voter "
                "(表决人 = 是); it has %(n)s."
            )
            % {"unit": label, "n": len(voters)},
        )
        return False
    for owner in owners:
        owner[2] = bool(owner[2])
    return True


def _display(name, value):
    if value is None:
        return "—"
    if name == "area_basis":
        return AreaBasis(value).label
    if name == "kind":
        return UnitKind(value).label
    return str(value)


def _plan_ownerships(unit_plan, current, holder_names):
    """current: {holder_id: (ownership_pk, share, voter)}. Fills ownership_ops and changes."""
    wanted = {}
    new = []
    for holder, share, voter in unit_plan.owners:
        if holder.existing is not None and holder.existing.pk in current:
            wanted[holder.existing.pk] = (share, voter)
        else:
            new.append((holder, share, voter))
    remove = [pk for hid, (pk, _s, _v) in current.items() if hid not in wanted]
    update = [
        (current[hid][0], share, voter)
        for hid, (share, voter) in wanted.items()
        if current[hid][1] != share or current[hid][2] != voter
    ]
    unit_plan.ownership_ops = {"remove": remove, "update": update, "create": new}
    if remove or new:
        unit_plan.changes.append(("holders", sorted(current), [o[0] for o in unit_plan.owners]))
    elif update:
        old = {hid: (s, v) for hid, (_pk, s, v) in current.items()}
        unit_plan.changes.append(("shares", old, wanted))


def _fill_holder_names(plan, holder_names):
    """Turn the 'holders' changes into readable names (one query for the old holders)."""
    ids = set()
    for unit in plan.units:
        for name, old, _new in unit.changes:
            if name in ("holders", "shares"):
                ids.update(old)
    names = dict(Holder.objects.filter(pk__in=ids).values_list("pk", "name")) if ids else {}
    for unit in plan.units:
        readable = []
        for name, old, new in unit.changes:
            if name == "holders":
                old_text = "、".join(names.get(hid, "?") for hid in old) or "—"
                new_text = "、".join(h.name for h in new)
                readable.append(("holders", old_text, new_text))
            elif name == "shares":
                old_text = "、".join(
                    f"{names.get(h, '?')} {s.normalize()}{' ✓' if v else ''}"
                    for h, (s, v) in old.items()
                )
                new_text = "、".join(
                    f"{names.get(h, '?')} {s.normalize()}{' ✓' if v else ''}"
                    for h, (s, v) in new.items()
                )
                readable.append(("holders", old_text, new_text))
            else:
                readable.append((name, old, new))
        unit.changes = readable
