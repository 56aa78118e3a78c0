from django.core.management.base import BaseCommand
from django.utils.module_loading import import_string

from deliberation.demo import SEEDERS
from deliberation.demo.registry import PERSONAS


class Command(BaseCommand):
    help = "Load the demo community (safe to run again: existing data is kept)."

    def handle(self, *args, **options):
        context = {}
        for path in SEEDERS:
            result = import_string(path)(context)
            if isinstance(result, dict):
                context.update(result)
        community = context["community"]
        self.stdout.write(self.style.SUCCESS(f"Demo community: {community.name}"))
        self.stdout.write(f"Demo logins (password for all: {context['password']}):")
        for key, phone, name, email, _roles, _owns in PERSONAS:
            self.stdout.write(f"  {key:<17} {name:<4}  phone {phone}  or  {email}")
