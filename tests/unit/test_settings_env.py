import pytest
from django.core.exceptions import ImproperlyConfigured

from config.env import env_bool, parse_database_url


def test_a_postgres_url_becomes_a_postgresql_database():
    db = parse_database_url("postgres://postgres:s%40cret@127.0.0.1:5432/gongyi", "/base")
    assert db["ENGINE"] == "plumbing.postgresql"
    assert (db["NAME"], db["USER"], db["PASSWORD"]) == ("gongyi", "postgres", "s@cret")
    assert (db["HOST"], db["PORT"]) == ("127.0.0.1", "5432")


def test_a_relative_sqlite_url_lives_under_the_project():
    db = parse_database_url("sqlite:///var/db.sqlite3", "/base")
    assert db["NAME"] == "/base/var/db.sqlite3"


def test_an_unknown_database_scheme_stops_start_up():
    with pytest.raises(ImproperlyConfigured, match="mysql"):
        parse_database_url("mysql://x/y", "/base")


def test_a_malformed_boolean_stops_start_up(monkeypatch):
    monkeypatch.setenv("DEBUG", "maybe")
    with pytest.raises(ImproperlyConfigured, match="DEBUG"):
        env_bool("DEBUG")
