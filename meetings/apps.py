from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MeetingsConfig(AppConfig):
    name = "meetings"
    verbose_name = _("Meetings")

    def ready(self):
        from meetings import (
            published,  # noqa: F401  (stores published records on the queue)
            rendering,  # noqa: F401  (hears the services' room signals)
        )
