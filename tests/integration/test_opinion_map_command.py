"""`manage.py opinion_map --polis-export DIR --json OUT`, as an operator runs it."""

import csv
import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

VTAIWAN = Path(__file__).resolve().parents[3] / "shared" / "data" / "polis" / "vtaiwan.uberx"


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


@pytest.mark.django_db
def test_a_topic_goes_out_in_polis_format_and_comes_back_as_the_same_map(
    tmp_path, community, resident, community_worker
):
    from deliberation.services import opinions
    from tests.integration.test_opinion_pages import SHARED, build_camps
    from tests.topic_factories import discussing

    topic = discussing(community, resident, community_worker, title="小区停车怎么管")
    camps = build_camps(topic, community_worker, resident, [7, 6])
    hidden = opinions.write_statement(topic, by=resident, text="点名批评某户")
    opinions.moderate_statement(hidden, by=community_worker, show=False, reason="点名个人")

    call_command("opinion_map", "--topic", str(topic.pk), "--polis-out", str(tmp_path))

    with (tmp_path / "comments.csv").open(encoding="utf-8") as handle:
        comments = list(csv.DictReader(handle))
    assert {c["comment-body"]: c["moderated"] for c in comments}["点名批评某户"] == "-1"
    with (tmp_path / "votes.csv").open(encoding="utf-8") as handle:
        votes = list(csv.DictReader(handle))
    people = camps[0] + camps[1]
    assert len(votes) == len(people) * 14  # every camp member answered the 14 statements
    exported = (tmp_path / "votes.csv").read_text(encoding="utf-8")
    exported += (tmp_path / "comments.csv").read_text(encoding="utf-8")
    assert all(person.real_name not in exported for person in people)
    assert {int(v["voter-id"]) for v in votes} == set(range(1, len(people) + 1))  # 0: author

    out = tmp_path / "map.json"
    call_command("opinion_map", "--polis-export", str(tmp_path), "--json", str(out))
    data = json.loads(out.read_text(encoding="utf-8"))
    assert [g["size"] for g in data["groups"]] == [7, 6]
    assert {c["text"] for c in data["consensus"]} == set(SHARED)


def test_the_command_says_what_it_needs(tmp_path):
    with pytest.raises(CommandError, match="--topic needs --polis-out"):
        call_command("opinion_map", "--topic", "1")
    with pytest.raises(CommandError, match="Give --polis-export DIR --json OUT"):
        call_command("opinion_map", "--polis-export", str(tmp_path))
