"""The opinion map and Polis's open-data format: read an export into a map, or write a topic out.

manage.py opinion_map --polis-export DIR --json OUT    # a Polis export folder -> the map
manage.py opinion_map --topic ID --polis-out DIR       # a topic -> a Polis export folder
"""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from deliberation import opinion_map


class Command(BaseCommand):
    help = (
        "Read a Polis export folder (comments.csv, votes.csv) and write the opinion map as JSON "
        '({"participants": {voter-id: group or null}, "groups": [...], "consensus": [...]}), '
        "or write a topic's statements and answers as a Polis export folder."
    )

    def add_arguments(self, parser):
        parser.add_argument("--polis-export", metavar="DIR", help="a Polis export folder to read")
        parser.add_argument("--json", metavar="OUT", help="where to write the map ('-': stdout)")
        parser.add_argument("--topic", type=int, metavar="ID", help="a topic to write out")
        parser.add_argument("--polis-out", metavar="DIR", help="where to write the topic")

    def handle(self, *args, **options):
        if options["topic"] is not None:
            if not options["polis_out"]:
                raise CommandError("--topic needs --polis-out DIR.")
            return self.write_topic(options["topic"], Path(options["polis_out"]))
        if not options["polis_export"] or not options["json"]:
            raise CommandError("Give --polis-export DIR --json OUT, or --topic ID --polis-out DIR.")
        self.read_export(Path(options["polis_export"]), options["json"])
        return None

    def write_topic(self, topic_id, directory):
        from deliberation.models import Topic
        from deliberation.services.opinions import polis_export

        topic = Topic.objects.filter(pk=topic_id).first()
        if topic is None:
            raise CommandError(f"No topic with id {topic_id}.")
        statements, votes, people = polis_export(topic, directory)
        self.stdout.write(
            self.style.SUCCESS(
                f"Wrote {directory}: {statements} statements, {votes} answers, {people} people."
            )
        )

    def read_export(self, folder, out):
        if not folder.is_dir():
            raise CommandError(f"{folder}: not a folder (expected a Polis export folder).")
        try:
            votes, statements, removed, texts = opinion_map.read_polis_export(folder)
            result = opinion_map.compute(votes, statements, removed)
        except opinion_map.OpinionMapError as error:
            raise CommandError(str(error)) from None
        data = json.dumps(opinion_map.as_dict(result, texts), ensure_ascii=False, indent=1)
        if out == "-":
            self.stdout.write(data)
            return
        Path(out).write_text(data + "\n", encoding="utf-8")
        sizes = ", ".join(str(g.size) for g in result.groups) or "none"
        self.stdout.write(
            self.style.SUCCESS(
                f"Wrote {out}: {len(result.participants)} participants, "
                f"{result.grouped_count} grouped; groups of {sizes}; "
                f"{len(result.consensus)} consensus statements."
            )
        )
