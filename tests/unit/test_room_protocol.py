"""The room protocol's pure parts: message parsing, the per-socket token bucket, the bench."""

import importlib
import json

import pytest

from meetings.consumers import TokenBucket
from meetings.forms import COMMANDS, BadMessage, parse_command


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


def test_the_bucket_allows_a_burst_then_refills_with_time():
    now = [0.0]
    bucket = TokenBucket(size=3, rate=2.0, clock=lambda: now[0])
    assert [bucket.take() for _ in range(4)] == [True, True, True, False]
    now[0] += 0.5
    assert bucket.take() is True
    assert bucket.take() is False


def test_the_room_benchmark_module_imports():
    room = importlib.import_module("bench.room")
    assert callable(room.main)
    assert room.TARGET_P99_MS == 300
    assert callable(importlib.import_module("bench.wsclient").WebSocket.connect)
