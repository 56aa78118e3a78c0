"""The room protocol's pure parts: message parsing, the per-person rate limit, the bench."""

import datetime as dt
import importlib
import json

import pytest
import time_machine
from django.core.cache import cache

from meetings.forms import COMMANDS, BadMessage, parse_command
from meetings.throttle import command_allowed


def test_each_command_parses_into_its_own_form():
    form = parse_command(json.dumps({"command": "move_speaker", "request": 3, "position": "1"}))
    assert form.is_valid()
    assert form.cleaned_data == {"request": 3, "position": 1}


def test_the_extensions_headers_are_ignored():
    message = {"command": "next_item", "current": "0", "HEADERS": {"HX-Request": "true"}}
    assert parse_command(json.dumps(message)).is_valid()


@pytest.mark.parametrize(
    "text",
    ["", "null", "3", '"next_item"', "{", '{"command": "sudo"}', '{"current": 0}'],
)
def test_what_is_not_a_command_is_refused(text):
    with pytest.raises(BadMessage):
        parse_command(text)


def test_unknown_fields_are_refused_even_on_a_known_command():
    with pytest.raises(BadMessage):
        parse_command(json.dumps({"command": "raise_hand", "item": 1, "user": 7}))


def test_nested_values_are_refused():
    with pytest.raises(BadMessage):
        parse_command(json.dumps({"command": "raise_hand", "item": [1, 2]}))


def test_field_values_are_validated():
    assert not parse_command(json.dumps({"command": "raise_hand", "item": -1})).is_valid()
    assert not parse_command(json.dumps({"command": "set_stage", "stage": "brawl"})).is_valid()
    long = {"command": "add_minutes", "text": "字" * 2001}
    assert not parse_command(json.dumps(long)).is_valid()


def test_every_command_is_documented_in_the_protocol():
    with open("docs/protocol.md", encoding="utf-8") as handle:
        protocol = handle.read()
    assert all(f"| `{name}` |" in protocol for name in COMMANDS)


def test_a_person_may_send_a_burst_then_two_commands_a_second(settings):
    settings.ROOM_COMMAND_LIMITS = [(1, 5), (10, 20)]
    cache.clear()
    with time_machine.travel(dt.datetime(2026, 12, 7, 9, 0, tzinfo=dt.UTC), tick=False) as clock:
        assert [command_allowed(7) for _ in range(6)] == [True] * 5 + [False]
        assert command_allowed(8)  # someone else has their own allowance
        sent = 6
        for _ in range(3):  # a second later the burst is back, within ten seconds' 20
            clock.shift(dt.timedelta(seconds=1))
            sent += 5
            assert [command_allowed(7) for _ in range(5)] == [sent - 4 + n <= 20 for n in range(5)]
        clock.shift(dt.timedelta(seconds=10))
        assert command_allowed(7)
    cache.clear()


def test_the_room_benchmark_module_imports():
    room = importlib.import_module("bench.room")
    assert callable(room.main)
    assert room.TARGET_P99_MS == 300
    assert callable(importlib.import_module("bench.wsclient").WebSocket.connect)
