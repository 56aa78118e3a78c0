"""Authentication backends that load the signed-in user with one prepared query.

Django's ModelBackend.get_user builds and compiles `User.objects.get(pk=...)` on every
request; these run it precompiled (deliberation/prepared.py). Everything else is Django's
and allauth's.
"""

from allauth.account.auth_backends import AuthenticationBackend as AllauthBackend
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend as DjangoModelBackend

from deliberation.prepared import Prepared

_USER = Prepared(lambda pk: get_user_model().objects.filter(pk=pk), int)


def _get_user(backend, user_id):
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
