"""Meeting operations: one function per command, each one transaction with its audit entry.

One module per concept, each importing only those before it:

- ``commands``: how every room command runs: the room's sections, ``RoomError``, the meeting
  row locked and the permission re-checked under the lock (``_command``), the event, audit
  entry and broadcast after commit (``_commit``), automatic minutes entries.
- ``preparing``: before the meeting: ``create_meeting``, the agenda, invitations, the notice,
  answers to the invitation, ``move_chair``.
- ``live_votes``: votes in the room: a show of hands, or an owners' ballot cast into the
  assembly vote; what the room and the minutes say of each (``live_vote_summary``).
- ``sitting``: the meeting sitting: ``open_meeting``, ``check_in``, the agenda items opened and
  closed, free minutes entries, ``close_meeting``.
- ``floor``: hands, the floor, the queue, speeches and a hearing's stages.
- ``corrections``: the draft sent for corrections, corrections answered, the draft confirmed.
- ``signing``: the text finalised, signed online or on paper, published.
- ``record``: ``minutes_context``, the record as plain data for the documents.

The public names are re-exported here, so callers write ``services.open_item(...)`` (the room's
forms look commands up by name on this package); private helpers are imported from the module
that defines them.
"""

from meetings.services.commands import (
    AGENDA,
    AGENDA_SECTIONS,
    ALL_SECTIONS,
    ATTENDANCE,
    MINUTES,
    OPINIONS,
    QUEUE,
    STATUS,
    VOTE,
    RoomError,
)
from meetings.services.corrections import (
    confirm_draft,
    correction_deadline,
    draft_confirmations,
    minutes_digest,
    period_end_text,
    resolve_correction,
    send_for_corrections,
    submit_correction,
)
from meetings.services.floor import (
    end_floor,
    grant_floor,
    lower_hand,
    move_speaker,
    queue_of,
    raise_hand,
    record_speech,
    set_hearing_stage,
)
from meetings.services.live_votes import (
    ballot_minutes_text,
    cast_live_vote,
    close_live_vote,
    hands_minutes_text,
    live_vote_summary,
    open_live_vote,
)
from meetings.services.preparing import (
    add_agenda_item,
    answer_invitation,
    create_meeting,
    invite_participant,
    move_chair,
    publish_meeting_notice,
)
from meetings.services.record import (
    minutes_context,
)
from meetings.services.signing import (
    finalise_minutes,
    publish_minutes,
    record_paper_signature,
    sign_minutes,
)
from meetings.services.sitting import (
    add_minutes_entry,
    check_in,
    close_item,
    close_meeting,
    next_item,
    open_item,
    open_meeting,
    opens_early,
)

__all__ = [
    "AGENDA",
    "AGENDA_SECTIONS",
    "ALL_SECTIONS",
    "ATTENDANCE",
    "MINUTES",
    "OPINIONS",
    "QUEUE",
    "RoomError",
    "STATUS",
    "VOTE",
    "add_agenda_item",
    "add_minutes_entry",
    "answer_invitation",
    "ballot_minutes_text",
    "cast_live_vote",
    "check_in",
    "close_item",
    "close_live_vote",
    "close_meeting",
    "confirm_draft",
    "correction_deadline",
    "create_meeting",
    "draft_confirmations",
    "end_floor",
    "finalise_minutes",
    "grant_floor",
    "hands_minutes_text",
    "invite_participant",
    "live_vote_summary",
    "lower_hand",
    "minutes_context",
    "minutes_digest",
    "move_chair",
    "move_speaker",
    "next_item",
    "open_item",
    "open_live_vote",
    "open_meeting",
    "opens_early",
    "period_end_text",
    "publish_meeting_notice",
    "publish_minutes",
    "queue_of",
    "raise_hand",
    "record_paper_signature",
    "record_speech",
    "resolve_correction",
    "send_for_corrections",
    "set_hearing_stage",
    "sign_minutes",
    "submit_correction",
]
