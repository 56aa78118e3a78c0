"""Export a community's owners' register to .xlsx, in the format import_register reads."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from deliberation import register_io
from deliberation.models import Community


class Command(BaseCommand):
    help = "Write a community's owners' register to an .xlsx file (identity numbers masked)."

    def add_arguments(self, parser):
        parser.add_argument("community", type=int, help="community id")
        parser.add_argument("path", help="where to write the .xlsx file")
        parser.add_argument("--language", choices=["zh-hans", "en"], default="zh-hans")

    def handle(self, *args, **options):
        community = Community.objects.filter(pk=options["community"]).first()
        if community is None:
            raise CommandError(f"No community with id {options['community']}.")
        data = register_io.export_register(community, language=options["language"])
        Path(options["path"]).write_bytes(data)
        self.stdout.write(self.style.SUCCESS(f"Wrote {options['path']} ({len(data)} bytes)."))
