from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils import translation

from deliberation.services.execution import send_reminders


class Command(BaseCommand):
    help = (
        "Remind responsible parties 3 days before and on a task's due date, escalate overdue "
        "tasks to the Party secretary and the street office, and conclude evaluations whose "
        "window has ended. Safe to run every few minutes: each message goes out once."
    )

    def handle(self, *args, **options):
        with translation.override(settings.LANGUAGE_CODE):
            sent = send_reminders()
        summary = ", ".join(f"{kind}: {n}" for kind, n in sorted(sent.items())) or "nothing due"
        self.stdout.write(summary)
