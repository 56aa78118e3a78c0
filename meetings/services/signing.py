"""After the corrections: the text fixed for signing, signed online or on paper, and published
on the board and served."""

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from deliberation.delivery import queue_delivery
from deliberation.messages import Message
from deliberation.models import NoticeKind
from deliberation.notices import publish_notice
from meetings import delivery
from meetings.access import participant_of
from meetings.models import (
    CorrectionStatus,
    Meeting,
    Signature,
    SignatureMethod,
    Status,
)
from meetings.services.commands import RoomError, _command, _commit
from meetings.services.corrections import draft_confirmations, minutes_digest, period_end_text
from meetings.signals import record_published


def finalise_minutes(meeting, *, by, now=None):
    """Fix the text for signing: no more corrections or entries from here on.

    Participants have the whole correction period (send_for_corrections): before it ends the
    text can be fixed only once every participant has confirmed the draft as it stands.
    """
    now = now or timezone.now()
    with _command(meeting, by, "meeting.finalise_minutes") as meeting:
        if meeting.corrections.filter(status=CorrectionStatus.OPEN).exists():
            raise RoomError(_("Answer every correction before finalising the minutes."))
        digest = minutes_digest(meeting)
        early = bool(meeting.corrections_until and now < meeting.corrections_until)
        if early:
            waiting = [
                row["participant"].name
                for row in draft_confirmations(meeting, digest)
                if row["state"] != "confirmed"
            ]
            if waiting:
                raise RoomError(
                    _(
                        "Participants may send corrections until %(time)s. Before then the "
                        "minutes can be finalised only once every participant has confirmed "
                        "the draft; still waiting for: %(names)s."
                    )
                    % {
                        "time": period_end_text(meeting.corrections_until),
                        "names": "、".join(waiting),
                    }
                )
        meeting.status = Status.SIGNED
        meeting.minutes_digest = digest
        meeting.save(update_fields=["status", "minutes_digest"])
        data = {"digest": digest}
        if early:
            data["before_deadline"] = "every participant confirmed the draft"
        _commit(meeting, by, "finalise_minutes", data, ())
    return meeting


def _sign_online(meeting, by, **capacity):
    """`by` signs the final text online: in an office (`capacity=`) or as a participant."""
    return Signature.objects.create(
        meeting=meeting,
        user=by,
        method=SignatureMethod.ONLINE,
        minutes_digest=meeting.minutes_digest,
        recorded_by=by,
        **capacity,
    )


def sign_minutes(meeting, *, by):
    """Confirm the final text online, as a participant and/or as chair or secretary."""
    with _command(meeting, by, "meeting.sign") as meeting:
        signed = []
        capacities = []
        if meeting.chair_id == by.pk:
            capacities.append("chair")
        if meeting.secretary_id == by.pk:
            capacities.append("secretary")
        for capacity in capacities:
            if not meeting.signatures.filter(capacity=capacity).exists():
                signed.append(_sign_online(meeting, by, capacity=capacity))
        participant = participant_of(by, meeting)
        if participant and not meeting.signatures.filter(participant=participant).exists():
            signed.append(_sign_online(meeting, by, participant=participant))
        if not signed:
            raise RoomError(_("You have already signed these minutes."))
        _commit(meeting, by, "sign", {"signatures": [s.pk for s in signed]}, ())
    return signed


def record_paper_signature(meeting, *, by, participant_id, refused=False, note=""):
    """Record a signature on the paper page, or the chair's note that someone refused."""
    with _command(meeting, by, "meeting.paper_signature") as meeting:
        participant = meeting.participants.filter(pk=participant_id).first()
        if participant is None:
            raise RoomError(_("That person is not on the list of participants."))
        if meeting.signatures.filter(participant=participant).exists():
            raise RoomError(_("%(name)s has already signed.") % {"name": participant.name})
        signature = Signature.objects.create(
            meeting=meeting,
            participant=participant,
            method=SignatureMethod.REFUSED if refused else SignatureMethod.PAPER,
            note=note,
            minutes_digest=meeting.minutes_digest,
            recorded_by=by,
        )
        _commit(meeting, by, "paper_signature", {"signature": signature.pk}, ())
    return signature


def publish_minutes(meeting, *, by):
    with _command(meeting, by, "meeting.publish_minutes") as meeting:
        if minutes_digest(meeting) != meeting.minutes_digest:
            raise RoomError(_("The minutes changed after they were finalised."))
        offices = set(meeting.signatures.values_list("capacity", flat=True))
        needed = {"chair"} | ({"secretary"} if meeting.secretary_id else set())
        if not needed <= offices:
            raise RoomError(_("The chair and the secretary must sign before publishing."))
        checked_in = meeting.participants.exclude(checked_in_at=None)
        unsigned = checked_in.exclude(
            pk__in=meeting.signatures.exclude(participant=None).values("participant")
        )
        if unsigned.exists():
            raise RoomError(
                _("Still waiting for signatures from: %(names)s.")
                % {"names": "、".join(unsigned.values_list("name", flat=True))}
            )
        meeting.status = Status.PUBLISHED
        meeting.published_at = timezone.now()
        meeting.save(update_fields=["status", "published_at"])
        _commit(meeting, by, "publish_minutes", {"digest": meeting.minutes_digest}, ())
        minutes = publish_notice(
            community=meeting.community,
            kind=NoticeKind.MINUTES,
            title=Message(gettext_noop("Minutes: %(title)s"), title=meeting.title),
            body="\n".join(meeting.minutes.order_by("pk").values_list("text", flat=True)),
            by=by,
            source=meeting,
        )
        # The PDFs its page offers, stored on a task worker before anyone asks.
        record_published.send(Meeting, meeting=meeting)
        if meeting.is_owners_session and meeting.estate_id:
            # The final minutes are served to every household like the session's notice.
            queue_delivery(minutes, by=by)
        elif delivery.serves_participants(meeting):
            delivery.serve_minutes(meeting, minutes, by=by)  # to each participant, with proof
    return meeting
