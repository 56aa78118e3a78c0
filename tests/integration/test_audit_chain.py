import hashlib
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, connections, transaction

from deliberation.audit import content_digest, genesis_hash, record_audit, verify_chain
from deliberation.models import AuditEntry, AuditHead

pytestmark = pytest.mark.django_db


def test_entries_chain_each_to_the_one_before(community):
    first = record_audit(actor=None, verb="test.one", target=community)
    second = record_audit(actor=None, verb="test.two", target=community, data={"n": 2})
    assert second.prev_hash == first.hash
    assert verify_chain() == (2, None, "")


def test_an_edit_behind_the_apps_back_is_caught(community):
    record_audit(actor=None, verb="test.one", target=community)
    entry = record_audit(actor=None, verb="test.two", target=community, data={"agree": 10})
    record_audit(actor=None, verb="test.three", target=community)
    AuditEntry.objects.filter(pk=entry.pk).update(data={"agree": 11})
    checked, broken, problem = verify_chain()
    assert (checked, broken.pk) == (1, entry.pk)
    with pytest.raises(CommandError, match=f"entry {entry.pk}"):
        call_command("verify_audit")


def test_a_deleted_newest_entry_is_caught(community):
    record_audit(actor=None, verb="test.one", target=community)
    last = record_audit(actor=None, verb="test.two", target=community)
    AuditEntry.objects.filter(pk=last.pk).delete()
    assert verify_chain()[2] == "the newest entries are missing"


def test_the_first_entry_creates_the_head_and_links_to_the_genesis_hash(community):
    AuditEntry.objects.all().delete()
    AuditHead.objects.all().delete()
    entry = record_audit(actor=None, verb="test.first", target=community, data={"键": "值"})
    assert entry.prev_hash == genesis_hash()
    assert AuditHead.objects.get(pk=1).last_hash == entry.hash
    assert verify_chain() == (1, None, "")


def test_the_stored_link_is_the_hash_of_the_previous_link_and_the_content(community):
    first = record_audit(actor=None, verb="test.one", target=community)
    second = record_audit(actor=None, verb="test.two", target=("meeting", 7), data={"n": [1]})
    stored = AuditEntry.objects.get(pk=second.pk)
    content = content_digest(
        created_at=stored.created_at,
        actor_id=None,
        community_id=None,
        verb="test.two",
        target=("meeting", "7"),
        data={"n": [1]},
        public=True,
    )
    # On PostgreSQL the database computes this link; it must equal Python's.
    expected = hashlib.sha256((first.hash + content).encode()).hexdigest()
    assert (stored.prev_hash, stored.hash, second.hash) == (first.hash, expected, expected)


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks: CI runs it on PostgreSQL")
def test_appends_from_many_connections_at_once_form_one_line(community):
    barrier = threading.Barrier(8)

    def append(index):
        try:
            barrier.wait(timeout=30)
            for n in range(10):
                with transaction.atomic():
                    record_audit(actor=None, verb="test.race", target=community, data={"n": n})
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(append, range(8)))
    assert verify_chain() == (80, None, "")
    assert AuditHead.objects.get(pk=1).count == 80
