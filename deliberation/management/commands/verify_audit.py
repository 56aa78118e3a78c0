from django.core.management.base import BaseCommand, CommandError

from deliberation.audit import verify_chain


class Command(BaseCommand):
    help = "Walk the audit chain and report the first broken entry (exit 1 if any)."

    def handle(self, *args, **options):
        checked, entry, problem = verify_chain()
        if problem:
            where = f"entry {entry.pk} ({entry.verb})" if entry else "the chain's end"
            raise CommandError(f"Audit chain broken at {where}: {problem}. {checked} entries ok.")
        self.stdout.write(self.style.SUCCESS(f"Audit chain intact: {checked} entries."))
