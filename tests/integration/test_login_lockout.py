"""Failed log-ins lock one account, never everybody: the counter is per person, plus a limit
per client address.

An attacker who types wrong passwords for a number that does not exist, or for someone else's
number, from many addresses, must not keep the other residents out; the account attacked
stays locked for the attacker, correct password or not, until the window passes.
"""

import datetime as dt

import pytest
import time_machine
from django.test import Client

from accounts.models import User
from accounts.phone import local_phone
from tests.factories import PASSWORD, make_user

pytestmark = pytest.mark.django_db

LOCKED = "登录失败次数过多"
START = dt.datetime(2026, 12, 7, 9, 0, tzinfo=dt.UTC)


def attempt(login, password, address):
    """One log-in from its own browser at `address`; returns (signed in?, page text)."""
    client = Client(REMOTE_ADDR=address)
    response = client.post("/accounts/login/", {"login": login, "password": password})
    return "_auth_user_id" in client.session, response.content.decode()


@pytest.fixture
def residents(db):
    return [make_user(name=f"居民{i}", phone=f"+86139{i:08d}") for i in range(1, 25)]


def test_failures_on_a_number_nobody_has_lock_out_nobody_else(residents):
    with time_machine.travel(START, tick=False):
        for n in range(8):  # from eight addresses, more than the lockout needs
            signed_in, text = attempt("13700000000", "guess-guess", f"203.0.113.{n + 1}")
            assert not signed_in
        assert LOCKED in text  # the number nobody has is locked for whoever tries it
        for i, person in enumerate(residents):
            signed_in, text = attempt(local_phone(person.phone), PASSWORD, f"198.51.100.{i + 1}")
            assert signed_in, f"{person.real_name} was kept out: {LOCKED in text}"


def test_failures_on_one_resident_never_affect_another_and_keep_the_victim_locked(residents):
    victim, others = residents[0], residents[1:]
    with time_machine.travel(START, tick=False) as clock:
        for n in range(6):
            attempt(local_phone(victim.phone), "guess-guess", f"203.0.113.{n + 1}")
        for i, person in enumerate(others):
            signed_in, _ = attempt(local_phone(person.phone), PASSWORD, f"198.51.100.{i + 1}")
            assert signed_in, person.real_name
            signed_in, _ = attempt(person.email, PASSWORD, f"198.51.100.{i + 101}")
            assert signed_in, person.real_name
        # The victim's account stays protected, however it is named and from wherever.
        for login in (local_phone(victim.phone), victim.phone, victim.email.upper()):
            signed_in, text = attempt(login, PASSWORD, "192.0.2.77")
            assert not signed_in and LOCKED in text, login
        clock.shift(dt.timedelta(minutes=5, seconds=1))
        signed_in, _ = attempt(local_phone(victim.phone), PASSWORD, "192.0.2.78")
        assert signed_in


def test_one_account_named_by_number_and_by_email_shares_one_lockout(residents):
    person = residents[3]
    with time_machine.travel(START, tick=False):
        for n in range(3):
            attempt(local_phone(person.phone), "guess-guess", f"203.0.113.{n + 1}")
            attempt(person.email, "guess-guess", f"203.0.113.{n + 11}")
        signed_in, text = attempt(f"{person.phone[3:6]} {person.phone[6:]}", PASSWORD, "192.0.2.9")
        assert not signed_in and LOCKED in text


def test_one_address_failing_across_many_numbers_is_throttled(residents):
    """Spreading guesses over many numbers stays under each one's lockout, but one client
    may fail only so often an hour; another address is unaffected."""
    numbers = [f"1370000{n:04d}" for n in range(60)]
    with time_machine.travel(START, tick=False) as clock:
        for n, number in enumerate(numbers[:50]):
            if n and n % 10 == 0:
                clock.shift(dt.timedelta(seconds=61))  # under the per-minute limit
            signed_in, text = attempt(number, "guess-guess", "203.0.113.200")
            assert LOCKED not in text, n
        clock.shift(dt.timedelta(seconds=61))
        person = residents[5]
        signed_in, text = attempt(local_phone(person.phone), PASSWORD, "203.0.113.200")
        assert not signed_in and LOCKED in text
        signed_in, _ = attempt(local_phone(person.phone), PASSWORD, "198.51.100.200")
        assert signed_in
    assert User.objects.filter(phone__startswith="+86137").count() == 0
