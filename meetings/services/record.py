"""The meeting's record as plain data, for the minutes and hearing-record documents."""

from django.db.models import Q

from meetings.models import (
    LiveVote,
    LiveVoteKind,
    LiveVoteStatus,
    SpeakerRequest,
    SpeakerStatus,
)
from meetings.services.live_votes import live_vote_summary

# The meeting's fields the record carries as they are.
_COPIED_FIELDS = (
    "title",
    "kind",
    "place",
    "online",
    "starts_at",
    "opened_at",
    "early_opening_reason",
    "closed_at",
    "corrections_until",
    "status",
    "published_at",
)


def _minutes_vote(vote):
    summary = live_vote_summary(vote)
    ballot = vote.kind == LiveVoteKind.BALLOT
    return {
        "question": vote.question,
        "kind": vote.kind,
        "binding": summary["binding"],
        # An owners' ballot's choices are the assembly vote's, counted there: none here.
        "yes": None if ballot else vote.yes_count,
        "no": None if ballot else vote.no_count,
        "abstain": None if ballot else vote.abstain_count,
        "present": None if ballot else vote.present_count,
        "passed": summary["ok"],  # None unless the assembly vote's result is published
        "majority": None if ballot else vote.passed,  # a show of hands: indicative only
        "outcome": str(summary["headline"]),
        "lines": [str(line) for line in summary["lines"]],
    }


def minutes_context(meeting):
    """The record as plain data for the minutes and hearing-record documents.

    Returns a dict of strings, numbers, datetimes and lists of dicts; no model instances, so a
    PDF template can render it without touching the database.
    """
    items = list(meeting.items.order_by("position"))
    votes = LiveVote.objects.filter(
        item__meeting=meeting, status=LiveVoteStatus.CLOSED
    ).select_related("item__vote_matter__vote")
    speakers = SpeakerRequest.objects.filter(item__meeting=meeting).exclude(
        Q(status=SpeakerStatus.WAITING) | Q(status=SpeakerStatus.WITHDRAWN)
    )
    participants = list(meeting.participants.order_by("pk"))
    signatures = {s.participant_id: s for s in meeting.signatures.exclude(participant=None)}
    offices = {s.capacity: s for s in meeting.signatures.filter(participant=None)}
    offices.update({s.capacity: s for s in meeting.signatures.exclude(capacity="participant")})
    return {
        "id": meeting.pk,
        **{field: getattr(meeting, field) for field in _COPIED_FIELDS},
        "kind_label": str(meeting.get_kind_display()),
        "community": meeting.community.name,
        "estate": meeting.estate.name if meeting.estate_id else "",
        "status_label": str(meeting.get_status_display()),
        "chair": meeting.chair.display_name,
        "secretary": meeting.secretary.display_name if meeting.secretary_id else "",
        "digest": meeting.minutes_digest,
        "participants": [
            {
                "name": p.name,
                "role": str(p.get_role_display()),
                "organisation": p.organisation,
                "checked_in": p.checked_in_at is not None,
                "checked_in_at": p.checked_in_at,
                "checkin_method": str(p.get_checkin_method_display()) if p.checkin_method else "",
                "signature": (
                    str(signatures[p.pk].get_method_display()) if p.pk in signatures else ""
                ),
                "signature_note": signatures[p.pk].note if p.pk in signatures else "",
            }
            for p in participants
        ],
        "present_count": sum(1 for p in participants if p.checked_in_at),
        "invited_count": len(participants),
        "items": [
            {
                "position": i.position,
                "title": i.title,
                "topic_id": i.topic_id,
                "decision": i.decision,
                "votes": [_minutes_vote(v) for v in votes if v.item_id == i.pk],
                "speeches": [
                    {"name": s.participant.name, "summary": s.summary, "at": s.granted_at}
                    for s in speakers.select_related("participant").order_by("granted_at", "pk")
                    if s.item_id == i.pk
                ],
            }
            for i in items
        ],
        "entries": [
            {
                "at": e.created_at,
                "kind": e.kind,
                "kind_label": str(e.get_kind_display()),
                "automatic": e.automatic,
                "text": e.text,
                "item": e.item.position if e.item_id else None,
            }
            for e in meeting.minutes.select_related("item").order_by("pk")
        ],
        "corrections": [
            {
                "name": c.participant.name,
                "text": c.text,
                "status": str(c.get_status_display()),
                "response": c.response,
                "at": c.created_at,
            }
            for c in meeting.corrections.select_related("participant").order_by("pk")
        ],
        "officer_signatures": {
            cap: {"method": str(s.get_method_display()), "at": s.signed_at}
            for cap, s in offices.items()
        },
    }
