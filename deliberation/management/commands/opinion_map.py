"""Compute the opinion map of a Polis export folder (comments.csv, votes.csv) to JSON."""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from deliberation import opinion_map


class Command(BaseCommand):
    help = (
        "Read a Polis export folder (comments.csv, votes.csv) and write the opinion map as JSON: "
        '{"participants": {voter-id: group or null}, "groups": [...], "consensus": [...]}.'
    )

    def add_arguments(self, parser):
        parser.add_argument("--polis-export", required=True, metavar="DIR")
        parser.add_argument("--json", required=True, metavar="OUT", help="'-' for stdout")

    def handle(self, *args, **options):
        folder = Path(options["polis_export"])
        if not folder.is_dir():
            raise CommandError(f"{folder}: not a folder (expected a Polis export folder).")
        try:
            votes, statements, removed, texts = opinion_map.read_polis_export(folder)
            result = opinion_map.compute(votes, statements, removed)
        except opinion_map.OpinionMapError as error:
            raise CommandError(str(error)) from None
        data = json.dumps(opinion_map.as_dict(result, texts), ensure_ascii=False, indent=1)
        if options["json"] == "-":
            self.stdout.write(data)
            return
        Path(options["json"]).write_text(data + "\n", encoding="utf-8")
        sizes = ", ".join(str(g.size) for g in result.groups) or "none"
        self.stdout.write(
            self.style.SUCCESS(
                f"Wrote {options['json']}: {len(result.participants)} participants, "
                f"{result.grouped_count} grouped; groups of {sizes}; "
                f"{len(result.consensus)} consensus statements."
            )
        )
