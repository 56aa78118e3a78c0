"""SMS delivery behind a small interface, so a real gateway can be plugged in by settings."""

import logging

from django.conf import settings
from django.utils.module_loading import import_string

logger = logging.getLogger("gongyi.sms")


class LogSender:
    """Writes each message to the log instead of sending it (development, demo, tests)."""

    outbox = []  # the last messages, for tests and the demo console

    def send(self, phone, text):
        logger.info("SMS to %s: %s", phone, text)
        LogSender.outbox.append((phone, text))
        del LogSender.outbox[:-100]


def send_sms(phone, text):
    import_string(settings.SMS_SENDER)().send(phone, text)
