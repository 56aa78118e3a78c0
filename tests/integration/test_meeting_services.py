"""Meeting services: notice periods, seats and roles, the queue, hearings, quorum, minutes."""

from datetime import datetime, time, timedelta

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from deliberation.audit import history_of, verify_chain
from deliberation.models import Notice, NoticeKind
from meetings import services
from meetings.access import may_in
from meetings.models import (
    CorrectionStatus,
    HearingStage,
    ItemStatus,
    Kind,
    Meeting,
    MinutesEntry,
    SpeakerStatus,
    Status,
)
from meetings.rendering import room_state
from tests.factories import add_member, make_user
from tests.meeting_factories import live_consultation, make_meeting

pytestmark = pytest.mark.django_db


@pytest.fixture
def live_meeting(community, chair, community_worker, owner, resident):
    return live_consultation(community, chair, community_worker, owner, resident)


def _draft(community, chair, kind, days_ahead, **extra):
    return services.create_meeting(
        community=community,
        by=chair,
        kind=kind,
        title="听证会：加装电梯",
        chair=chair,
        place="议事厅",
        starts_at=timezone.now() + timedelta(days=days_ahead),
        **extra,
    )


def test_a_resident_cannot_create_a_meeting(community, resident):
    with pytest.raises(PermissionDenied):
        _draft(community, resident, Kind.CONSULTATION, 3)


@pytest.mark.parametrize(
    ("kind", "too_soon", "enough"),
    [(Kind.HEARING, 6, 8), (Kind.OWNERS_SESSION, 14, 16), (Kind.CONSULTATION, 0, 1)],
)
def test_the_notice_respects_each_kinds_notice_period(community, chair, kind, too_soon, enough):
    estate = community.estates.first()
    extra = {"estate": estate} if kind == Kind.OWNERS_SESSION else {}
    early = _draft(community, chair, kind, too_soon, **extra)
    services.add_agenda_item(early, by=chair, title="方案")
    if too_soon:
        early.starts_at = timezone.now() + timedelta(days=too_soon) - timedelta(hours=1)
        early.save()
        with pytest.raises(ValidationError):
            services.publish_meeting_notice(early, by=chair)
        early.refresh_from_db()
        assert early.status == Status.DRAFT
    ok = _draft(community, chair, kind, enough, **extra)
    services.add_agenda_item(ok, by=chair, title="方案")
    notice = services.publish_meeting_notice(ok, by=chair)
    ok.refresh_from_db()
    assert ok.status == Status.NOTICED
    assert ok.notice == notice
    assert notice.kind == NoticeKind.MEETING


def test_the_notice_needs_an_agenda(community, chair):
    meeting = _draft(community, chair, Kind.CONSULTATION, 3)
    with pytest.raises(ValidationError):
        services.publish_meeting_notice(meeting, by=chair)
    assert not Notice.objects.exists()


def test_a_party_secretary_who_does_not_chair_this_meeting_cannot_run_it(live_meeting, community):
    other_secretary = add_member(community, "party_secretary", name="钱书记")
    first = live_meeting.items.first()
    with pytest.raises(PermissionDenied):
        services.open_item(live_meeting, by=other_secretary, item_id=first.pk)


ROOM_ACTIONS = {
    # action: (chair, secretary, participant, member without a seat)
    "meeting.agenda": (True, False, False, False),
    "meeting.floor": (True, False, False, False),
    "meeting.live_vote": (True, False, False, False),
    "meeting.raise_hand": (True, True, True, False),
    "meeting.cast_live_vote": (True, True, True, False),
    "meeting.write_minutes": (False, True, False, False),
    "meeting.check_in_other": (True, True, False, False),
    "meeting.close": (True, False, False, False),
    "meeting.display": (True, True, True, False),
}


@pytest.mark.parametrize("action", sorted(ROOM_ACTIONS))
def test_each_room_action_by_each_seat(
    action, live_meeting, chair, community_worker, owner, grid_worker
):
    people = (chair, community_worker, owner, grid_worker)
    allowed = tuple(may_in(person, live_meeting, action) for person in people)
    assert allowed == ROOM_ACTIONS[action]


def test_room_actions_are_refused_before_the_meeting_opens(community, chair, owner):
    meeting = make_meeting(community, chair, participants=[owner], status=Status.NOTICED)
    assert not may_in(chair, meeting, "meeting.agenda")
    assert may_in(chair, meeting, "meeting.open")
    assert may_in(owner, meeting, "meeting.check_in")


def test_the_queue_is_first_come_unless_the_chair_reorders_and_that_is_recorded(
    community, chair, owner, resident, committee_member
):
    meeting = make_meeting(community, chair, participants=[owner, resident, committee_member])
    item = meeting.items.first()
    services.open_item(meeting, by=chair, item_id=item.pk)
    first = services.raise_hand(meeting, by=owner, item_id=item.pk)
    second = services.raise_hand(meeting, by=resident, item_id=item.pk)
    third = services.raise_hand(meeting, by=committee_member, item_id=item.pk)
    assert [r.pk for r in services.queue_of(item)] == [first.pk, second.pk, third.pk]
    services.move_speaker(meeting, by=chair, request_id=third.pk, position=1)
    assert [r.pk for r in services.queue_of(item)] == [third.pk, first.pk, second.pk]
    third.refresh_from_db()
    assert third.reordered_by == chair
    entry = history_of(meeting).filter(verb="meeting.move_speaker").get()
    assert entry.data["order"] == [third.pk, first.pk, second.pk]


def test_a_hand_is_raised_once_and_only_after_check_in(community, chair, owner, resident):
    meeting = make_meeting(community, chair, participants=[owner])
    item = meeting.items.first()
    services.open_item(meeting, by=chair, item_id=item.pk)
    services.raise_hand(meeting, by=owner, item_id=item.pk)
    with pytest.raises(ValidationError):
        services.raise_hand(meeting, by=owner, item_id=item.pk)
    late = make_meeting(community, chair, participants=[resident], checked_in=False)
    late_item = late.items.first()
    services.open_item(late, by=chair, item_id=late_item.pk)
    with pytest.raises(ValidationError):
        services.raise_hand(late, by=resident, item_id=late_item.pk)


def test_the_floor_has_a_deadline_from_the_items_speaking_limit(live_meeting, chair, owner):
    item = live_meeting.items.first()
    item.speaking_time_s = 120
    item.save()
    services.open_item(live_meeting, by=chair, item_id=item.pk)
    hand = services.raise_hand(live_meeting, by=owner, item_id=item.pk)
    granted = services.grant_floor(live_meeting, by=chair, request_id=hand.pk)
    assert granted.ends_at - granted.granted_at == timedelta(seconds=120)
    services.end_floor(live_meeting, by=chair, request_id=hand.pk)
    hand.refresh_from_db()
    assert hand.status == SpeakerStatus.DONE


def test_closing_an_item_clears_its_queue(live_meeting, chair, owner):
    item = live_meeting.items.first()
    services.open_item(live_meeting, by=chair, item_id=item.pk)
    hand = services.raise_hand(live_meeting, by=owner, item_id=item.pk)
    services.close_item(live_meeting, by=chair, item_id=item.pk)
    hand.refresh_from_db()
    assert hand.status == SpeakerStatus.SKIPPED
    with pytest.raises(ValidationError):
        services.close_item(live_meeting, by=chair, item_id=item.pk)


def test_a_hearing_moves_forward_through_time_boxed_stages(
    community, chair, community_worker, owner
):
    hearing = make_meeting(
        community, chair, secretary=community_worker, participants=[owner], kind=Kind.HEARING
    )
    services.set_hearing_stage(hearing, by=chair, stage=HearingStage.OPENING, minutes=5)
    services.set_hearing_stage(hearing, by=chair, stage=HearingStage.STATEMENTS, minutes=20)
    hearing.refresh_from_db()
    assert hearing.hearing_stage == HearingStage.STATEMENTS
    assert hearing.stage_ends_at > timezone.now() + timedelta(minutes=19)
    with pytest.raises(ValidationError):
        services.set_hearing_stage(hearing, by=chair, stage=HearingStage.OPENING, minutes=5)
    with pytest.raises(PermissionDenied):
        services.set_hearing_stage(hearing, by=owner, stage=HearingStage.DEBATE, minutes=5)
    item = hearing.items.first()
    services.open_item(hearing, by=chair, item_id=item.pk)
    hand = services.raise_hand(hearing, by=owner, item_id=item.pk)
    services.grant_floor(hearing, by=chair, request_id=hand.pk)
    services.record_speech(hearing, by=community_worker, request_id=hand.pk, summary="反对加价")
    record = services.minutes_context(hearing)
    assert record["items"][0]["speeches"][0]["summary"] == "反对加价"
    assert any("反对加价" in e["text"] for e in record["entries"])


def test_a_consultation_counts_present_against_invited(live_meeting):
    state = room_state(live_meeting)
    assert (state["present_count"], state["invited_count"], state["quorum"]) == (2, 2, None)


def test_an_owners_session_shows_quorum_by_area_and_head_through_the_rules(community, chair):
    # The factory community has 6 flats of 80 m², each its own head: 4 of 6 is exactly 2/3.
    estate = community.estates.first()
    owners = []
    for n in range(4):
        owners.append(add_member(community, "owner", user=make_user(name=f"业主甲{n}")))
    meeting = make_meeting(
        community, chair, participants=owners, kind=Kind.OWNERS_SESSION, estate=estate
    )
    quorum = room_state(meeting)["quorum"]
    assert (quorum["heads"], quorum["total_heads"]) == (4, 6)
    assert (quorum["area"], quorum["total_area"]) == ("320.00", "480.00")
    assert quorum["met"] is True  # 2/3 is inclusive
    meeting.participants.filter(user=owners[0]).update(checked_in_at=None)
    assert room_state(meeting)["quorum"]["met"] is False


def test_the_developers_representative_counts_as_one_present_head(community, chair):
    from deliberation.models import Holder, HolderKind, Ownership, Unit

    estate = community.estates.first()
    developer = Holder.objects.create(community=community, kind=HolderKind.DEVELOPER, name="开发商")
    for unit in Unit.objects.filter(building__estate=estate).order_by("pk")[:2]:
        Ownership.objects.filter(unit=unit).delete()
        Ownership.objects.create(unit=unit, holder=developer)
    agent = make_user(name="开发商代表")
    developer.user = agent
    developer.save()
    meeting = make_meeting(
        community, chair, participants=[agent], kind=Kind.OWNERS_SESSION, estate=estate
    )
    quorum = room_state(meeting)["quorum"]
    assert (quorum["heads"], quorum["total_heads"]) == (1, 5)
    assert (quorum["area"], quorum["total_area"]) == ("160.00", "480.00")


def test_the_minutes_go_through_corrections_signatures_and_publication(
    live_meeting, chair, community_worker, owner, resident
):
    item = live_meeting.items.first()
    services.open_item(live_meeting, by=chair, item_id=item.pk)
    services.add_minutes_entry(
        live_meeting, by=community_worker, text="同意先修2号电梯", item_id=item.pk, kind="decision"
    )
    services.close_meeting(live_meeting, by=chair)
    services.send_for_corrections(live_meeting, by=community_worker)
    live_meeting.refresh_from_db()
    # Five days, the first not counted, ending at 24:00 of the fifth (Civil Code arts. 201, 203)
    fifth = timezone.localdate() + timedelta(days=5)
    assert timezone.localtime(live_meeting.corrections_until) == timezone.make_aware(
        datetime.combine(fifth + timedelta(days=1), time.min)
    )
    correction = services.submit_correction(live_meeting, by=owner, text="我说的是3号楼")
    with pytest.raises(ValidationError):
        services.finalise_minutes(live_meeting, by=community_worker)
    services.resolve_correction(
        live_meeting, by=community_worker, correction_id=correction.pk, accept=True
    )
    correction.refresh_from_db()
    assert correction.status == CorrectionStatus.ACCEPTED
    with time_machine.travel(live_meeting.corrections_until, tick=True):
        services.finalise_minutes(live_meeting, by=community_worker)
    with pytest.raises(PermissionDenied):
        services.add_minutes_entry(live_meeting, by=community_worker, text="迟到的补充")
    services.sign_minutes(live_meeting, by=owner)
    with pytest.raises(ValidationError):
        services.sign_minutes(live_meeting, by=owner)
    services.sign_minutes(live_meeting, by=chair)
    with pytest.raises(ValidationError):
        services.publish_minutes(live_meeting, by=chair)  # secretary and 王芳 still to sign
    services.sign_minutes(live_meeting, by=community_worker)
    participant = live_meeting.participants.get(user=resident)
    services.record_paper_signature(
        live_meeting,
        by=community_worker,
        participant_id=participant.pk,
        refused=True,
        note="不同意记录",
    )
    services.publish_minutes(live_meeting, by=chair)
    live_meeting.refresh_from_db()
    assert live_meeting.status == Status.PUBLISHED
    assert Notice.objects.filter(kind=NoticeKind.MINUTES).exists()
    with pytest.raises(ValidationError):
        MinutesEntry.objects.create(meeting=live_meeting, text="篡改")
    record = services.minutes_context(live_meeting)
    assert record["items"][0]["decision"] == "同意先修2号电梯"
    assert {p["name"]: p["signature_note"] for p in record["participants"]}["王芳"] == "不同意记录"
    assert set(record["officer_signatures"]) == {"chair", "secretary"}
    assert verify_chain()[2] == ""


def test_corrections_after_the_window_are_refused(live_meeting, chair, community_worker, owner):
    services.close_meeting(live_meeting, by=chair)
    services.send_for_corrections(live_meeting, by=community_worker)
    later = timezone.now() + timedelta(days=6)
    with pytest.raises(ValidationError):
        services.submit_correction(live_meeting, by=owner, text="太晚了", now=later)


def test_minutes_context_is_plain_data(live_meeting, chair):
    services.close_meeting(live_meeting, by=chair)
    record = services.minutes_context(Meeting.objects.get(pk=live_meeting.pk))

    def plain(value):
        if isinstance(value, dict):
            return all(isinstance(k, str) and plain(v) for k, v in value.items())
        if isinstance(value, list):
            return all(plain(v) for v in value)
        return value is None or isinstance(value, str | int | bool | type(timezone.now()))

    assert plain(record)
    assert record["items"][0]["title"] == "电梯维修方案"
    assert record["status"] == Status.CLOSED


def test_a_closed_meeting_closes_its_open_item(live_meeting, chair):
    item = live_meeting.items.first()
    services.open_item(live_meeting, by=chair, item_id=item.pk)
    services.close_meeting(live_meeting, by=chair)
    item.refresh_from_db()
    assert item.status == ItemStatus.CLOSED


def test_an_owners_session_ballot_goes_through_the_votes_cast_function(
    community, chair, owner, committee_member
):
    from deliberation.models import Ballot
    from tests.vote_factories import open_vote

    assembly = open_vote(community, committee_member)
    matter = assembly.matters.get()
    meeting = make_meeting(
        community,
        chair,
        participants=[owner],
        kind=Kind.OWNERS_SESSION,
        estate=community.estates.first(),
    )
    item = meeting.items.first()
    item.vote_matter = matter
    item.save()
    services.open_item(meeting, by=chair, item_id=item.pk)
    live = services.open_live_vote(meeting, by=chair, item_id=item.pk, question=matter.title)
    assert live.kind == "ballot"
    services.cast_live_vote(meeting, by=owner, vote_id=live.pk, choice="yes")
    ballot = Ballot.objects.get(matter=matter)
    assert (ballot.channel, ballot.choice) == ("meeting", "yes")
    with pytest.raises(ValidationError):
        services.cast_live_vote(meeting, by=owner, vote_id=live.pk, choice="no")
    assert Ballot.objects.filter(matter=matter).count() == 1


def test_an_english_speaking_chair_still_writes_the_record_in_its_language(live_meeting, chair):
    """The minutes are one record that everyone corrects and signs: an entry the room writes
    is in the site's language, not in the language of the screen that caused it."""
    from django.utils import translation

    first = live_meeting.items.order_by("position").first()
    with translation.override("en"):
        services.open_item(live_meeting, by=chair, item_id=first.pk)
    entry = MinutesEntry.objects.filter(meeting=live_meeting, automatic=True).latest("pk")
    assert entry.text == f"开始审议第 {first.position} 项：{first.title}"
