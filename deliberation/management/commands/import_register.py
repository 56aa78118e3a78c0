"""Import an owners' register from .xlsx: a preview by default, `--apply` to write it."""

from pathlib import Path

from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError

from accounts.models import User
from accounts.phone import normalise_phone
from deliberation import register_io
from deliberation.models import Community


class Command(BaseCommand):
    help = (
        "Check an owners' register (.xlsx) against a community and show what would change; "
        "with --apply, write it in one transaction (a file with any error changes nothing)."
    )

    def add_arguments(self, parser):
        parser.add_argument("community", type=int, help="community id")
        parser.add_argument("path", help="the .xlsx file")
        parser.add_argument("--apply", action="store_true", help="write the changes")
        parser.add_argument(
            "--create-buildings",
            action="store_true",
            help="create buildings the file names but the register lacks (else: an error)",
        )
        parser.add_argument("--by", default="", help="mobile number of the person importing")

    def handle(self, *args, **options):
        community = Community.objects.filter(pk=options["community"]).first()
        if community is None:
            raise CommandError(f"No community with id {options['community']}.")
        path = Path(options["path"])
        try:
            data = path.read_bytes()
        except OSError as problem:
            raise CommandError(f"Cannot read {path}: {problem.strerror}") from None
        by = None
        if options["by"]:
            by = User.objects.filter(phone=normalise_phone(options["by"])).first()
            if by is None:
                raise CommandError(f"No user with mobile number {options['by']}.")
        create = options["create_buildings"]
        try:
            if options["apply"]:
                plan = register_io.import_register(
                    community, data, by=by, create_buildings=create, filename=path.name
                )
            else:
                parsed = register_io.read_register(data)
                plan = register_io.plan_register_import(community, parsed, create_buildings=create)
        except register_io.RegisterFileError as problem:
            raise CommandError(str(problem)) from None
        except register_io.RegisterRejected as rejected:
            plan = rejected.plan
        except PermissionDenied:
            raise CommandError(f"{by} may not import the register of {community}.") from None
        if not plan.ok:
            for error in plan.errors:
                self.stderr.write(f"row {error.row} · {error.column} · {error.message}")
            raise CommandError(f"{len(plan.errors)} problems: nothing was changed.")
        for unit in plan.changed_units:
            for name, old, new in unit.changes:
                self.stdout.write(f"{unit.label}: {register_io.change_label(name)} {old} → {new}")
        for label in plan.not_in_file:
            self.stdout.write(f"not in file (kept): {label}")
        counts = " ".join(f"{key}={value}" for key, value in plan.counts().items())
        verb = "applied" if options["apply"] else "preview (nothing written; add --apply)"
        self.stdout.write(self.style.SUCCESS(f"{verb}: {counts}"))
