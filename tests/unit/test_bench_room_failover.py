"""The room failover benchmark stays runnable (run by hand, not by the suite)."""

import pytest

from bench import room_failover


def test_the_failover_run_defaults_to_a_thousand_clients():
    args = room_failover.parse_args([])
    assert args.clients == 1000 and args.voters <= args.clients
    assert room_failover.TARGET_P99_MS == 300


def test_the_failover_run_refuses_numbers_out_of_range_and_says_which(capsys):
    with pytest.raises(SystemExit) as exit:
        room_failover.parse_args(["--clients", "100000", "--voters", "5000", "--rounds", "0"])
    assert exit.value.code == 2
    assert "out of range" in capsys.readouterr().err


def test_the_failover_client_finds_the_open_vote_in_a_frame():
    frame = (
        '<input type="hidden" name="command" value="cast_vote">'
        '<input type="hidden" name="vote" value="42">'
    )
    assert room_failover.VOTE_MARKER in frame
    assert room_failover.VOTE_ID.search(frame).group(1) == "42"


def test_the_failover_verdict_holds_the_two_workers_to_the_fan_out_target_only():
    survivor_slower = room_failover.failover_verdict(289.0, 391.0, recovered=True)
    assert "NOT met" not in survivor_slower and "391 ms" in survivor_slower
    assert "NOT met" in room_failover.failover_verdict(301.0, 200.0, recovered=True)
    assert "NOT met" in room_failover.failover_verdict(200.0, 200.0, recovered=False)
