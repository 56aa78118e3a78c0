"""Database sessions, read with one prepared query (see deliberation/prepared.py).

Every signed-in request reads its session first; Django's store builds and compiles an ORM
query for it each time. This store runs the same query precompiled and checks the expiry in
Python. Writing, cycling and deleting sessions are Django's.
"""

from django.contrib.sessions.backends.db import SessionStore as DatabaseStore
from django.contrib.sessions.models import Session
from django.utils import timezone

from deliberation.prepared import Prepared

_BY_KEY = Prepared(
    lambda key: Session.objects.filter(session_key=key).values_list("session_data", "expire_date"),
    str,
)


class SessionStore(DatabaseStore):
    def _get_session_from_db(self):
        key = self.session_key
        if key:
            for data, expire_date in _BY_KEY.rows(key):
                if expire_date > timezone.now():
                    return Session(session_key=key, session_data=data, expire_date=expire_date)
        self._session_key = None
        return None
