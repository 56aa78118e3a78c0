"""A person who took part in a meeting finds her part of it in "download my data": her seat
(invitation, reply, check-in, confirming the draft), her requests to speak and speeches, her
answers to votes in the room, her corrections and her signature; and nobody else's."""

import json

import pytest
from django.urls import reverse

from meetings import services
from tests.meeting_factories import live_consultation

pytestmark = pytest.mark.django_db


@pytest.fixture
def signed(community, chair, community_worker, owner, resident):
    """王芳 (resident) and 李明 (owner) each spoke, voted, corrected and signed."""
    meeting = live_consultation(community, chair, community_worker, owner, resident)
    item = meeting.items.order_by("position").first()
    services.open_item(meeting, by=chair, item_id=item.pk)
    vote = services.open_live_vote(meeting, by=chair, item_id=item.pk, question="先修2号楼？")
    took_part = [(resident, "王芳：先修2号楼", "yes"), (owner, "李明：一起修", "no")]
    for person, said, choice in took_part:
        hand = services.raise_hand(meeting, by=person, item_id=item.pk)
        services.grant_floor(meeting, by=chair, request_id=hand.pk)
        services.record_speech(meeting, by=community_worker, request_id=hand.pk, summary=said)
        services.cast_live_vote(meeting, by=person, vote_id=vote.pk, choice=choice)
    services.close_live_vote(meeting, by=chair, vote_id=vote.pk)
    services.close_meeting(meeting, by=chair)
    services.send_for_corrections(meeting, by=community_worker)
    for person, text in [(resident, "王芳更正：是2号楼"), (owner, "李明更正：费用另议")]:
        correction = services.submit_correction(meeting, by=person, text=text)
        services.resolve_correction(
            meeting, by=community_worker, correction_id=correction.pk, accept=False
        )
        services.confirm_draft(meeting, by=person)
    services.finalise_minutes(meeting, by=chair)
    for person in (resident, owner):
        services.sign_minutes(meeting, by=person)
    return meeting


def test_a_resident_finds_her_part_in_a_meeting_and_nobody_elses(client, signed, resident):
    client.force_login(resident)
    response = client.get(reverse("my_data_download") + "?format=json")
    data = json.loads(response.content)

    seats = data["meeting_seats"]
    assert [(s["meeting"], s["name"]) for s in seats] == [(signed.title, "王芳")]
    assert seats[0]["checked_in_at"] is not None and seats[0]["draft_confirmed_at"] is not None
    assert [s["summary"] for s in data["meeting_speeches"]] == ["王芳：先修2号楼"]
    assert [a["choice"] for a in data["meeting_votes"]] == ["同意"]
    assert [c["text"] for c in data["meeting_corrections"]] == ["王芳更正：是2号楼"]
    assert [(s["participant"], s["method"]) for s in data["meeting_signatures"]] == [
        ("王芳", "线上确认")
    ]
    text = response.content.decode()
    assert "李明更正" not in text and "李明：一起修" not in text


def test_the_chair_finds_the_signature_she_gave_in_office(client, signed, chair, resident):
    services.sign_minutes(signed, by=chair)

    client.force_login(chair)
    mine = json.loads(client.get(reverse("my_data_download") + "?format=json").content)
    assert [(s["capacity"], s["meeting"]) for s in mine["meeting_signatures"]] == [
        ("chair", signed.title)
    ]
    client.force_login(resident)
    hers = json.loads(client.get(reverse("my_data_download") + "?format=json").content)
    assert [s["capacity"] for s in hers["meeting_signatures"]] == ["participant"]
