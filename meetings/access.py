"""Who sits where in a meeting, and the one access helper for meetings.

A user's powers in a meeting are their community roles plus their seats in that meeting
(chair, secretary, participant): `deliberation.permissions` decides from the union, so moving
the chair to someone else takes the console away from the old chair at the next command.
"""

from django.core.exceptions import PermissionDenied
from django.http import Http404

from deliberation.access import community_ids_of, roles_of
from deliberation.permissions import CHAIR_SEAT, PARTICIPANT_SEAT, SECRETARY_SEAT, may
from meetings.models import Meeting, Participant

CHAIR = "chair"
PARTICIPANT = "participant"
DISPLAY = "display"
AUDIENCES = (CHAIR, PARTICIPANT, DISPLAY)


def seats_of(user, meeting):
    """The seat pseudo-roles the user holds in this meeting (read fresh from the database)."""
    if not user.is_authenticated:
        return frozenset()
    seats = set()
    if meeting.chair_id == user.pk:
        seats.add(CHAIR_SEAT)
    if meeting.secretary_id == user.pk:
        seats.add(SECRETARY_SEAT)
    if Participant.objects.filter(meeting=meeting, user=user).exists():
        seats.add(PARTICIPANT_SEAT)
    return frozenset(seats)


def roles_in(user, meeting):
    return frozenset(roles_of(user, meeting.community_id)) | seats_of(user, meeting)


def may_in(user, meeting, action):
    return may(roles_in(user, meeting), action, meeting.status)


def require_in(user, meeting, action):
    if not may_in(user, meeting, action):
        raise PermissionDenied


def is_insider(user, meeting):
    """A member of the meeting's community, or someone invited to it."""
    if not user.is_authenticated:
        return False
    if meeting.community_id in community_ids_of(user):
        return True
    return bool(seats_of(user, meeting))


def meeting_for(user, meeting_id, action=None, *, watch=False):
    """The meeting, or 404 for outsiders (unless `watch` and the chair allows watching)."""
    meeting = (
        Meeting.objects.select_related("community", "estate", "chair", "secretary")
        .filter(pk=meeting_id)
        .first()
    )
    if meeting is None or not user.is_authenticated:
        raise Http404
    if not is_insider(user, meeting) and not (watch and meeting.public_watch):
        raise Http404
    if action:
        require_in(user, meeting, action)
    return meeting


def audience_of(user, meeting, wanted=None):
    """Which view of the room this user gets: chair console, participant view, or display.

    Officers (chair, secretary) get the console; seated people the participant view; any
    of them may ask for the display. Others get the display only when watching is allowed.
    None means the user may not enter the room at all.
    """
    seats = seats_of(user, meeting)
    if seats & {CHAIR_SEAT, SECRETARY_SEAT}:
        natural = CHAIR
    elif seats:
        natural = PARTICIPANT
    elif meeting.public_watch and user.is_authenticated:
        return DISPLAY
    else:
        return None
    if wanted == DISPLAY:
        return DISPLAY
    return natural


def participant_of(user, meeting):
    if not user.is_authenticated:
        return None
    return Participant.objects.filter(meeting=meeting, user=user).first()
