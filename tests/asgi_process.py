"""Run the real ASGI app (daphne, or uvicorn as make serve-prod does) in a child process
against the test database.

The listening socket is bound here and handed to the server (`--fd`), so connections made
before it is ready wait in the socket's backlog instead of failing: no polling, no sleeping.
"""

import os
import socket
import subprocess
import sys
import uuid
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

import psycopg

from bench.cast import UVICORN_OPTIONS

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def server_command(server, fd):
    if server == "uvicorn":
        return [str(BIN / "uvicorn"), "--fd", str(fd), *UVICORN_OPTIONS, "config.asgi:application"]
    return [str(BIN / "daphne"), "--fd", str(fd), "config.asgi:application"]


def database_url(settings_dict):
    """DATABASE_URL for the database this process is using (the test database)."""
    engine = settings_dict["ENGINE"]
    if engine.endswith("sqlite3"):
        return "sqlite:///" + str(Path(settings_dict["NAME"]).resolve())
    user = quote(settings_dict.get("USER") or "")
    password = quote(settings_dict.get("PASSWORD") or "")
    auth = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    host = settings_dict.get("HOST") or "127.0.0.1"
    port = settings_dict.get("PORT") or "5432"
    return f"postgres://{auth}{host}:{port}/{settings_dict['NAME']}"


CHILD_APP_NAME = "gongyi-test-child"


def child_app_name():
    """A PostgreSQL application name of one child's own, so that only its sessions are ended
    when it stops (a test may stop one worker while another serves on)."""
    return f"{CHILD_APP_NAME}-{uuid.uuid4().hex[:12]}"


SHUTDOWN_GRACE_S = 2


@contextmanager
def asgi_process(settings_dict, server="daphne", **env):
    """Yield the base URL of a daphne (or uvicorn) process serving config.asgi on a free
    loopback port."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(512)
    port = listener.getsockname()[1]
    app_name = child_app_name()
    child_env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.asgi_settings",
        "DATABASE_URL": database_url(settings_dict),
        "DEBUG": "true",
        "LOG_LEVEL": "WARNING",
        # Marks the child's PostgreSQL sessions, so only they are ended afterwards.
        "PGAPPNAME": app_name,
        **env,
    }
    child_env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    process = subprocess.Popen(  # noqa: S603 - our own server binary and arguments
        server_command(server, listener.fileno()),
        cwd=ROOT,
        env=child_env,
        pass_fds=[listener.fileno()],
    )
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        try:
            # The tests are done with it: a short grace, not a graceful drain of every socket.
            process.wait(timeout=SHUTDOWN_GRACE_S)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        listener.close()
        _drop_leftover_sessions(settings_dict, app_name)


def _drop_leftover_sessions(settings_dict, app_name):
    """PostgreSQL may still hold the stopped child's sessions; the test database must drop.

    Its own connection, not Django's: a test may stop a child from async code."""
    if not settings_dict["ENGINE"].endswith("postgresql"):
        return
    with psycopg.connect(database_url(settings_dict), autocommit=True) as connection:
        connection.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND application_name = %s",
            [app_name],
        )
