"""Sessions made before sessions named their user carry over: nobody is signed out."""

import importlib

import pytest
from django.apps import apps
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session as OldSession
from django.utils import timezone

from accounts.models import Session

pytestmark = pytest.mark.django_db

migration = importlib.import_module("accounts.migrations.0002_session_with_user")


def test_old_sessions_move_to_the_new_table_with_their_user(owner):
    encoder = SessionStore()  # as the sessions were written
    expire = timezone.now() + timezone.timedelta(days=1)
    OldSession.objects.create(
        session_key="a" * 32,
        session_data=encoder.encode({SESSION_KEY: str(owner.pk)}),
        expire_date=expire,
    )
    OldSession.objects.create(
        session_key="b" * 32,
        session_data=encoder.encode({"django_language": "en"}),
        expire_date=expire,
    )
    OldSession.objects.create(
        session_key="c" * 32,
        session_data=encoder.encode({SESSION_KEY: "999999"}),  # a user since deleted
        expire_date=expire,
    )
    OldSession.objects.create(session_key="d" * 32, session_data="garbage", expire_date=expire)
    migration.carry_sessions_over(apps, None)
    moved = {s.session_key: s.user_id for s in Session.objects.all()}
    assert moved == {"a" * 32: owner.pk, "b" * 32: None, "c" * 32: None, "d" * 32: None}
    assert Session.objects.get(pk="a" * 32).get_decoded()[SESSION_KEY] == str(owner.pk)


def test_clearsessions_drops_expired_sessions_from_the_sessions_table(owner):
    from django.core.management import call_command

    from accounts.sessions import SessionStore

    for key, delta in (("live", 1), ("gone", -1)):
        store = SessionStore()
        store[SESSION_KEY] = str(owner.pk)
        store.set_expiry(timezone.now() + timezone.timedelta(days=delta))
        store.save()
        Session.objects.filter(pk=store.session_key).update(session_key=key * 8)
    call_command("clearsessions")
    assert list(Session.objects.values_list("session_key", "user_id")) == [("live" * 8, owner.pk)]
