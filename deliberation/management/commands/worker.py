"""`manage.py worker`: django-tasks' database worker (`db_worker`, same options) that first
makes sure the project's periodic work is scheduled (deliberation.periodic)."""

from django_tasks_db.management.commands.db_worker import Command as DatabaseWorkerCommand

from deliberation.periodic import ensure_scheduled


class Command(DatabaseWorkerCommand):
    help = "Run a task worker, scheduling the periodic work (reminders, escalations) first."

    def handle(self, *args, **options):
        ensure_scheduled()
        super().handle(*args, **options)
