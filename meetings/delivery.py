"""Service of a meeting's messages (送达) on each invited participant, with proof.

A consultation, hearing, evaluation or committee meeting serves its invitation, its draft
minutes (a hearing: its draft record) sent for correction with the deadline, and its final
text to each participant: in the app and by e-mail to those with an account, by SMS to those
with a number, and on paper with a receipt slip. The records and their sending are
`deliberation.delivery`'s (`serve_people`, the task queue, the gateway); this module names the
people and reads the coverage back. An owners' session serves every household of its estate
instead (`Meeting.served_estate_id`).
"""

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from deliberation.delivery import (
    DATE_PARAM_FORMAT,
    Addressee,
    addressee_rows,
    record_view,
    serve_people,
)
from deliberation.models import DeliveryPurpose, Notice, NoticeKind

KEY_PREFIX = "meetings.participant:"

# What is served to each participant, by the slug its printed list is named by
LABELS = {
    "invitation": _("Invitation"),
    "draft": _("Draft for corrections"),
    "minutes": _("Final minutes"),
}


def addressee_key(participant):
    return f"{KEY_PREFIX}{participant.pk}"


def serves_participants(meeting):
    return not meeting.is_owners_session


def _people(meeting, participants=None):
    if participants is None:
        participants = meeting.participants.select_related("user", "holder").order_by("pk")
    return [
        Addressee(
            key=addressee_key(p),
            name=p.name,
            user=p.user,
            phone=p.phone or (p.holder.phone if p.holder_id else ""),
        )
        for p in participants
    ]


def _stamp(value):
    return timezone.localtime(value).strftime(DATE_PARAM_FORMAT)


def serve_invitation(meeting, *, by, participants=None):
    """The invitation (the meeting's notice) to each participant, or to those named."""
    params = {
        "community": meeting.community.name,
        "title": meeting.title,
        "when": _stamp(meeting.starts_at),
        "place": meeting.place,
    }
    return serve_people(
        meeting.notice,
        _people(meeting, participants),
        by=by,
        purpose=DeliveryPurpose.NOTICE,
        template="meeting_invitation" if meeting.place else "meeting_invitation_online",
        params=params,
    )


def serve_draft(meeting, *, by):
    """The draft minutes (a hearing's draft record) for corrections, with the deadline."""
    if not meeting.notice_id:
        return None  # never noticed (a meeting made by hand): nothing to hang the records on
    return serve_people(
        meeting.notice,
        _people(meeting),
        by=by,
        purpose=DeliveryPurpose.CORRECTIONS,
        template="hearing_corrections" if meeting.is_hearing else "meeting_corrections",
        params={
            "community": meeting.community.name,
            "title": meeting.title,
            "until": _stamp(meeting.corrections_until),
        },
    )


def serve_minutes(meeting, minutes, *, by):
    """The final minutes (a hearing's record), published as the notice `minutes`."""
    return serve_people(
        minutes,
        _people(meeting),
        by=by,
        purpose=DeliveryPurpose.NOTICE,
        template="hearing_record" if meeting.is_hearing else "meeting_minutes",
        params={"community": meeting.community.name, "title": meeting.title},
    )


def minutes_notice(meeting):
    return (
        Notice.objects.filter(
            kind=NoticeKind.MINUTES, source_type="meetings.meeting", source_id=str(meeting.pk)
        )
        .order_by("-pk")
        .first()
    )


def served_messages(meeting):
    """Each message served so far: (slug, label, notice, purpose), oldest first."""
    found = []
    if meeting.notice_id:
        found.append(("invitation", meeting.notice, DeliveryPurpose.NOTICE))
        if meeting.corrections_until:
            found.append(("draft", meeting.notice, DeliveryPurpose.CORRECTIONS))
    minutes = minutes_notice(meeting) if meeting.published_at else None
    if minutes is not None:
        found.append(("minutes", minutes, DeliveryPurpose.NOTICE))
    return [(slug, LABELS[slug], notice, purpose) for slug, notice, purpose in found]


def coverage(meeting):
    """For each message served: its label, how many participants it has reached (by the
    community's rule) of how many, and the paper records of those not yet reached."""
    rows = []
    for slug, label, notice, purpose in served_messages(meeting):
        records = list(addressee_rows(notice, purpose))
        unserved = [r for r in records if not r.served]
        rows.append(
            {
                "slug": slug,
                "label": label,
                "notice": notice,
                "served": len(records) - len(unserved),
                "total": len(records),
                "pending": len(unserved),
                "unserved": unserved,
            }
        )
    return rows


def notices_of(meeting):
    return [notice for _slug, _label, notice, _purpose in served_messages(meeting)]


def record_reading(meeting, user, *, minutes_page=False):
    """A participant opened the meeting's page (the invitation) or its minutes page (the
    draft, or the final text once published): the first view of what was served there."""
    if not serves_participants(meeting) or not meeting.notice_id:
        return
    if not minutes_page:
        record_view(meeting.notice, user)
        return
    if meeting.corrections_until:
        record_view(meeting.notice, user, purpose=DeliveryPurpose.CORRECTIONS)
    if meeting.published_at:
        record_view(minutes_notice(meeting), user)
