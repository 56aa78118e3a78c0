"""`manage.py opinion_map --polis-export DIR --json OUT`, as an operator runs it."""

import csv
import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

VTAIWAN = Path("/work/shared/data/polis/vtaiwan.uberx")


def write_export(folder, votes, comments=None):
    with (folder / "comments.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["timestamp", "datetime", "comment-id", "author-id", "agrees",
                         "disagrees", "moderated", "comment-body"])  # fmt: skip
        for cid, moderated, body in comments or []:
            writer.writerow([0, "", cid, 0, 0, 0, moderated, body])
    with (folder / "votes.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["timestamp", "datetime", "comment-id", "voter-id", "vote"])
        for time, cid, voter, vote in votes:
            writer.writerow([time, "", cid, voter, vote])


def two_camp_export(folder):
    comments = [(c, 0, f"statement {c}") for c in range(10)] + [(10, -1, "removed")]
    votes, time = [], 0
    for voter in range(12):
        for cid in range(10):
            time += 1
            if cid >= 8:
                vote = 1  # everyone agrees with 8 and 9
            else:
                vote = 1 if (cid < 4) == (voter < 6) else -1
            if cid == voter % 8:
                vote = 0
            votes.append((time, cid, voter, vote))
        votes.append((time + 1, 10, voter, 1))
    votes.append((time + 5, 0, 99, 1))  # a voter with one vote: listed, not grouped
    write_export(folder, votes, comments)


def test_the_command_writes_groups_and_consensus_with_the_exports_ids(tmp_path):
    two_camp_export(tmp_path)
    out = tmp_path / "map.json"

    call_command("opinion_map", "--polis-export", str(tmp_path), "--json", str(out))

    data = json.loads(out.read_text(encoding="utf-8"))
    assert set(data["participants"]) == {str(v) for v in range(12)} | {"99"}
    assert data["participants"]["99"] is None
    camp = {data["participants"][str(v)] for v in range(6)}
    other = {data["participants"][str(v)] for v in range(6, 12)}
    assert len(camp) == len(other) == 1 and camp != other
    assert [g["size"] for g in data["groups"]] == [6, 6]
    assert {c["statement"] for c in data["consensus"]} == {8, 9}
    assert {c["text"] for c in data["consensus"]} == {"statement 8", "statement 9"}


def test_a_later_vote_in_the_export_replaces_the_earlier_one(tmp_path):
    two_camp_export(tmp_path)
    with (tmp_path / "votes.csv").open("a", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        for voter in range(12):  # everyone turns against statement 9, later
            writer.writerow([10_000 + voter, "", 9, voter, -1])
    out = tmp_path / "map.json"

    call_command("opinion_map", "--polis-export", str(tmp_path), "--json", str(out))

    consensus = json.loads(out.read_text(encoding="utf-8"))["consensus"]
    assert ("9", "disagree") in {(str(c["statement"]), c["direction"]) for c in consensus}
    assert ("9", "agree") not in {(str(c["statement"]), c["direction"]) for c in consensus}


def test_an_export_with_a_missing_column_names_it_and_writes_nothing(tmp_path):
    two_camp_export(tmp_path)
    rows = (tmp_path / "votes.csv").read_text(encoding="utf-8").splitlines()
    rows[0] = rows[0].replace("voter-id", "participant")
    (tmp_path / "votes.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    out = tmp_path / "map.json"

    with pytest.raises(CommandError, match=r"votes.csv: missing column\(s\) voter-id"):
        call_command("opinion_map", "--polis-export", str(tmp_path), "--json", str(out))
    assert not out.exists()


def test_a_folder_without_the_export_files_is_refused(tmp_path):
    with pytest.raises(CommandError, match="comments.csv: file not found"):
        call_command("opinion_map", "--polis-export", str(tmp_path), "--json", "-")


@pytest.mark.skipif(not VTAIWAN.is_dir(), reason="the vTaiwan export is not on this machine")
def test_vtaiwan_export_maps_to_two_groups(tmp_path):
    out = tmp_path / "map.json"
    call_command("opinion_map", "--polis-export", str(VTAIWAN), "--json", str(out))
    data = json.loads(out.read_text(encoding="utf-8"))
    assert len(data["groups"]) == 2
    assert len(data["participants"]) == 1921
