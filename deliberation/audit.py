"""Append to and verify the hash-chained audit log.

Each entry stores the previous entry's hash and its own:

    hash = sha256_hex(prev_hash + sha256_hex(canonical JSON of the entry's content))

(hex strings concatenated; the canonical JSON is `content_digest`'s: sorted keys, no spaces,
UTF-8). The first entry's prev_hash is sha256_hex(AUDIT_CHAIN_SEED). Appends lock the single
AuditHead row, so the chain stays linear under load; the content is hashed before the lock, and
on PostgreSQL the lock, the insert with its link and the head's move are one statement. Call
`record_audit` inside the transaction that makes the change, as late as convenient: the lock is
held until that transaction ends. A change made by a single statement can append its entry in
that same statement instead (`chain_ctes` with a source, as casting a ballot does), so that
the lock is held only while PostgreSQL runs and commits it.
"""

import hashlib
import json

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.db.models import OuterRef, Q, Subquery
from django.utils import timezone

from deliberation.models import AuditEntry, AuditHead
from plumbing import fragments
from plumbing.prepared import PreparedInsert, on_server, typed


def genesis_hash():
    return hashlib.sha256(settings.AUDIT_CHAIN_SEED.encode()).hexdigest()


def content_digest(**content):
    """sha256 of an entry's content in canonical JSON (everything but the chain links); the
    keyword arguments are _canonical's."""
    return hashlib.sha256(_canonical(**content).encode()).hexdigest()


def _canonical(*, created_at, actor_id, community_id, verb, target, data, public):
    return json.dumps(
        {
            "at": created_at.isoformat(),
            "actor": actor_id,
            "community": community_id,
            "verb": verb,
            "target": list(target),
            "data": data,
            "public": public,
        },
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
        cls=DjangoJSONEncoder,
    )


def _content(values, target_id):
    """_canonical's keywords from an entry's column values."""
    return {
        "created_at": values["created_at"],
        "actor_id": values["actor_id"],
        "community_id": values["community_id"],
        "verb": values["verb"],
        "target": (values["target_type"], target_id),
        "data": values["data"],
        "public": values["public"],
    }


def link_hash(prev_hash, content):
    """An entry's hash: sha256 of the previous entry's hash followed by its content digest
    (both lower-case hex). PostgreSQL computes the same in _append_sql."""
    return hashlib.sha256((prev_hash + content).encode()).hexdigest()


def entry_hash(*, prev_hash, **content):
    """An entry's hash from the previous hash and its content (content_digest's keywords)."""
    return link_hash(prev_hash, content_digest(**content))


def _target_key(target):
    if isinstance(target, tuple):
        return str(target[0]), str(target[1])
    return target._meta.label_lower, str(target.pk)


def record_audit(*, actor, verb, target, data=None, community=None, public=True):
    """Append one entry. `target` is a model instance or a (type, id) pair."""
    data = json.loads(json.dumps(data or {}, cls=DjangoJSONEncoder))
    target_type, target_id = _target_key(target)
    actor_id = getattr(actor, "pk", actor)
    community_id = getattr(community, "pk", community)
    if community_id is None:
        community_id = getattr(target, "community_id", None)
    values = {
        "created_at": timezone.now(),
        "actor_id": actor_id,
        "community_id": community_id,
        "verb": verb,
        "target_type": target_type,
        "target_id": target_id,
        "public": public,
        "data": data,
    }
    # Hashed before the head is locked: only the link to the previous entry waits for it.
    content = content_digest(**_content(values, target_id))
    # No savepoint inside the caller's transaction: an entry that fails to append must undo
    # the change it records, and the lock on the head is held until the caller commits anyway.
    with transaction.atomic(savepoint=False):
        if connection.vendor == "postgresql":  # sha256() in SQL and row locks
            entry = _append_in_one_statement(values, content)
        else:
            entry = _append(values, content)
    if target_type == TOPIC:
        # A topic's public history is what its page shows: the cached parts are now stale.
        fragments.bump("topic", target_id)
    elif target_type == TASK and getattr(target, "topic_id", None):
        # A task's events are part of its topic's history too.
        fragments.bump("topic", target.topic_id)
    return entry


def _ensure_head():
    AuditHead.objects.get_or_create(pk=1, defaults={"last_hash": genesis_hash()})


def _append(values, content):
    """Lock the head, insert the entry linked to it, move the head: three statements (SQLite,
    where BEGIN IMMEDIATE has already serialised the writers)."""
    lock_head, move_head = _head_sql()
    with connection.cursor() as cursor:
        cursor.execute(lock_head)
        row = cursor.fetchone()
        if row is None:
            _ensure_head()
            cursor.execute(lock_head)
            row = cursor.fetchone()
        prev_hash = row[0]
        digest = link_hash(prev_hash, content)
        entry = _INSERT_ENTRY.create(**values, prev_hash=prev_hash, hash=digest)
        cursor.execute(move_head, [digest])
    return entry


def _append_in_one_statement(values, content):
    """The same in one statement on PostgreSQL, which hashes the link itself: the head's row
    lock, taken first, is held for one round trip and the commit instead of three."""
    sql, columns = _append_sql()
    fields = [AuditEntry._meta.get_field(name) for name in columns]
    params = [field.get_db_prep_save(values[field.attname], connection) for field in fields]
    with connection.cursor() as cursor:
        cursor.execute(*on_server(connection, cursor, [(sql, [*params, content])]))
        row = cursor.fetchone()
        if row is None:  # a database without its head row yet
            _ensure_head()
            cursor.execute(*on_server(connection, cursor, [(sql, [*params, content])]))
            row = cursor.fetchone()
    entry = AuditEntry(**values, pk=row[0], prev_hash=row[1], hash=row[2])
    entry._state.adding = False
    entry._state.db = connection.alias
    return entry


_INSERT_ENTRY = PreparedInsert(AuditEntry)
TOPIC = "deliberation.topic"
TASK = "deliberation.task"
_HEAD_SQL = {}
_APPEND_SQL = {}
_COLUMNS = (
    "created_at",
    "actor_id",
    "community_id",
    "verb",
    "target_type",
    "target_id",
    "public",
    "data",
)


def _append_sql():
    """(SQL, value columns) of the one-statement append: lock the head, insert the entry with
    prev_hash and hash = sha256(prev_hash || content digest), move the head, return the
    entry's id and links. Names come from the models."""
    if connection.alias not in _APPEND_SQL:
        ctes = chain_ctes(connection)
        sql = f"WITH {ctes} SELECT * FROM audit_entry"  # noqa: S608 (model names)
        _APPEND_SQL[connection.alias] = (sql, _COLUMNS)
    return _APPEND_SQL[connection.alias]


def chain_ctes(connection, source=None):
    """The CTEs `audit_head`, `audit_entry` and `audit_moved` (PostgreSQL): lock the head,
    insert an entry linked to it, move the head on; `audit_entry` returns (id, prev_hash,
    hash).

    Without `source`, the parameters are the values of _COLUMNS, then the content digest
    (`content_digest`'s hex). With `source`, the name of an earlier CTE of the same statement
    yielding at most one row with an `id` column, the entry is appended only if that row
    exists and its target_id is that id: the parameters are then `entry_values`', and the
    database hashes the content as `content_digest` would."""
    quote = connection.ops.quote_name
    head, entry = AuditHead._meta, AuditEntry._meta
    head_table, entry_table = quote(head.db_table), quote(entry.db_table)
    head_pk, entry_pk = quote(head.pk.column), quote(entry.pk.column)
    last = quote(head.get_field("last_hash").column)
    count = quote(head.get_field("count").column)
    columns = ", ".join(quote(entry.get_field(name).column) for name in _COLUMNS)
    prev = quote(entry.get_field("prev_hash").column)
    digest = quote(entry.get_field("hash").column)
    fields = [entry.get_field(name) for name in _COLUMNS]
    if source is None:
        values = ", ".join(typed(field, connection) for field in fields)
        content, sources = "%s::text", "audit_head"
    else:
        target = f"{source}.id::text"
        values = ", ".join(
            target if field.name == "target_id" else typed(field, connection) for field in fields
        )
        content = f"encode(sha256(convert_to(%s::text || {target} || %s::text, 'UTF8')), 'hex')"
        sources = f"{source}, audit_head"
    return (
        f"audit_head AS (SELECT {last} FROM {head_table} WHERE {head_pk} = 1 FOR UPDATE), "  # noqa: S608
        f"audit_entry AS (INSERT INTO {entry_table} ({columns}, {prev}, {digest}) "
        f"SELECT {values}, audit_head.{last}, "
        f"encode(sha256(convert_to(audit_head.{last} || {content}, 'UTF8')), 'hex') "
        f"FROM {sources} RETURNING {entry_pk}, {prev}, {digest}), "
        f"audit_moved AS (UPDATE {head_table} SET {last} = audit_entry.{digest}, "
        f"{count} = {count} + 1 FROM audit_entry WHERE {head_table}.{head_pk} = 1)"
    )


def entry_values(*, actor, verb, target_type, data=None, community=None, public=True):
    """The parameters of `chain_ctes` with a source: the entry's values as `record_audit`
    stores them but the target id, which the statement supplies, then the canonical content
    before and after that id (it is prefix + str(id) + suffix)."""
    data = json.loads(json.dumps(data or {}, cls=DjangoJSONEncoder))
    values = {
        "created_at": timezone.now(),
        "actor_id": getattr(actor, "pk", actor),
        "community_id": getattr(community, "pk", community),
        "verb": verb,
        "target_type": target_type,
        "public": public,
        "data": data,
    }
    payload = _canonical(**_content(values, _ID))
    prefix, found, suffix = payload.partition(_ID)
    if not found or _ID in suffix:
        raise ValueError("the audit entry's content holds the id placeholder itself")
    params = []
    for name in _COLUMNS:
        if name != "target_id":
            field = AuditEntry._meta.get_field(name)
            params.append(field.get_db_prep_save(values[field.attname], connection))
    return [*params, prefix, suffix]


# Stands for the target id in the canonical JSON: a plain string, which JSON leaves as it is.
_ID = "audit-target-id-placeholder-7d1e"


def _head_sql():
    """(lock and read the head, move it on): plain SQL, as this runs in every audited write
    while the head is locked (SQLite has no row locks; BEGIN IMMEDIATE serialises writers)."""
    key = (connection.vendor, connection.features.has_select_for_update)
    if key not in _HEAD_SQL:
        opts, quote = AuditHead._meta, connection.ops.quote_name
        table, pk = quote(opts.db_table), quote(opts.pk.column)
        last, count = (quote(opts.get_field(name).column) for name in ("last_hash", "count"))
        lock = " FOR UPDATE" if key[1] else ""
        _HEAD_SQL[key] = (
            f"SELECT {last} FROM {table} WHERE {pk} = 1{lock}",  # noqa: S608 (model names)
            f"UPDATE {table} SET {last} = %s, {count} = {count} + 1 WHERE {pk} = 1",  # noqa: S608
        )
    return _HEAD_SQL[key]


def _stored_entry_hash(entry):
    """The hash a stored entry's own fields give; it matches `entry.hash` unless altered."""
    return entry_hash(
        prev_hash=entry.prev_hash,
        created_at=entry.created_at,
        actor_id=entry.actor_id,
        community_id=entry.community_id,
        verb=entry.verb,
        target=(entry.target_type, entry.target_id),
        data=entry.data,
        public=entry.public,
    )


def verify_chain(batch_size=2000):
    """Walk the chain in order. Returns (checked_count, first_broken_entry_or_None, problem)."""
    expected_prev = genesis_hash()
    checked = 0
    for entry in AuditEntry.objects.order_by("pk").iterator(chunk_size=batch_size):
        if entry.prev_hash != expected_prev:
            return checked, entry, "previous hash does not match the entry before it"
        digest = _stored_entry_hash(entry)
        if digest != entry.hash:
            return checked, entry, "content does not match its hash"
        expected_prev = entry.hash
        checked += 1
    head = AuditHead.objects.filter(pk=1).first()
    if head is not None and head.last_hash != expected_prev:
        return checked, None, "the newest entries are missing"
    return checked, None, ""


def history_of(target, public_only=True, task_ids=()):
    """The entries about `target`, oldest first; with `task_ids`, those tasks' entries too (a
    topic's history includes the work on it). Each entry carries the hash of the entry before
    it and the link of the entry after it in the whole chain, for `check_links`."""
    target_type, target_id = _target_key(target)
    about = Q(target_type=target_type, target_id=target_id)
    if task_ids:
        about |= Q(target_type=TASK, target_id__in=[str(pk) for pk in task_ids])
    entries = AuditEntry.objects.filter(about)
    if public_only:
        entries = entries.filter(public=True)
    before = AuditEntry.objects.filter(pk__lt=OuterRef("pk")).order_by("-pk").values("hash")
    after = AuditEntry.objects.filter(pk__gt=OuterRef("pk")).order_by("pk").values("prev_hash")
    return (
        entries.annotate(hash_before=Subquery(before[:1]), link_after=Subquery(after[:1]))
        .select_related("actor")
        .order_by("pk")
    )


def check_links(entries):
    """Verify each entry of `history_of` that a page shows against the chain: its content
    against its own hash, its link against the entry before it, and the entry after it (or the
    head) against its hash. Sets `entry.intact`; returns the entries that fail."""
    entries = list(entries)
    head = None
    if any(getattr(e, "link_after", None) is None for e in entries):
        head = AuditHead.objects.filter(pk=1).values_list("last_hash", flat=True).first()
    broken = []
    for entry in entries:
        expected_prev = entry.hash_before if entry.hash_before is not None else genesis_hash()
        next_link = entry.link_after if entry.link_after is not None else head
        digest = _stored_entry_hash(entry)
        entry.intact = (
            digest == entry.hash and entry.prev_hash == expected_prev and next_link == entry.hash
        )
        if not entry.intact:
            broken.append(entry)
    return broken
