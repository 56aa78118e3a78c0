"""The live room's websocket: authenticate, authorise, parse, hand to the service, forward.

The consumer keeps no room state: only this socket's seat (re-read on every command and
whenever the chair moves); the rate limit is the person's, in the cache (meetings.throttle).
Close codes: see docs/protocol.md.
"""

import logging
from collections import OrderedDict

from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import translation
from django.utils.translation import gettext as _

from accounts.middleware import SESSION_LANGUAGE
from meetings import services
from meetings.access import DISPLAY, audience_of, is_insider
from meetings.forms import MAX_MESSAGE_CHARS, BadMessage, parse_command
from meetings.models import Meeting
from meetings.rendering import (
    LANGUAGES,
    control_group,
    group_name,
    me_html,
    notice_html,
    snapshot,
    user_group,
)
from meetings.throttle import command_allowed
from plumbing import fanout

logger = logging.getLogger(__name__)

CLOSE_BAD_MESSAGE = 4400
CLOSE_UNAUTHENTICATED = 4401
CLOSE_FORBIDDEN = 4403


def _language(scope):
    """As for pages (accounts.middleware): this session's choice, this device's, the profile's."""
    session = scope.get("session")
    language = session.get(SESSION_LANGUAGE, "") if session is not None else ""
    if not language:
        cookies = scope.get("cookies") or {}
        language = cookies.get("django_language", "")
    if not language:
        user = scope.get("user")
        language = getattr(user, "language", "") if user is not None else ""
    language = (language or "").lower()
    return language if language in LANGUAGES else LANGUAGES[0]


@database_sync_to_async
def _seat(user, meeting_id, wanted):
    """(meeting, audience) for this user, or (None, close code)."""
    if user is None or not user.is_authenticated:
        return None, CLOSE_UNAUTHENTICATED
    meeting = (
        Meeting.objects.select_related("community", "estate", "chair", "secretary")
        .filter(pk=meeting_id)
        .first()
    )
    if meeting is None or not (is_insider(user, meeting) or meeting.public_watch):
        return None, CLOSE_FORBIDDEN  # outsiders learn nothing, not even that it exists
    audience = audience_of(user, meeting, wanted)
    if audience is None:
        return None, CLOSE_FORBIDDEN
    return meeting, audience


# Whole rooms already rendered, by (meeting, version, audience, language). Every change to a
# room bumps its version (meetings.services.commands._commit), and a room shows nothing personal, so
# sockets that connect to the same version get the same text: when a worker dies, the hundreds
# of clients that reconnect to another cost one render per audience and language, not one each.
SNAPSHOTS = OrderedDict()
SNAPSHOTS_KEPT = 64


@database_sync_to_async
def _snapshot_for(meeting_id, audience, language, user_id):
    """The shared snapshot, then this person's own state (never to the projector)."""
    html = _snapshot(meeting_id, audience, language)
    if audience != DISPLAY:
        html += str(me_html(meeting_id, user_id))
    return html


def _snapshot(meeting_id, audience, language):
    """The whole room for a socket that has just joined its groups.

    The version is read after the join, so a change committed meanwhile either is in the
    snapshot or reaches the socket as a broadcast afterwards.
    """
    # created_at too: a flushed test database (or a restored one) hands out an id again.
    stamp = Meeting.objects.filter(pk=meeting_id).values_list("version", "created_at").first()
    key = (meeting_id, stamp, audience, language)
    html = SNAPSHOTS.get(key)
    if html is None:
        meeting = Meeting.objects.select_related("community", "estate", "chair", "secretary")
        meeting = meeting.get(pk=meeting_id)
        html = snapshot(meeting, audience, language)
        # Filed under the version read with the meeting: the rooms' state is at least that.
        stamp = (meeting.version, meeting.created_at)
        SNAPSHOTS[(meeting_id, stamp, audience, language)] = html
        while len(SNAPSHOTS) > SNAPSHOTS_KEPT:
            SNAPSHOTS.popitem(last=False)
    return html


# The cache, not the database: a plain worker thread, not the consumer's database thread.
_command_allowed = sync_to_async(command_allowed, thread_sensitive=False)


@database_sync_to_async
def _run(form, meeting_id, user):
    meeting = Meeting.objects.select_related("community").get(pk=meeting_id)
    form.run(services, meeting, user)


class RoomConsumer(AsyncWebsocketConsumer):
    async def connect(self):
        self.meeting_id = self.scope["url_route"]["kwargs"]["meeting_id"]
        self.user = self.scope.get("user")
        self.language = _language(self.scope)
        query = self.scope.get("query_string", b"").decode()
        self.wanted = DISPLAY if "view=display" in query else None
        self.groups_joined = []
        meeting, audience = await _seat(self.user, self.meeting_id, self.wanted)
        if meeting is None:
            return await self.close(code=audience)  # refused before accept
        await self._join(audience)
        await self.accept()
        await self._send_snapshot()

    async def _send_snapshot(self):
        html = await _snapshot_for(self.meeting_id, self.audience, self.language, self.user.pk)
        await self.send(text_data=html)
        fanout.ready(self)  # the room's changes since the join follow the snapshot

    async def _join(self, audience):
        """Join the audience's room (its changes wait for the snapshot) and this socket's
        channel-layer groups: the person's notices and the room's control messages."""
        self.audience = audience
        await fanout.join(group_name(self.meeting_id, audience, self.language), self)
        wanted = [control_group(self.meeting_id)]
        if audience != DISPLAY:  # personal notices never go to the projector
            wanted.append(user_group(self.meeting_id, self.user.pk))
        for group in set(self.groups_joined) - set(wanted):
            await self.channel_layer.group_discard(group, self.channel_name)
        for group in set(wanted) - set(self.groups_joined):
            await self.channel_layer.group_add(group, self.channel_name)
        self.groups_joined = wanted

    async def disconnect(self, code):
        await fanout.leave(self)
        for group in getattr(self, "groups_joined", []):
            await self.channel_layer.group_discard(group, self.channel_name)

    async def receive(self, text_data=None, bytes_data=None):
        """Answer every frame with one notice or a close, whatever its bytes."""
        if text_data is None or len(text_data) > MAX_MESSAGE_CHARS:
            return await self.close(code=CLOSE_BAD_MESSAGE)
        with translation.override(self.language):
            try:
                return await self._command(text_data)
            except Exception:
                # A fault of ours, not of the message: logged with its traceback for us to
                # fix, and this socket stays open with a notice instead of dropping.
                logger.exception("room %s: a command failed", self.meeting_id)
                return await self._notice(_("That did not work. Please try again."), error=True)

    async def _command(self, text_data):
        if not await _command_allowed(self.user.pk):
            return await self._notice(_("One moment, please: too many taps."), error=True)
        try:
            form = parse_command(text_data)
        except BadMessage as exc:
            return await self._notice(str(exc.args[0]), error=True)
        if not form.is_valid():
            errors = " ".join(str(e) for errs in form.errors.values() for e in errs)
            return await self._notice(
                _("Please check: %(errors)s") % {"errors": errors}, error=True
            )
        try:
            await _run(form, self.meeting_id, self.user)
        except PermissionDenied:
            return await self._notice(_("You may not do this in the room now."), error=True)
        except ValidationError as exc:
            return await self._notice(" ".join(exc.messages), error=True)

    async def _notice(self, text, *, error=False):
        await self.send(text_data=str(notice_html(text, error=error)))

    async def room_html(self, event):
        """A notice for this person (the room's changes come through plumbing.fanout)."""
        await self.send(text_data=event["html"])

    async def room_reseat(self, event):
        """The chair moved: re-read this socket's seat and resend the room if it changed."""
        meeting, audience = await _seat(self.user, self.meeting_id, self.wanted)
        if meeting is None:
            return await self.close(code=audience)
        if audience != self.audience:
            await self._join(audience)
            await self._send_snapshot()
        elif audience != DISPLAY:  # same view, but perhaps another seat (chair, secretary)
            html = await database_sync_to_async(me_html)(self.meeting_id, self.user.pk)
            await self.send(text_data=str(html))
