"""Websocket helpers for room tests: a signed-in communicator and waiting for a fragment."""

import pytest_asyncio
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.db import connections
from django.test import Client

from config.asgi import application


@pytest_asyncio.fixture(autouse=True)
async def close_worker_thread_connections():
    """Leave no open connection in the sync worker thread for later tests without a database.
    Autouse in each test module that imports it."""
    yield
    await database_sync_to_async(connections.close_all)()


def session_cookie(user):
    client = Client()
    client.force_login(user)
    return client.cookies["sessionid"].value


def headers_for(cookie=None, language="zh-hans"):
    headers = [(b"origin", b"http://127.0.0.1"), (b"host", b"127.0.0.1")]
    parts = [f"django_language={language}"]
    if cookie:
        parts.append(f"sessionid={cookie}")
    headers.append((b"cookie", "; ".join(parts).encode()))
    return headers


async def room_socket(meeting, user=None, *, view="", language="zh-hans"):
    """(communicator, connected, close_code) for `user` in the meeting's room."""
    cookie = await database_sync_to_async(session_cookie)(user) if user is not None else None
    query = "?view=display" if view == "display" else ""
    communicator = WebsocketCommunicator(
        application,
        f"/ws/meetings/{meeting.pk}/{query}",
        headers=headers_for(cookie, language),
    )
    connected, code = await communicator.connect()
    return communicator, connected, code


async def receive_until(communicator, needle, *, limit=20, timeout=3):
    """Read frames until one contains `needle`; returns that frame."""
    for _ in range(limit):
        frame = await communicator.receive_from(timeout=timeout)
        if needle in frame:
            return frame
    raise AssertionError(f"no frame containing {needle!r}")


async def drain(communicator):
    """Read every frame already queued (the broadcasts of earlier commands)."""
    frames = []
    while not await communicator.receive_nothing(timeout=0.05):
        frames.append(await communicator.receive_from())
    return frames
