"""Database sessions that bring their user along, read with one prepared query.

Every signed-in request reads its session and then its user: two round trips, each with
an ORM query Django builds and compiles anew. Here the session row names its user
(accounts.models.Session.user, kept from the session's data whenever it is saved), and one
precompiled query (plumbing/prepared.py) reads the session with that user joined. The
user is handed to the authentication backend (accounts/backends.py), which still checks that
it is the session's user and that it may sign in; Django's own checks (the password hash in
the session, for one) are unchanged. Writing, cycling and deleting sessions are Django's.
"""

import contextvars
import re

from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore as DatabaseStore
from django.utils import timezone

from accounts.models import Session
from plumbing.prepared import Prepared

_BY_KEY = Prepared(
    lambda key: Session.objects.filter(session_key=key).select_related("user"),
    str,
)

# Django makes session keys of lower-case letters and digits; a cookie with anything else
# (a NUL byte, which PostgreSQL refuses in text) names no session.
_KEY = re.compile(r"[a-z0-9]{8,64}")

# The user read with the session this request (context) loaded last, for the backend.
_loaded_user = contextvars.ContextVar("gongyi_session_user", default=None)


def user_loaded_with_session(user_id):
    """The user the session read just now named, if its id is `user_id`; taken only once."""
    user = _loaded_user.get()
    _loaded_user.set(None)
    if user is not None and str(user.pk) == str(user_id):
        return user
    return None


def forget_loaded_user(**kwargs):
    _loaded_user.set(None)


class SessionStore(DatabaseStore):
    @classmethod
    def get_model_class(cls):
        return Session

    def _get_session_from_db(self):
        _loaded_user.set(None)
        key = self.session_key
        if key and _KEY.fullmatch(key):
            session = _BY_KEY.first(key)
            if session is not None and session.expire_date > timezone.now():
                _loaded_user.set(session.user)
                return session
        self._session_key = None
        return None

    def create_model_instance(self, data):
        session = super().create_model_instance(data)
        try:
            session.user_id = int(data.get(SESSION_KEY))
        except (TypeError, ValueError):
            session.user_id = None
        return session
