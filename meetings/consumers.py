"""The live room's websocket: authenticate, authorise, parse, hand to the service, forward.

The consumer keeps no room state: only this socket's seat (re-read on every command and
whenever the chair moves) and its rate-limit bucket. Close codes: see docs/protocol.md.
"""

import time
from collections import OrderedDict

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
    notice_html,
    snapshot,
    user_group,
)

CLOSE_BAD_MESSAGE = 4400
CLOSE_UNAUTHENTICATED = 4401
CLOSE_FORBIDDEN = 4403

# Token bucket: a burst of 5 commands, then one every half second.
BUCKET_SIZE = 5
BUCKET_RATE = 2.0


class TokenBucket:
    def __init__(self, size=BUCKET_SIZE, rate=BUCKET_RATE, clock=time.monotonic):
        self.size, self.rate, self.clock = size, rate, clock
        self.tokens, self.stamp = float(size), clock()

    def take(self):
        now = self.clock()
        self.tokens = min(self.size, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True


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
# room bumps its version (meetings.services._commit), and a room shows nothing personal, so
# sockets that connect to the same version get the same text: when a worker dies, the hundreds
# of clients that reconnect to another cost one render per audience and language, not one each.
SNAPSHOTS = OrderedDict()
SNAPSHOTS_KEPT = 64


@database_sync_to_async
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
        self.bucket = TokenBucket()
        meeting, audience = await _seat(self.user, self.meeting_id, self.wanted)
        if meeting is None:
            return await self.close(code=audience)  # refused before accept
        await self._join(audience)
        await self.accept()
        await self.send(text_data=await _snapshot(self.meeting_id, audience, self.language))

    async def _join(self, audience):
        self.audience = audience
        wanted = [
            group_name(self.meeting_id, audience, self.language),
            control_group(self.meeting_id),
        ]
        if audience != DISPLAY:  # personal notices never go to the projector
            wanted.append(user_group(self.meeting_id, self.user.pk))
        for group in set(self.groups_joined) - set(wanted):
            await self.channel_layer.group_discard(group, self.channel_name)
        for group in set(wanted) - set(self.groups_joined):
            await self.channel_layer.group_add(group, self.channel_name)
        self.groups_joined = wanted

    async def disconnect(self, code):
        for group in getattr(self, "groups_joined", []):
            await self.channel_layer.group_discard(group, self.channel_name)

    async def receive(self, text_data=None, bytes_data=None):
        if text_data is None or len(text_data) > MAX_MESSAGE_CHARS:
            return await self.close(code=CLOSE_BAD_MESSAGE)
        with translation.override(self.language):
            if not self.bucket.take():
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
        """Fan-out: the fragment was rendered once for this audience; just send the bytes."""
        await self.send(text_data=event["html"])

    async def room_reseat(self, event):
        """The chair moved: re-read this socket's seat and resend the room if it changed."""
        meeting, audience = await _seat(self.user, self.meeting_id, self.wanted)
        if meeting is None:
            return await self.close(code=audience)
        if audience != self.audience:
            await self._join(audience)
            await self.send(text_data=await _snapshot(self.meeting_id, audience, self.language))
