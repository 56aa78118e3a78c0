from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MeetingsConfig(AppConfig):
    name = "meetings"
    verbose_name = _("Meetings")
    # What "download my data" exports of a person's part in meetings (accounts/data_export.py):
    # (key, title, model, lookups tying a row to the person; the first that exists wins).
    # A seat holds the invitation, the reply, the check-in and the draft confirmed; a
    # signature is the person's as a participant (online, on paper or refused) or one she gave
    # in an office (chair, secretary), which names no participant.
    personal_data = [
        ("meeting_seats", _("Meetings you were invited to"), "Participant", ["user"]),
        (
            "meeting_speeches",
            _("Requests to speak and speeches in meetings"),
            "SpeakerRequest",
            ["participant__user"],
        ),
        (
            "meeting_votes",
            _("Your answers to votes in meetings"),
            "LiveVoteResponse",
            ["participant__user"],
        ),
        (
            "meeting_corrections",
            _("Corrections to meeting minutes"),
            "MinutesCorrection",
            ["participant__user"],
        ),
        (
            "meeting_signatures",
            _("Your signatures of meeting minutes"),
            "Signature",
            [("participant__user", "user")],
        ),
    ]

    def ready(self):
        from meetings import (
            published,  # noqa: F401  (stores published records on the queue)
            rendering,  # noqa: F401  (hears the services' room signals)
        )
