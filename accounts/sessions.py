"""Database sessions, read with one prepared query (see deliberation/prepared.py).

Every signed-in request reads its session first; Django's store builds and compiles an ORM
query for it each time. This store runs the same query precompiled and checks the expiry in
Python. Writing, cycling and deleting sessions are Django's.
"""

import re

from django.contrib.sessions.backends.db import SessionStore as DatabaseStore
from django.contrib.sessions.models import Session
from django.utils import timezone

from deliberation.prepared import Prepared

_BY_KEY = Prepared(
    lambda key: Session.objects.filter(session_key=key).values_list("session_data", "expire_date"),
    str,
)


# Django makes session keys of lower-case letters and digits; a cookie with anything else
# (a NUL byte, which PostgreSQL refuses in text) names no session.
_KEY = re.compile(r"[a-z0-9]{8,64}")


class SessionStore(DatabaseStore):
    def _get_session_from_db(self):
        key = self.session_key
        if key and _KEY.fullmatch(key):
            for data, expire_date in _BY_KEY.rows(key):
                if expire_date > timezone.now():
                    return Session(session_key=key, session_data=data, expire_date=expire_date)
        self._session_key = None
        return None
