"""Authentication backends that take the signed-in user from the session's own query.

Django's ModelBackend.get_user builds and compiles `User.objects.get(pk=...)` on every
request. These use the user that accounts/sessions.py read with the session, and otherwise
run that query precompiled (plumbing/prepared.py). Everything else is Django's and
allauth's.
"""

from allauth.account.auth_backends import AuthenticationBackend as AllauthBackend
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend as DjangoModelBackend

from accounts.sessions import user_loaded_with_session
from plumbing.prepared import Prepared

_USER = Prepared(lambda pk: get_user_model().objects.filter(pk=pk), int)


def _get_user(backend, user_id):
    user = user_loaded_with_session(user_id)
    if user is None:
        try:
            user = _USER.first(int(user_id))
        except (TypeError, ValueError):
            return None
    return user if user is not None and backend.user_can_authenticate(user) else None


class ModelBackend(DjangoModelBackend):
    def get_user(self, user_id):
        return _get_user(self, user_id)


class AuthenticationBackend(AllauthBackend):
    def get_user(self, user_id):
        return _get_user(self, user_id)
