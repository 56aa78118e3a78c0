"""Prepared queries give what the ORM gives, on SQLite and on PostgreSQL, without compiling
again; the session store and auth backends built on them keep Django's behaviour."""

from datetime import timedelta

import pytest
from django.contrib.auth import SESSION_KEY
from django.core.exceptions import ImproperlyConfigured
from django.db import IntegrityError, connection, transaction
from django.db.models import Exists, OuterRef
from django.db.models.signals import post_save, pre_save
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.backends import AuthenticationBackend, ModelBackend
from accounts.models import Session, User
from accounts.sessions import SessionStore
from deliberation.access import community_ids_of, roles_of
from deliberation.models import (
    AssemblyVote,
    AuditEntry,
    Ballot,
    ElectorateEntry,
    Membership,
    Role,
    VoteTeller,
)
from deliberation.services import votes as svc
from plumbing.prepared import Prepared, PreparedInsert
from plumbing.prepared import together as prepared_together
from tests.factories import add_member
from tests.sql import round_trips
from tests.vote_factories import open_vote

pytestmark = pytest.mark.django_db


def test_rows_match_the_orm_for_each_new_value(community, owner, resident, other_community):
    prepared = Prepared(
        lambda user_id: (
            Membership.objects.filter(user=user_id)
            .order_by("community_id", "role")
            .values_list("community_id", "role")
        ),
        int,
    )
    add_member(other_community, Role.RESIDENT, user=owner)
    for user in (owner, resident, owner):
        expected = list(
            Membership.objects.filter(user=user)
            .order_by("community_id", "role")
            .values_list("community_id", "role")
        )
        assert prepared.rows(user.pk) == expected
    assert prepared.rows(10**9) == []


def test_objects_carry_related_objects_annotations_and_converted_values(
    community, committee_member, owner
):
    vote = open_vote(community, committee_member)
    VoteTeller.objects.create(vote=vote, user=committee_member, appointed_by=committee_member)
    prepared = Prepared(
        lambda vote_id, user_id: (
            AssemblyVote.objects.select_related("estate")
            .annotate(
                is_teller=Exists(VoteTeller.objects.filter(vote=OuterRef("pk"), user=user_id))
            )
            .filter(pk=vote_id)
        ),
        int,
        int,
    )
    mine = prepared.first(vote.pk, committee_member.pk)
    theirs = prepared.first(vote.pk, owner.pk)
    assert (mine.pk, mine.is_teller, theirs.is_teller) == (vote.pk, True, False)
    assert mine.opens_at == vote.opens_at and mine.opens_at.tzinfo is not None
    name = vote.estate.name
    with CaptureQueriesContext(connection) as queries:
        assert mine.estate.name == name  # loaded with the vote
    assert len(queries) == 0
    assert prepared.first(10**9, owner.pk) is None


def test_the_sql_is_compiled_once_per_database(community, owner, monkeypatch):
    prepared = Prepared(lambda user_id: Membership.objects.filter(user=user_id), int)
    prepared.rows(owner.pk)
    builds = []
    monkeypatch.setattr(prepared, "build", lambda *args: builds.append(args))
    prepared.objects(owner.pk)
    assert builds == []


def test_a_suffix_is_appended_to_the_compiled_sql(community, owner):
    prepared = Prepared(
        lambda user_id: Membership.objects.filter(user=user_id).values_list("role"),
        int,
        suffix=lambda connection: " LIMIT 1",
    )
    assert len(prepared.rows(owner.pk)) == 1


def test_parameters_must_reach_the_sql_unchanged_and_have_the_declared_type(owner):
    transformed = Prepared(lambda name: User.objects.filter(real_name__icontains=name), str)
    with pytest.raises(ImproperlyConfigured, match="did not reach the SQL unchanged"):
        transformed.rows("李")
    typed = Prepared(lambda pk: User.objects.filter(pk=pk), int)
    with pytest.raises(TypeError):
        typed.rows(str(owner.pk))
    with pytest.raises(TypeError):
        typed.rows()
    with pytest.raises(ImproperlyConfigured):
        Prepared(lambda when: User.objects.filter(last_login__gt=when), type(timezone.now())).rows(
            timezone.now()
        )


def test_a_prepared_insert_stores_what_create_would(community, owner):
    insert = PreparedInsert(AuditEntry)
    entry = insert.create(
        created_at=timezone.now(),
        actor=owner,
        community=community,
        verb="test.prepared",
        target_type="user",
        target_id=str(owner.pk),
        data={"键": [1, "二"]},
        prev_hash="0" * 64,
        hash="a" * 64,
    )
    stored = AuditEntry.objects.get(pk=entry.pk)
    assert (stored.actor_id, stored.data, stored.public) == (owner.pk, {"键": [1, "二"]}, True)
    assert not entry._state.adding and entry._state.db == "default"
    with pytest.raises(IntegrityError), transaction.atomic():
        insert.create(
            created_at=timezone.now(),
            verb="test.prepared",
            target_type="user",
            target_id="1",
            prev_hash="a" * 64,
            hash="a" * 64,  # unique
        )
    assert AuditEntry.objects.filter(verb="test.prepared").count() == 1


def test_ballots_get_their_cast_time_and_nothing_listens_to_their_saves(
    community, committee_member, owner
):
    vote = open_vote(community, committee_member)
    before = timezone.now()
    code, (ballot,) = svc.cast_ballots(
        vote,
        svc.voter_of(vote, owner),
        {vote.matters.get(): "yes"},
        by=owner,
        channel="online",
    )
    stored = Ballot.objects.get(pk=ballot.pk)
    assert stored.created_at >= before and stored.changed_at is None
    assert stored.head == ElectorateEntry.objects.get(vote=vote, holder=stored.holder).head
    # PreparedInsert sends no save signals: nothing may rely on them for these models.
    for model in (Ballot, AuditEntry):
        assert not post_save.has_listeners(model) and not pre_save.has_listeners(model)


def _prepared_on_this_connection(user):
    """Run the memberships' statement once: on PostgreSQL the first run on a connection also
    prepares it (a savepoint and PREPARE), which an earlier test may or may not have done."""
    community_ids_of(User.objects.get(pk=user.pk))


def test_community_ids_and_roles_come_from_one_prepared_query(community, committee_member):
    _prepared_on_this_connection(committee_member)
    user = User.objects.get(pk=committee_member.pk)
    with CaptureQueriesContext(connection) as queries:
        assert community_ids_of(user) == {community.pk}
        assert roles_of(user, community) == {Role.COMMITTEE, Role.OWNER}
    assert len(queries) == 1


def test_roles_in_any_community_cost_the_one_query(community, other_community, owner):
    _prepared_on_this_connection(owner)
    user = User.objects.get(pk=owner.pk)
    with CaptureQueriesContext(connection) as queries:
        assert roles_of(user, other_community) == frozenset()
        assert roles_of(user, community) == {Role.RESIDENT, Role.OWNER}
        assert community_ids_of(user) == {community.pk}
    assert len(queries) == 1


def _session_for(user, expires):
    store = SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store.set_expiry(expires)
    store.save()
    return store.session_key


def test_the_session_store_loads_live_sessions_and_drops_expired_ones(owner):
    live = _session_for(owner, timezone.now() + timedelta(hours=1))
    assert SessionStore(live)[SESSION_KEY] == str(owner.pk)
    expired = _session_for(owner, timezone.now() + timedelta(hours=1))
    Session.objects.filter(session_key=expired).update(
        expire_date=timezone.now() - timedelta(seconds=1)
    )
    store = SessionStore(expired)
    assert store.load() == {} and store.session_key is None
    assert SessionStore("no-such-session-key").load() == {}


@pytest.mark.parametrize("forged", ["abcdefgh\x00ijkl", "ABCDEFGHIJKL", "\xff" * 12])
def test_a_forged_session_cookie_is_no_session(client, forged):
    client.cookies["sessionid"] = forged
    response = client.get("/")
    assert response.status_code == 200
    assert not response.wsgi_request.user.is_authenticated


def test_signed_in_pages_work_through_the_store_and_backends(client, owner):
    client.force_login(owner)
    assert client.get("/").wsgi_request.user.pk == owner.pk
    client.logout()
    assert not client.get("/").wsgi_request.user.is_authenticated


def test_a_signed_in_request_reads_its_session_and_user_in_one_query(client, owner):
    client.force_login(owner)
    assert Session.objects.get().user_id == owner.pk  # saved with the session's user
    with CaptureQueriesContext(connection) as queries:
        # A page that shows who is signed in: the user is read with the session, not after.
        assert client.get(reverse("profile")).wsgi_request.user == owner
    reads = [sql for sql in round_trips(queries) if "accounts_" in sql]
    assert len(reads) == 1
    assert "accounts_session" in reads[0] and "accounts_user" in reads[0]


def test_a_session_whose_row_names_no_user_still_finds_its_user(client, owner):
    """Sessions saved before the row named its user (or by other means) load it by id."""
    client.force_login(owner)
    Session.objects.update(user=None)
    assert client.get("/healthz").wsgi_request.user == owner


def test_a_user_read_with_a_session_serves_that_request_only(client, owner, resident):
    from accounts.sessions import user_loaded_with_session

    client.force_login(owner)
    client.get("/healthz")
    assert user_loaded_with_session(owner.pk) is None  # taken, and forgotten at the end
    store = SessionStore(Session.objects.get().session_key)
    store.load()
    assert user_loaded_with_session(resident.pk) is None  # not the session's user
    store.load()
    assert user_loaded_with_session(owner.pk) == owner


def test_a_changed_password_still_signs_other_sessions_out(client, owner):
    client.force_login(owner)
    owner.set_password("a-new-password-2026")
    owner.save()
    assert not client.get("/healthz").wsgi_request.user.is_authenticated


@pytest.mark.parametrize("backend", [ModelBackend, AuthenticationBackend])
def test_the_backends_load_active_users_only(backend, owner):
    assert backend().get_user(owner.pk) == owner
    assert backend().get_user(str(owner.pk)) == owner
    assert backend().get_user(10**9) is None
    assert backend().get_user("not-a-number") is None
    User.objects.filter(pk=owner.pk).update(is_active=False)
    assert backend().get_user(owner.pk) is None


def test_queries_run_together_give_what_each_gives_alone(community, owner, other_community):
    add_member(other_community, Role.RESIDENT, user=owner)
    memberships = Prepared(
        lambda user_id: Membership.objects.filter(user=user_id).order_by("pk"), int
    )
    roles = Prepared(
        lambda user_id: (
            Membership.objects.filter(user=user_id)
            .order_by("community_id", "role")
            .values_list("community_id", "role")
        ),
        int,
    )
    nothing = Prepared(lambda user_id: Membership.objects.filter(user=user_id), int)
    alone = [memberships.objects(owner.pk), roles.rows(owner.pk), nothing.rows(10**9)]
    with CaptureQueriesContext(connection) as queries:
        together = prepared_together(
            (memberships, "objects", (owner.pk,)),
            (roles, "rows", (owner.pk,)),
            (nothing, "rows", (10**9,)),
        )
    assert together == alone
    assert [m.role for m in together[0]] == [m.role for m in alone[0]]
    assert len(round_trips(queries)) == (1 if connection.vendor == "postgresql" else 3)


def test_queries_run_together_check_their_values(owner):
    roles = Prepared(lambda user_id: Membership.objects.filter(user=user_id), int)
    with pytest.raises(TypeError):
        prepared_together((roles, "rows", (owner.pk,)), (roles, "rows", (str(owner.pk),)))
    with pytest.raises(ValueError, match="cannot run"):
        prepared_together((roles, "rows", (owner.pk,)), (roles, "delete", (owner.pk,)))


def test_the_vote_page_reads_its_vote_roles_matters_and_voter_in_one_round_trip(
    community, committee_member, owner
):
    vote = open_vote(community, committee_member)
    owner.refresh_from_db()  # no roles remembered yet
    with CaptureQueriesContext(connection) as queries:
        read, matters, holder = svc.read_vote_page(owner, vote.pk, ("estate",))
        assert Role.OWNER in roles_of(owner, vote.community_id)  # remembered, not asked again
    assert len(round_trips(queries)) == (1 if connection.vendor == "postgresql" else 4)
    assert read == vote and read.estate.pk == vote.estate_id and not read.user_is_teller
    assert matters == list(vote.matters.order_by("position")) and matters[0].vote is read
    assert holder == svc.voter_of(vote, owner)
    assert svc.read_vote_page(owner, 10**9, ("estate",)) == (None, [], None)


@pytest.mark.django_db(transaction=True)
def test_postgresql_plans_a_prepared_query_once_per_connection(owner):
    if connection.vendor != "postgresql":
        pytest.skip("server-side prepared statements: CI runs this on PostgreSQL")
    memberships = Prepared(
        lambda user_id: Membership.objects.filter(user=user_id).values_list("role", flat=True),
        int,
    )
    expected = list(Membership.objects.filter(user=owner).values_list("role", flat=True))
    with CaptureQueriesContext(connection) as queries:
        first, second = memberships.rows(owner.pk), memberships.rows(owner.pk)
    assert [r[0] for r in first] == [r[0] for r in second] == expected
    sent = [q["sql"] for q in queries]
    assert sent[0].startswith("PREPARE gongyi_") and sent[1].startswith("EXECUTE gongyi_")
    assert sent[2] == sent[1]  # planned once: the second run only executes


@pytest.mark.django_db(transaction=True)
def test_a_statement_postgresql_cannot_prepare_runs_as_it_is_even_in_a_transaction(owner):
    if connection.vendor != "postgresql":
        pytest.skip("server-side prepared statements: CI runs this on PostgreSQL")
    from plumbing.prepared import on_server

    untyped = "SELECT %s || %s"  # PostgreSQL cannot tell these parameters' types
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(*on_server(connection, cursor, [(untyped, ["共", "议"])]))
            assert cursor.fetchone() == ("共议",)
            assert User.objects.filter(pk=owner.pk).exists()  # the transaction goes on
