"""One subscriber per worker process: a frame for a group arrives once and is written to that
process's sockets in the group directly.

Channels' own fan-out gives every socket a channel of its own in the group: a broadcast to a
room of a thousand phones is a thousand queued messages, a thousand msgpack decodes and a
thousand consumer wake-ups in each worker. Here each event loop (one per worker process) has
one `Hub`: one channel-layer channel, joined to every group that has a socket on this loop,
and a registry of those sockets by group. `publish(group, text)` sends the finished text to the
group once; each hub receives it once and calls each local socket's `send(text_data=...)`, or,
where plumbing.wsframes knows the server, builds the frame's bytes once and writes them to each
connection directly (the same bytes, in the same order).

Per socket, frames go out in the order the hub received them, and none before the socket is
`ready`: a socket joins (`join`), reads and sends its snapshot, then says `ready(socket)`; what
arrived for its group meanwhile waits and follows the snapshot. So a snapshot taken after the
join is never overtaken by an older frame, as with a channel per socket (the consumer handles
its queue after `connect` returns). A socket that moves to another group (`join` again) gets
the new group's frames only, from the moment of the move, held until it is `ready` again.

A slow socket does not hold up the others: a send is started at once and, in the usual case,
completes without suspending; one that must wait (a full write buffer) finishes in a task of
its own, and that socket's later frames queue behind it.

Sockets are held weakly and forgotten on `leave` (the consumer's disconnect). Works with any
channel layer with groups; with channels_redis's core layer (not the pub/sub one the settings
use) a group membership expires after `group_expiry`, one day by default.
"""

import asyncio
import logging
import weakref
from collections import deque

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

from plumbing import wsframes

log = logging.getLogger(__name__)

MESSAGE_TYPE = "fanout.frame"


def publish(group, text):
    """Send `text` to every socket joined to `group`, in every process (from sync code)."""
    async_to_sync(apublish)(group, text)


async def apublish(group, text):
    await get_channel_layer().group_send(
        group, {"type": MESSAGE_TYPE, "group": group, "text": text}
    )


async def join(group, socket):
    """Hold `group`'s frames for `socket` (until `ready`); return once this process receives
    the group, so a state read afterwards is at least as new as any frame held back. A socket
    in another group leaves it first."""
    hub = _hub()
    earlier = _hub_of.get(socket)
    if earlier is not None and earlier is not hub:
        await earlier.leave(socket)
    _hub_of[socket] = hub
    await hub.join(group, socket)


def ready(socket):
    """Start sending `socket` its group's frames: those held since `join` first, in order.
    Call it once the socket has sent its snapshot."""
    hub = _hub_of.get(socket)
    if hub is not None:
        hub.ready(socket)


async def leave(socket):
    """Forget `socket` (disconnected); the process stops receiving a group nobody here is in."""
    hub = _hub_of.pop(socket, None)
    if hub is not None:
        await hub.leave(socket)


def local_sockets(group):
    """How many sockets of this event loop are joined to `group` (for tests and logs)."""
    hub = _hubs.get(asyncio.get_running_loop())
    return len(hub.members.get(group, ())) if hub is not None else 0


_hubs = weakref.WeakKeyDictionary()  # event loop -> Hub (tests run one loop each)
_hub_of = weakref.WeakKeyDictionary()  # socket -> the Hub it joined


def _hub():
    """This event loop's hub, on the current channel layer (a test may replace the layer to
    play a restarted process)."""
    loop = asyncio.get_running_loop()
    layer = get_channel_layer()
    hub = _hubs.get(loop)
    if hub is None or hub.layer is not layer:
        hub = _hubs[loop] = Hub(layer)
    return hub


_UNKNOWN = object()


class _Entry:
    __slots__ = ("group", "held", "busy", "write")

    def __init__(self, group):
        self.group = group
        self.held = []  # frames waiting for `ready` (None once ready)
        self.busy = None  # frames queued behind a send that had to wait (None when idle)
        self.write = _UNKNOWN  # wsframes' direct writer, None for an unknown server


class Hub:
    def __init__(self, layer):
        self.layer = layer
        self.channel = None
        self.members = {}  # group -> WeakKeyDictionary(socket -> _Entry)
        self.entries = weakref.WeakKeyDictionary()  # socket -> _Entry
        self.subscribed = set()
        self._lock = asyncio.Lock()
        self._receiver = None
        self._finishing = set()  # tasks of sends that had to wait, kept from the collector
        self._frame = (None, b"")  # the last text and its frame's bytes, built once for all

    async def join(self, group, socket):
        if self.channel is None:
            async with self._lock:
                if self.channel is None:
                    self.channel = await self.layer.new_channel("fanout.")
                    self._receiver = asyncio.create_task(self._receive())
        old = self.entries.get(socket)
        old_group = old.group if old is not None else None
        if old is not None:
            self._forget(socket, old)
        entry = _Entry(group)
        self.entries[socket] = entry
        self.members.setdefault(group, weakref.WeakKeyDictionary())[socket] = entry
        if group not in self.subscribed:
            async with self._lock:
                if group not in self.subscribed and self.members.get(group):
                    await self.layer.group_add(group, self.channel)
                    self.subscribed.add(group)
        if old_group is not None and old_group != group:
            await self._unsubscribe_if_empty(old_group)

    def ready(self, socket):
        entry = self.entries.get(socket)
        if entry is None or entry.held is None:
            return
        held, entry.held = entry.held, None
        for text in held:
            if entry.busy is not None:
                entry.busy.append(text)
            else:
                self._send(socket, entry, text)

    async def leave(self, socket):
        entry = self.entries.pop(socket, None)
        if entry is not None:
            group = entry.group
            self._forget(socket, entry)
            await self._unsubscribe_if_empty(group)

    def _forget(self, socket, entry):
        members = self.members.get(entry.group)
        if members is not None:
            members.pop(socket, None)
        entry.held, entry.busy = None, None
        entry.group = None  # a send still waiting drops what queued behind it

    async def _unsubscribe_if_empty(self, group):
        if self.members.get(group) or group not in self.subscribed:
            return
        async with self._lock:
            if not self.members.get(group) and group in self.subscribed:
                # Marked first: a socket joining meanwhile waits for the lock and subscribes.
                self.subscribed.discard(group)
                self.members.pop(group, None)
                await self.layer.group_discard(group, self.channel)

    async def _receive(self):
        while True:
            try:
                message = await self.layer.receive(self.channel)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("fan-out: receiving failed")
                await asyncio.sleep(1)
                continue
            if message.get("type") == MESSAGE_TYPE:
                self.deliver(message["group"], message["text"])

    def deliver(self, group, text):
        """Write `text` to every local socket of `group` (held for those not ready yet)."""
        members = self.members.get(group)
        if not members:
            return
        for socket, entry in list(members.items()):
            if entry.held is not None:
                entry.held.append(text)
            elif entry.busy is not None:
                entry.busy.append(text)
            else:
                self._send(socket, entry, text)

    def _send(self, socket, entry, text):
        write = entry.write
        if write is _UNKNOWN:  # once per join; the socket has been accepted by now
            write = entry.write = wsframes.writer_for(socket)
        if write is not None:
            last, frame = self._frame
            if last is not text:
                frame = wsframes.text_frame(text)
                self._frame = (text, frame)
            try:
                if write(frame):
                    return
            except Exception:
                log.debug("fan-out: a direct write failed", exc_info=True)
                entry.write = None
        coroutine = socket.send(text_data=text)
        try:
            # Run the send eagerly: it usually completes without suspending, and a task per
            # socket and frame is the very cost this module saves.
            waiting = coroutine.send(None)
        except StopIteration:
            return
        except Exception:
            log.debug("fan-out: a send failed", exc_info=True)
            return
        entry.busy = deque()
        task = asyncio.ensure_future(self._finish(socket, entry, coroutine, waiting))
        self._finishing.add(task)
        task.add_done_callback(self._finishing.discard)

    async def _finish(self, socket, entry, coroutine, waiting):
        try:
            await _Resumed(coroutine, waiting)
            while entry.busy:
                await socket.send(text_data=entry.busy.popleft())
        except Exception:
            log.debug("fan-out: a send failed", exc_info=True)
        finally:
            entry.busy = None


class _Resumed:
    """Await a coroutine that has already run up to `waiting` (what it awaits now)."""

    def __init__(self, coroutine, waiting):
        self.coroutine, self.waiting = coroutine, waiting

    def __await__(self):
        waiting = self.waiting
        while True:
            try:
                value = yield waiting
            except BaseException as exc:  # noqa: BLE001 - handed on to the coroutine
                try:
                    waiting = self.coroutine.throw(exc)
                except StopIteration as stop:
                    return stop.value
            else:
                try:
                    waiting = self.coroutine.send(value)
                except StopIteration as stop:
                    return stop.value
