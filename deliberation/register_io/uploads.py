"""An uploaded register kept between its preview and its applying, under a token, outside any
served directory, forgotten after UPLOAD_TTL_SECONDS."""

import re
import secrets
import time
from pathlib import Path

from django.conf import settings

UPLOAD_TTL_SECONDS = 6 * 3600
TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{20,64}$")


def _imports_dir():
    path = Path(settings.MEDIA_ROOT) / "imports"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _stash_path(community, user, token):
    return _imports_dir() / f"{community.pk}-{getattr(user, 'pk', 0)}-{token}.xlsx"


def stash_upload(community, user, data):
    """Keep an uploaded register until it is applied (never under a served directory)."""
    _forget_old_uploads()
    token = secrets.token_urlsafe(24)
    _stash_path(community, user, token).write_bytes(data)
    return token


def stashed_upload(community, user, token):
    """The stashed bytes for the token, or None when the token is unknown or expired."""
    if not isinstance(token, str) or not TOKEN_RE.match(token):
        return None
    path = _stash_path(community, user, token)
    try:
        if time.time() - path.stat().st_mtime > UPLOAD_TTL_SECONDS:
            path.unlink(missing_ok=True)
            return None
        return path.read_bytes()
    except OSError:
        return None


def discard_upload(community, user, token):
    if isinstance(token, str) and TOKEN_RE.match(token):
        _stash_path(community, user, token).unlink(missing_ok=True)


def _forget_old_uploads():
    cutoff = time.time() - UPLOAD_TTL_SECONDS
    for path in _imports_dir().glob("*.xlsx"):
        try:
            if path.stat().st_mtime < cutoff:
                path.unlink(missing_ok=True)
        except OSError:
            pass
