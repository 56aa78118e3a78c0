"""The casting soak stays runnable (it is run by hand, not by the suite: speed lives in bench/)."""

from bench import cast_soak
from bench._openloop import held, summary


def test_the_soak_defaults_to_300_ballots_a_second_for_five_minutes():
    args = cast_soak.parse_args([])
    assert (args.seconds, args.rate) == (300, 300)
    assert args.owners * args.votes >= 300 * 300


def test_the_soak_opens_enough_votes_that_no_owner_casts_twice_on_one():
    args = cast_soak.parse_args(
        ["--seconds", "10", "--baseline-seconds", "5", "--rate", "50", "--owners", "120"]
    )
    assert args.votes == 5
    jobs = list(cast_soak.cast_jobs([(1, 11), (2, 12)], ["s1", "s2", "s3"], "c" * 32))
    assert [meta for _label, _raw, meta in jobs] == [[0, 0], [0, 1], [0, 2], [1, 0], [1, 1], [1, 2]]
    raw = jobs[4][1](8000)
    assert raw.startswith(b"POST /votes/2/ HTTP/1.1") and raw.endswith(b"m12=yes")
    assert b"sessionid=s2" in raw


def test_the_soak_reads_the_receipt_code_from_the_answer():
    body = b'<p class="receipt-code" data-receipt>AB3CD-EF4GH</p>'
    assert cast_soak.extract_receipt("cast", 200, body) == "AB3CD-EF4GH"
    assert cast_soak.extract_receipt("cast", 400, body) is None
    assert cast_soak.extract_receipt("cast", 200, b"<p>form errors</p>") is None


def test_the_soak_warms_up_on_a_vote_of_its_own_that_is_never_reconciled():
    args = cast_soak.parse_args(
        ["--seconds", "10", "--baseline-seconds", "5", "--rate", "50", "--owners", "120"]
    )
    built = [(n, 10 + n) for n in range(1, args.votes + 2)]
    warm, measured = cast_soak.split_warm_up(built)
    assert warm == [(1, 11)]
    assert len(measured) == args.votes and (1, 11) not in measured


def test_a_run_holds_its_rate_when_every_ballot_due_is_answered_in_time():
    # 300/s for 300 s, every ballot answered: the last answers' flight stretches the wall
    # clock past 300 s, so answers over wall time fall a hair under 300/s.
    rows = [("cast", 200, 5.0, 4.0, [0, n], "R") for n in range(90000)]
    answered = summary(rows, 300.02)
    assert answered["rate"] < 300 and held(answered, 300, 200)
    assert not held(summary(rows, 300.02), 300, 5.0)  # p99 over the bound
    one_refused = [*rows[:-1], ("cast", -1, 0.0, 0.0, [0, 89999], None)]
    assert not held(summary(one_refused, 300.02), 300, 200)
    one_error = [*rows[:-1], ("cast", 500, 5.0, 4.0, [0, 89999], None)]
    assert not held(summary(one_error, 300.02), 300, 200)
    assert not held(summary(rows, 330.0), 300, 200)  # answered, but at 273/s
