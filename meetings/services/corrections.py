"""After the meeting, the draft: sent out for corrections within the community's period,
corrections sent and answered, the draft confirmed by each participant as it stands."""

import hashlib
from datetime import datetime, time, timedelta

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from deliberation.delivery import queue_corrections
from deliberation.messages import Message
from deliberation.notices import notify
from deliberation.templatetags.gongyi import cn_deadline
from meetings import delivery
from meetings.models import (
    CorrectionStatus,
    EntryKind,
    MinutesCorrection,
    MinutesEntry,
    Status,
)
from meetings.services.commands import RoomError, _command, _commit, _seat


def minutes_digest(meeting):
    """A digest of the record's text, so each signature names exactly what was signed."""
    h = hashlib.sha256()
    for pk, kind, text in meeting.minutes.order_by("pk").values_list("pk", "kind", "text"):
        h.update(f"{pk}\x1f{kind}\x1f{text}\x1e".encode())
    return h.hexdigest()


def period_end_text(value):
    """A period's end as people say it: a deadline at midnight is 24:00 of the day before."""
    return cn_deadline(value)


def correction_deadline(start, days):
    """The end of a correction period of `days` days from `start`: the first day is not
    counted and the period ends at 24:00 of its last day (Civil Code arts. 201, 203)."""
    last_day = timezone.localdate(start) + timedelta(days=days)
    return timezone.make_aware(datetime.combine(last_day + timedelta(days=1), time.min))


def send_for_corrections(meeting, *, by, now=None):
    now = now or timezone.now()
    with _command(meeting, by, "meeting.send_for_corrections") as meeting:
        meeting.status = Status.CORRECTIONS
        meeting.corrections_until = correction_deadline(
            now, meeting.community.correction_window_days
        )
        meeting.save(update_fields=["status", "corrections_until"])
        _commit(meeting, by, "send_for_corrections", {"until": meeting.corrections_until})
        users = [p.user for p in meeting.participants.exclude(user=None).select_related("user")]
        if delivery.serves_participants(meeting) and delivery.serve_draft(meeting, by=by):
            users = []  # each participant is served the draft with the deadline, with proof
        notify(
            users,
            Message(
                gettext_noop(
                    "The draft minutes of %(title)s are ready: send corrections within "
                    "%(days)s days."
                ),
                title=meeting.title,
                days=meeting.community.correction_window_days,
            ),
            meeting.get_absolute_url(),
        )
        if meeting.is_owners_session and meeting.estate_id and meeting.notice_id:
            # Every household was served the session's notice: it is told of the draft too.
            queue_corrections(meeting, by=by)
    return meeting


def submit_correction(meeting, *, by, text, entry_id=None, now=None):
    now = now or timezone.now()
    with _command(meeting, by, "meeting.correct") as meeting:
        if meeting.corrections_until and now >= meeting.corrections_until:
            raise RoomError(_("The time for corrections has ended."))
        participant = _seat(by, meeting)
        entry = meeting.minutes.filter(pk=entry_id).first() if entry_id else None
        correction = MinutesCorrection.objects.create(
            meeting=meeting, participant=participant, entry=entry, text=text
        )
        _commit(meeting, by, "correct", {"correction": correction.pk}, ())
    return correction


def resolve_correction(meeting, *, by, correction_id, accept, response=""):
    """The secretary accepts a correction (it is added to the record) or declines it."""
    with _command(meeting, by, "meeting.write_minutes") as meeting:
        correction = meeting.corrections.filter(
            pk=correction_id, status=CorrectionStatus.OPEN
        ).first()
        if correction is None:
            raise RoomError(_("This correction has already been answered."))
        correction.status = CorrectionStatus.ACCEPTED if accept else CorrectionStatus.DECLINED
        correction.response = response
        correction.save(update_fields=["status", "response"])
        if accept:
            MinutesEntry.objects.create(
                meeting=meeting,
                item=correction.entry.item if correction.entry else None,
                kind=EntryKind.NOTE,
                text=_("Correction from %(name)s: %(text)s")
                % {"name": correction.participant.name, "text": correction.text},
                author=by,
            )
        _commit(
            meeting, by, "resolve_correction", {"correction": correction.pk, "accept": accept}, ()
        )
    return correction


def confirm_draft(meeting, *, by, now=None):
    """A participant has read the draft minutes and has nothing (more) to correct.

    The confirmation is of the text as it stands (its digest): a correction accepted later
    changes the text, and the confirmation no longer counts until it is given again.
    """
    now = now or timezone.now()
    with _command(meeting, by, "meeting.correct") as meeting:
        if meeting.corrections_until and now >= meeting.corrections_until:
            raise RoomError(_("The time for corrections has ended."))
        participant = _seat(by, meeting)
        if meeting.corrections.filter(
            participant=participant, status=CorrectionStatus.OPEN
        ).exists():
            raise RoomError(
                _(
                    "Your correction still awaits the secretary's answer: confirm the draft "
                    "once it is answered."
                )
            )
        participant.draft_confirmed_digest = minutes_digest(meeting)
        participant.draft_confirmed_at = now
        participant.save(update_fields=["draft_confirmed_digest", "draft_confirmed_at"])
        _commit(
            meeting,
            by,
            "confirm_draft",
            {"participant": participant.pk, "digest": participant.draft_confirmed_digest},
            (),
        )
    return participant


def draft_confirmations(meeting, digest=None):
    """Each participant with whether they confirmed the current draft (`confirmed`), an
    earlier text of it (`earlier`), or not at all."""
    digest = digest or minutes_digest(meeting)
    rows = []
    for participant in meeting.participants.order_by("pk"):
        if participant.draft_confirmed_digest == digest:
            state = "confirmed"
        elif participant.draft_confirmed_digest:
            state = "earlier"
        else:
            state = ""
        rows.append({"participant": participant, "state": state})
    return rows
