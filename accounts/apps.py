from django.apps import AppConfig
from django.core.signals import request_finished
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Accounts")

    def ready(self):
        from accounts import middleware  # noqa: F401  (connects the login-language receiver)
        from accounts.sessions import forget_loaded_user

        # A user read with a session serves that request only, wherever threads are reused.
        request_finished.connect(forget_loaded_user, dispatch_uid="gongyi-forget-session-user")
