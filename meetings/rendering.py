"""Render the room from the database, once per audience and language, and fan out the bytes.

The room page is made of sections (status, agenda, queue, vote, attendance, minutes), each a
`{% partialdef %}` in templates/meetings/room.html whose root element carries a stable id.
After a command, the changed sections are rendered once for each audience (chair console,
participant view, public display) in each language and published once to that audience's
group (plumbing/fanout.py: each worker process receives it once and writes it to its sockets
there); the htmx ws extension swaps each element in place by id. What concerns one person
(`send_notice`) and control messages (`reseat`) go to each socket's own consumer.
"""

from functools import partial

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.db.models import Count, Q
from django.dispatch import receiver
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.html import format_html

from deliberation import rules
from deliberation.models import AssemblyVote
from deliberation.registry import electorate_holdings, head_key
from deliberation.services.votes import holdings_of
from meetings.access import AUDIENCES, CHAIR
from meetings.models import (
    HEARING_ORDER,
    HearingStage,
    ItemStatus,
    LiveChoice,
    LiveVoteResponse,
    LiveVoteStatus,
    Meeting,
    Participant,
    SpeakerStatus,
)
from meetings.opinion_room import room_map
from meetings.services import ALL_SECTIONS, live_vote_summary, opens_early, queue_of
from meetings.signals import room_changed, seats_changed
from plumbing import batching, fanout

LANGUAGES = [code for code, _name in settings.LANGUAGES]
RECENT_MINUTES = 30


def group_name(meeting_id, audience, language):
    return f"meeting-{meeting_id}-{audience}-{language}"


def user_group(meeting_id, user_id):
    return f"meeting-{meeting_id}-user-{user_id}"


def control_group(meeting_id):
    """Every socket of the room, for control messages such as 're-check your seat'."""
    return f"meeting-{meeting_id}-all"


def quorum_of(meeting):
    """Present area and heads against the 2/3 participation lines, by the rules engine.

    None unless the meeting is an owners' assembly session. Keys: area, total_area (strings
    with two decimals), heads, total_heads, area_met, heads_met, met, area_percent,
    heads_percent, and reasons: the two tests as rules.Reason lines in both languages.
    """
    if not meeting.is_owners_session or meeting.estate_id is None:
        return None
    holdings = _session_electorate(meeting)
    if not holdings:
        return None
    present_holders = meeting.participants.exclude(checked_in_at=None).exclude(holder=None)
    present_keys = {
        head_key(pk, kind) for pk, kind in present_holders.values_list("holder_id", "holder__kind")
    }
    count = rules.attendance(holdings, present_keys)
    total_area, area = count.total_area, count.present_area
    total_heads, heads = count.total_headcount, count.present_headcount
    return {
        "area": f"{area:.2f}",
        "total_area": f"{total_area:.2f}",
        "heads": heads,
        "total_heads": total_heads,
        "area_met": count.area_met,
        "heads_met": count.headcount_met,
        "met": count.met,
        # Display only: the bars' widths, never a decision.
        "area_percent": int(100 * area // total_area) if total_area else 0,
        "heads_percent": 100 * heads // total_heads if total_heads else 0,
        "reasons": count.reasons,
    }


def _session_electorate(meeting):
    """The holdings the session's quorum is counted against: the electorate frozen for the
    assembly vote it carries, so the room, the minutes and the vote's result count the same
    owners and areas even after the register has changed; the live register otherwise."""
    vote_ids = {
        vote_id
        for vote_id in meeting.items.exclude(vote_matter=None).values_list(
            "vote_matter__vote_id", flat=True
        )
    }
    if len(vote_ids) == 1:
        vote = AssemblyVote.objects.filter(pk=vote_ids.pop(), heads__isnull=False).first()
        if vote is not None:
            return holdings_of(vote)
    return electorate_holdings(meeting.estate)


# The chair's console lists everyone invited while they are this many or fewer; in a larger
# room, the first this many not yet checked in (whom the chair checks in), and the whole list
# is a page of its own, searched by name (meeting_attendance). The console is rendered again
# and sent after every check-in: 5,000 people with a button each were 1.9 MB a time, more than
# a websocket message may carry on daphne (1 MiB).
CONSOLE_PEOPLE = 30


def attendance_counts(meeting):
    """{"invited": n, "present": n}: the meeting's seats, and those checked in."""
    return meeting.participants.aggregate(
        invited=Count("pk"), present=Count("pk", filter=Q(checked_in_at__isnull=False))
    )


def room_state(meeting):
    """Everything the room shows, read from the database in a handful of queries."""
    items = list(meeting.items.select_related("topic", "vote_matter__vote").order_by("position"))
    current = next((i for i in items if i.status == ItemStatus.OPEN), None)
    following = next((i for i in items if i.status == ItemStatus.PENDING), None)
    counts = attendance_counts(meeting)
    # A queryset, so only the chair's console (rendered once) loads the people it lists.
    participants = meeting.participants.order_by("pk")
    everyone_listed = counts["invited"] <= CONSOLE_PEOPLE
    if not everyone_listed:
        participants = participants.filter(checked_in_at=None)
    participants = participants[:CONSOLE_PEOPLE]
    queue, speaking, recent = [], None, []
    open_vote, closed_votes = None, []
    if current is not None:
        queue = list(queue_of(current))
        speaking = (
            current.speakers.filter(status=SpeakerStatus.SPEAKING)
            .select_related("participant")
            .first()
        )
        recent = list(
            current.speakers.filter(status=SpeakerStatus.DONE, summary="")
            .select_related("participant")
            .order_by("-finished_at")[:3]
        )
        votes = list(current.live_votes.annotate(responses_count=Count("responses")))
        open_vote = next((v for v in votes if v.status == LiveVoteStatus.OPEN), None)
        closed_votes = [v for v in votes if v.status == LiveVoteStatus.CLOSED]
        for vote in closed_votes:
            # Called while each audience's language is active, so the words match the page.
            vote.summary = partial(live_vote_summary, vote)
    minutes = list(meeting.minutes.select_related("item").order_by("-pk")[:RECENT_MINUTES])[::-1]
    stages = []
    if meeting.is_hearing:
        reached = HEARING_ORDER.index(meeting.hearing_stage) if meeting.hearing_stage else -1
        stages = [
            {"value": s.value, "label": s.label, "done": n < reached, "current": n == reached}
            for n, s in enumerate(HEARING_ORDER)
        ]
    return {
        "meeting": meeting,
        "opens_early": meeting.status == "noticed" and opens_early(meeting),
        "items": items,
        "current": current,
        "following": following,
        "participants": participants,
        "everyone_listed": everyone_listed,
        "absent_count": counts["invited"] - counts["present"],
        "present_count": counts["present"],
        "invited_count": counts["invited"],
        "quorum": quorum_of(meeting),
        "queue": queue,
        "speaking": speaking,
        "recent_speeches": recent,
        "open_vote": open_vote,
        "closed_votes": closed_votes,
        "minutes": minutes,
        "stages": stages,
        "stage_choices": [s for s in HEARING_ORDER],
        "stage_label": HearingStage(meeting.hearing_stage).label if meeting.hearing_stage else "",
        "live_choices": LiveChoice.choices,
        "opinions": room_map(current),  # read only if the opinions section is rendered
        "now": timezone.now(),
    }


def render_sections(state, sections, audience, language):
    """One message: the given sections' elements, concatenated, for one audience."""
    with translation.override(language):
        context = {**state, "audience": audience, "is_chair": audience == CHAIR}
        return "".join(
            render_to_string(f"meetings/room.html#{section}", context) for section in sections
        )


def notice_html(text, *, error=False):
    """A one-person message in the room's live region (escaped)."""
    kind = "bad" if error else "ok"
    return format_html(
        '<div id="room-notice" class="room-notice {}" role="status" aria-live="polite">{}</div>',
        kind,
        text,
    )


def me_html(meeting_id, user_id):
    """One person's own state in the room, never shared: their officer seats (the console
    shows the chair's controls to the chair and the secretary's to the secretary), whether
    they are checked in and which open votes they have answered. The room script shows each
    control's state from it (static/js/room.js); the shared sections carry every state."""
    officers = Meeting.objects.filter(pk=meeting_id).values_list("chair_id", "secretary_id")
    chair_id, secretary_id = officers.first() or (None, None)
    seats = " ".join(
        name
        for name, holder in (("chair", chair_id), ("secretary", secretary_id))
        if holder == user_id
    )
    seat = Participant.objects.filter(meeting_id=meeting_id, user_id=user_id).first()
    voted = []
    if seat is not None:
        voted = LiveVoteResponse.objects.filter(
            participant=seat, vote__status=LiveVoteStatus.OPEN
        ).values_list("vote_id", flat=True)
    return format_html(
        '<div id="room-me" hidden data-seats="{}" data-participant="{}" data-present="{}"'
        ' data-voted="{}"></div>',
        seats,
        seat.pk if seat else "",
        "1" if seat and seat.checked_in_at else "",
        " ".join(str(pk) for pk in voted),
    )


def _load(meeting_id):
    return Meeting.objects.select_related("community", "estate", "chair", "secretary").get(
        pk=meeting_id
    )


def broadcast(meeting_id, sections=ALL_SECTIONS, notice=None):
    """Render the changed sections once per audience and language and send them to each group.

    `notice` is (user_id, text): a message for that person's sockets only.
    """
    meeting = _load(meeting_id)
    state = room_state(meeting)
    for audience in AUDIENCES:
        for language in LANGUAGES:
            html = render_sections(state, sections, audience, language)
            # Once to each worker process, which writes it to its sockets in the group.
            fanout.publish(group_name(meeting_id, audience, language), html)
    if notice and notice[0]:
        send_notice(meeting_id, *notice)


def broadcast_soon(meeting_id, sections, notice=None):
    """Like broadcast(), but the sections wait ROOM_TALLY_WAIT_S and go with those of the casts
    that follow (plumbing/batching.py says why); the notice goes at once. Where nothing serves
    an event loop (a management command, the test client) it is broadcast() at once."""
    if batching.serving_loop() is None:
        return broadcast(meeting_id, sections, notice=notice)
    if notice and notice[0]:
        send_notice(meeting_id, *notice)
    if not _tally.add(meeting_id, sections):  # the loop stopped meanwhile
        broadcast(meeting_id, sections)


def _send_tally(meeting_id, sections):
    """The sections that waited, rendered as the room is when they leave."""
    try:
        broadcast(meeting_id, tuple(s for s in ALL_SECTIONS if s in sections))
    except Meeting.DoesNotExist:
        pass  # deleted while the count waited: no room left to tell


_tally = batching.Batch(_send_tally, wait=lambda: settings.ROOM_TALLY_WAIT_S)


def flush_waiting(meeting_id):
    """Send the meeting's waiting sections now (on the running loop)."""
    _tally.flush(meeting_id)


def send_notice(meeting_id, user_id, text):
    """A message for one person's sockets in the room."""
    html = str(notice_html(text)) + str(me_html(meeting_id, user_id))
    async_to_sync(get_channel_layer().group_send)(
        user_group(meeting_id, user_id), {"type": "room.html", "html": html}
    )


def reseat(meeting_id):
    """Ask every socket of the room to re-check its seat (after the chair moved)."""
    layer = get_channel_layer()
    async_to_sync(layer.group_send)(control_group(meeting_id), {"type": "room.reseat"})


def snapshot(meeting, audience, language):
    """The full room, for a socket that just connected (or reconnected)."""
    return render_sections(room_state(meeting), ALL_SECTIONS, audience, language)


@receiver(room_changed, dispatch_uid="meetings-rendering-room-changed")
def _room_changed(sender, meeting_id, sections, notice=None, soon=False, **kwargs):
    (broadcast_soon if soon else broadcast)(meeting_id, sections, notice=notice)


@receiver(seats_changed, dispatch_uid="meetings-rendering-seats-changed")
def _seats_changed(sender, meeting_id, **kwargs):
    reseat(meeting_id)
