"""The browsing benchmark stays runnable (run by hand, not by the suite)."""

from itertools import islice

import pytest

from bench import browse


def test_browsing_defaults_to_200_requests_a_second_for_a_minute():
    args = browse.parse_args([])
    assert (args.rate, args.seconds) == (200, 60)
    assert browse.TARGET_P99_MS == 300


def test_browsing_refuses_numbers_out_of_range_and_says_which(capsys):
    with pytest.raises(SystemExit) as exit:
        browse.parse_args(["--seconds", "99999", "--rate", "99999", "--sessions", "99999"])
    assert exit.value.code == 2
    assert "out of range" in capsys.readouterr().err


def test_browsing_sends_each_page_of_the_mix_with_a_session():
    jobs = list(islice(browse.browse_jobs(3, 5, [6, 7], ["k1", "k2"]), 400))
    labels = {label for label, _raw, _meta in jobs}
    assert labels == {label for label, _weight in browse.MIX}
    raw = jobs[0][1](8000)
    assert raw.startswith(b"GET /") and b"Cookie: sessionid=k1" in raw
    paths = {raw(8000).split(b" ")[1] for _label, raw, _meta in jobs}
    assert b"/topics/5/" in paths and b"/c/3/notices/" in paths and b"/" in paths


def test_cpu_per_request_divides_each_side_by_the_requests_answered():
    run = {"cpu": (3.0, 0.6)}  # seconds: the servers, then PostgreSQL
    answered = {"ok": 1_400, "errors": 100}
    assert browse.cpu_per_request(run, answered) == (2.0, 0.4)


def test_cpu_per_request_of_a_run_with_nothing_answered_is_the_whole_cost():
    assert browse.cpu_per_request({"cpu": (0.5, 0.1)}, {"ok": 0, "errors": 0}) == (500.0, 100.0)
