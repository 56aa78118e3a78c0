"""SMS delivery behind a small interface, so a real gateway can be plugged in by settings.

A sender has `send(phone, text)` (free text: sign-up codes and the like) and may have
`send_template(phone, *, template, params, text, out_id, language)`, which sends a template
registered with the gateway (in the recipient's language where one is), tagged with `out_id`,
and returns the gateway's message id (notices; see deliberation/delivery.py). Senders without
it get the rendered `text` through `send`. A sender
that can also answer `query_sent(phone, *, out_id, since)` — None if the gateway never got
that message, else {"status", "reason", "message_id"} — lets a message whose sender died
mid-send be settled without a resend; others leave its outcome unknown.
"""

import logging
import uuid

from django.conf import settings
from django.utils.module_loading import import_string

logger = logging.getLogger("gongyi.sms")


class SmsError(Exception):
    """The gateway refused or could not be reached; the message was not sent."""


class LogSender:
    """Writes each message to the log instead of sending it (development, demo, tests)."""

    outbox = []  # the last messages, for tests and the demo console

    def send(self, phone, text):
        logger.info("SMS to %s: %s", phone, text)
        LogSender.outbox.append((phone, text))
        del LogSender.outbox[:-100]

    def send_template(self, phone, *, template, params, text, out_id="", language=""):
        self.send(phone, text)
        return f"log-{uuid.uuid4().hex[:16]}"


def sender():
    return import_string(settings.SMS_SENDER)()


def send_sms(phone, text):
    sender().send(phone, text)


def send_template_sms(phone, *, template, params, text, out_id="", language=""):
    """Send a templated message; returns the gateway's message id ("" if it gives none)."""
    backend = sender()
    if hasattr(backend, "send_template"):
        answer = backend.send_template(
            phone, template=template, params=params, text=text, out_id=out_id, language=language
        )
        return answer or ""
    backend.send(phone, text)
    return ""
