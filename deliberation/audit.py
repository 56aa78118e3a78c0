"""Append to and verify the hash-chained audit log.

Each entry stores the previous entry's hash and its own, computed over a canonical JSON of
its content. Appends lock the single AuditHead row, so the chain stays linear under load;
call `record_audit` inside the transaction that makes the change, as late as convenient, to
hold that lock briefly.
"""

import hashlib
import json

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.utils import timezone

from deliberation import fragments
from deliberation.models import AuditEntry, AuditHead
from deliberation.prepared import PreparedInsert


def genesis_hash():
    return hashlib.sha256(settings.AUDIT_CHAIN_SEED.encode()).hexdigest()


def entry_hash(*, prev_hash, created_at, actor_id, community_id, verb, target, data, public):
    payload = json.dumps(
        {
            "prev": prev_hash,
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
    return hashlib.sha256(payload.encode()).hexdigest()


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
    # No savepoint inside the caller's transaction: an entry that fails to append must undo
    # the change it records, and the lock below is held until the caller commits anyway.
    lock_head, move_head = _head_sql()
    with transaction.atomic(savepoint=False), connection.cursor() as cursor:
        cursor.execute(lock_head)
        row = cursor.fetchone()
        if row is None:
            AuditHead.objects.get_or_create(pk=1, defaults={"last_hash": genesis_hash()})
            cursor.execute(lock_head)
            row = cursor.fetchone()
        prev_hash = row[0]
        created_at = timezone.now()
        digest = entry_hash(
            prev_hash=prev_hash,
            created_at=created_at,
            actor_id=actor_id,
            community_id=community_id,
            verb=verb,
            target=(target_type, target_id),
            data=data,
            public=public,
        )
        entry = _INSERT_ENTRY.create(
            created_at=created_at,
            actor_id=actor_id,
            community_id=community_id,
            verb=verb,
            target_type=target_type,
            target_id=target_id,
            public=public,
            data=data,
            prev_hash=prev_hash,
            hash=digest,
        )
        cursor.execute(move_head, [digest])
    if target_type == TOPIC:
        # A topic's public history is what its page shows: the cached parts are now stale.
        fragments.bump("topic", target_id)
    return entry


_INSERT_ENTRY = PreparedInsert(AuditEntry)
TOPIC = "deliberation.topic"
_HEAD_SQL = {}


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


def verify_chain(batch_size=2000):
    """Walk the chain in order. Returns (checked_count, first_broken_entry_or_None, problem)."""
    expected_prev = genesis_hash()
    checked = 0
    for entry in AuditEntry.objects.order_by("pk").iterator(chunk_size=batch_size):
        if entry.prev_hash != expected_prev:
            return checked, entry, "previous hash does not match the entry before it"
        digest = entry_hash(
            prev_hash=entry.prev_hash,
            created_at=entry.created_at,
            actor_id=entry.actor_id,
            community_id=entry.community_id,
            verb=entry.verb,
            target=(entry.target_type, entry.target_id),
            data=entry.data,
            public=entry.public,
        )
        if digest != entry.hash:
            return checked, entry, "content does not match its hash"
        expected_prev = entry.hash
        checked += 1
    head = AuditHead.objects.filter(pk=1).first()
    if head is not None and head.last_hash != expected_prev:
        return checked, None, "the newest entries are missing"
    return checked, None, ""


def history_of(target, public_only=True):
    target_type, target_id = _target_key(target)
    entries = AuditEntry.objects.filter(target_type=target_type, target_id=target_id)
    if public_only:
        entries = entries.filter(public=True)
    return entries.select_related("actor").order_by("pk")
