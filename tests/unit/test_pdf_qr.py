"""Ballot QR codes name the vote and the head, and a forged or altered code is refused."""

from deliberation.documents.qr import ballot_qr_payload, parse_ballot_qr, qr_svg_data_uri


def test_a_ballot_code_round_trips_to_its_vote_and_head():
    assert parse_ballot_qr(ballot_qr_payload(12, "h345")) == (12, "h345")


def test_an_altered_ballot_code_is_refused():
    payload = ballot_qr_payload(12, "h345")
    assert parse_ballot_qr(payload.replace("h345", "h346")) is None
    assert parse_ballot_qr("GYB1:12:h345:0000000000") is None
    assert parse_ballot_qr("not a ballot") is None


def test_the_qr_code_is_an_inline_svg_data_uri():
    assert qr_svg_data_uri("GYB1:1:h1:abc").startswith("data:image/svg+xml")
