"""How the task queue stands: tasks by status, the oldest waiting, and the jobs at work (with
the states of a split job's parts: "parts 3 done 2 running 5 queued")."""

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db.models import Count, Min
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from deliberation.models import ACTIVE_JOB_STATES, BackgroundJob


class Command(BaseCommand):
    help = "Show the task queue: tasks by status, the oldest waiting task, jobs in progress."

    def handle(self, **options):
        now = timezone.now()
        counts = dict(DBTaskResult.objects.values_list("status").annotate(n=Count("id")).order_by())
        for status in ("READY", "RUNNING", "SUCCESSFUL", "FAILED"):
            self.stdout.write(f"{status.lower():<11} {counts.get(status, 0)}")
        oldest = DBTaskResult.objects.ready().aggregate(at=Min("enqueued_at"))["at"]
        if oldest is not None:
            self.stdout.write(f"oldest ready task waiting {(now - oldest).total_seconds():.0f} s")
        stall = settings.JOB_STALL_SECONDS
        for job in BackgroundJob.objects.filter(state__in=ACTIVE_JOB_STATES).order_by("pk"):
            beat = job.heartbeat_at
            age = f"{(now - beat).total_seconds():.0f} s ago" if beat else "none"
            stale = " STALLED" if beat and (now - beat).total_seconds() > stall else ""
            parts = dict(job.parts.values_list("state").annotate(n=Count("id")).order_by())
            shares = (
                ", parts " + " ".join(f"{n} {state}" for state, n in sorted(parts.items()))
                if parts
                else ""
            )
            self.stdout.write(
                f"job {job.pk} {job.kind} {job.state} {job.done}/{job.total} "
                f"attempt {job.attempts}, heartbeat {age}{stale}{shares}: {job.title}"
            )
