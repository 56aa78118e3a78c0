import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from deliberation.audit import record_audit, verify_chain
from deliberation.models import AuditEntry

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
