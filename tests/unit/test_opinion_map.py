"""The opinion map's method on hand-made vote matrices whose answer is known, and on vTaiwan."""

import csv
from pathlib import Path

import numpy as np
import pytest
from sklearn.metrics import adjusted_rand_score

from deliberation import opinion_map as om

VTAIWAN = Path(__file__).resolve().parents[3] / "shared" / "data" / "polis" / "vtaiwan.uberx"


def votes_from(table, start=0):
    """(participant, statement, vote, time) rows from {participant: {statement: vote}}."""
    rows = []
    for participant, cast in table.items():
        for statement, vote in cast.items():
            rows.append((participant, statement, vote, start + len(rows)))
    return rows


def two_camps():
    """Six people for A (s1-s4) and against B (s5-s8), six the other way; all agree s9, s10.

    Each person passes on one statement of their camp's so that nobody is identical.
    """
    table = {}
    for person in range(12):
        camp_a = person < 6
        cast = {}
        for s in range(1, 9):
            for_a = s <= 4
            cast[f"s{s}"] = om.AGREE if for_a == camp_a else om.DISAGREE
        cast[f"s{person % 6 + 1 if person % 6 < 4 else person % 6 + 3}"] = om.PASS
        cast["s9"] = om.AGREE
        cast["s10"] = om.AGREE
        table[f"p{person}"] = cast
    return table


def test_latest_vote_wins_and_removed_statements_are_dropped():
    rows = [
        ("ann", "s1", om.AGREE, 5),
        ("ann", "s1", om.DISAGREE, 9),  # later: wins
        ("ann", "s2", om.AGREE, 3),
        ("ann", "s2", om.PASS, 1),  # earlier in time though later in the list: loses
        ("bob", "gone", om.AGREE, 2),  # a removed statement only
    ]
    matrix = om.vote_matrix(rows, removed={"gone"})

    assert matrix.statements == ["s1", "s2"]
    assert matrix.participants == ["ann", "bob"]
    assert matrix.values[0].tolist() == [-1.0, 1.0]
    assert np.isnan(matrix.values[1]).all()


def test_a_vote_other_than_agree_disagree_pass_is_refused():
    with pytest.raises(om.OpinionMapError, match="vote 2 on statement 's1'"):
        om.vote_matrix([("ann", "s1", 2, 0)])


def test_two_camps_are_found_with_their_statements_and_the_consensus():
    table = two_camps()
    result = om.compute(votes_from(table))

    assert [g.size for g in result.groups] == [6, 6]
    camp_of = {p: int(p[1:]) < 6 for p in table}
    for group in result.groups:
        members = {p for p, g in result.participants.items() if g == group.number}
        assert len({camp_of[p] for p in members}) == 1  # a group is one camp, whole
        for_a = camp_of[next(iter(members))]
        for score in group.representative:
            number = int(score.statement[1:])
            assert number <= 8  # never the shared s9, s10
            expected = "agree" if (number <= 4) == for_a else "disagree"
            assert score.direction == expected
        assert group.representative
    assert {s.statement for s in result.consensus} == {"s9", "s10"}
    assert all(s.direction == "agree" for s in result.consensus)
    assert {s.statement for s in result.divisive} <= {f"s{n}" for n in range(1, 9)}
    assert len(result.divisive) == 5


def test_participants_with_fewer_than_seven_votes_are_not_grouped():
    table = two_camps()
    table["late"] = {"s1": om.AGREE, "s2": om.AGREE, "s9": om.AGREE}  # three votes
    table["quiet"] = {f"s{n}": om.AGREE for n in range(1, 8)}  # exactly seven: grouped
    result = om.compute(votes_from(table))

    assert result.participants["late"] is None
    assert result.participants["quiet"] is not None
    assert sum(g.size for g in result.groups) == 13


def test_repness_uses_smoothed_shares_and_both_significance_tests():
    # Group one: 5 of 6 agree with s1; the rest: all 6 disagree. Recounted by hand:
    # pa = (5 + 1) / (6 + 2) = 0.75; the rest's (0 + 1) / (6 + 2) = 0.125; ratio 6.
    values = np.full((12, 1), float(om.DISAGREE))
    values[:5, 0] = om.AGREE
    labels = np.array([0] * 6 + [1] * 6)
    best = om.representative(values, labels, 0, ["s1"])

    assert [(s.statement, s.direction, s.agree, s.seen) for s in best] == [("s1", "agree", 5, 6)]
    assert best[0].share == pytest.approx(0.75)
    z_p = 2 * np.sqrt(7) * (6 / 7 - 0.5)
    p_in, p_out, pooled = 6 / 7, 1 / 7, 6 / 13
    z_r = (p_in - p_out) / np.sqrt(pooled * (1 - pooled) * (1 / 7 + 1 / 7))
    assert best[0].score == pytest.approx(6 * z_r * 0.75 * z_p)


def test_a_share_too_small_to_be_significant_is_not_representative():
    # Two of three agree, the rest split: neither test reaches the 90% bar.
    values = np.array([[1.0], [1.0], [-1.0], [1.0], [-1.0], [1.0]])
    labels = np.array([0, 0, 0, 1, 1, 1])
    assert om.representative(values, labels, 0, ["s1"]) == []


def test_consensus_is_the_product_of_each_groups_smoothed_agreement():
    # Group 0: 4 of 4 agree; group 1: 3 of 4 agree, one passes.
    values = np.array([[1.0]] * 4 + [[1.0]] * 3 + [[0.0]])
    labels = np.array([0] * 4 + [1] * 4)
    (found,) = om.consensus(values, labels, [0, 1], ["s1"])

    assert found.direction == "agree"
    assert found.score == pytest.approx((5 / 6) * (4 / 6))


def test_sparse_participants_are_pushed_out_by_polis_scaling():
    values = np.array(
        [
            [1.0, 1.0, -1.0, -1.0],
            [-1.0, -1.0, 1.0, 1.0],
            [1.0, 1.0, -1.0, np.nan],
            [-1.0, np.nan, np.nan, 1.0],
            [1.0, -1.0, 1.0, -1.0],
        ]
    )
    coords, _ = om.project(values)

    # Recount: mean-impute, centre, project on the top two right singular vectors.
    means = np.nanmean(values, axis=0)
    filled = np.where(np.isnan(values), means, values)
    centred = filled - filled.mean(axis=0)
    _, _, vt = np.linalg.svd(centred, full_matrices=False)
    plain = centred @ vt[:2].T
    scale = np.sqrt(4 / np.array([4, 4, 3, 2, 4]))
    assert np.abs(coords) == pytest.approx(np.abs(plain * scale[:, None]))


def test_moderated_out_statements_count_in_the_scaling_as_polis_zeroes_them():
    values = np.array([[1.0, np.nan], [-1.0, 1.0], [1.0, -1.0]])
    alone, _ = om.project(values)
    with_removed, _ = om.project(values, removed_count=2)

    # Row 0 voted once of two: sqrt(2/1) alone, sqrt((2+2)/(1+2)) with two zeroed columns.
    assert abs(with_removed[0, 0]) == pytest.approx(abs(alone[0, 0]) / np.sqrt(2) * np.sqrt(4 / 3))


def test_the_map_is_the_same_every_time():
    rows = votes_from(two_camps())
    first, second = om.compute(rows), om.compute(list(reversed(rows)))
    assert first.participants == second.participants
    assert first.consensus == second.consensus


def test_too_few_participants_give_no_groups():
    result = om.compute(votes_from({"a": {f"s{n}": 1 for n in range(8)}}))
    assert result.groups == [] and result.participants == {"a": None}


def polis_groups():
    with (VTAIWAN / "participants-votes.csv").open(newline="", encoding="utf-8") as handle:
        return {
            int(row["participant"]): int(row["group-id"])
            for row in csv.DictReader(handle)
            if row["group-id"] != ""
        }


@pytest.mark.skipif(not VTAIWAN.is_dir(), reason="the vTaiwan export is not on this machine")
def test_vtaiwan_gives_polis_groups():
    votes, statements, removed, _ = om.read_polis_export(VTAIWAN)
    result = om.compute(votes, statements, removed)
    polis = polis_groups()

    assert len(result.groups) == len(set(polis.values())) == 2
    common = [p for p in polis if result.participants.get(p) is not None]
    assert len(common) >= 0.99 * len(polis)
    ari = adjusted_rand_score([polis[p] for p in common], [result.participants[p] for p in common])
    assert ari >= 0.8


def test_a_polis_export_with_a_missing_column_is_refused_by_name(tmp_path):
    (tmp_path / "comments.csv").write_text("comment-id,moderated,comment-body\n1,0,hi\n")
    (tmp_path / "votes.csv").write_text("timestamp,comment-id,vote\n1,1,1\n")
    with pytest.raises(om.OpinionMapError, match=r"votes.csv: missing column\(s\) voter-id"):
        om.read_polis_export(tmp_path)
