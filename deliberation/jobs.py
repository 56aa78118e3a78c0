"""Long work on the task queue, and the job row that shows its progress to the person.

`start_job` records the job and enqueues `run_job` in one transaction, so a job is never
queued without its row nor left without its task. A job's runner must be idempotent: it
skips what an earlier attempt already stored, so a worker killed midway leaves nothing
half-done and the job resumes without duplicating anything (`recover_stalled_jobs`).
"""

import json
import logging
import os
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, override
from django_tasks import task

from deliberation.messages import Message
from deliberation.models import ACTIVE_JOB_STATES, BackgroundJob, JobState
from deliberation.notices import notify

logger = logging.getLogger(__name__)

# kind -> the runner, called as runner(job, progress); progress(done, total) records a step.
RUNNERS = {
    "ballots": "deliberation.documents.ballots.print_ballots",
    "register": "deliberation.register_job.apply_register",
    "delivery": "deliberation.delivery.run_delivery_job",
}


class JobError(Exception):
    """A failure the person can act on; its message is shown to them as it is."""


def start_job(*, kind, target, community, title, params, by):
    """The active job for this kind and target, or a new one, queued."""
    existing = active_job(kind, target)
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            job = BackgroundJob.objects.create(
                started_by=by,
                community=community,
                kind=kind,
                target=target,
                title=title[:200],
                params=params,
            )
            _enqueue(job)
    except IntegrityError:
        # Someone started the same work a moment earlier: theirs is the job.
        return active_job(kind, target)
    return job


def active_job(kind, target):
    return BackgroundJob.objects.filter(
        kind=kind, target=target, state__in=ACTIVE_JOB_STATES
    ).first()


def retry_job(job):
    """Queue a failed job again; it resumes from what it had stored."""
    with transaction.atomic():
        job = BackgroundJob.objects.select_for_update().get(pk=job.pk)
        if job.state != JobState.FAILED:
            return job
        if active_job(job.kind, job.target) is not None:
            return active_job(job.kind, job.target)
        job.state = JobState.QUEUED
        job.error = ""
        job.finished_at = None
        job.save(update_fields=["state", "error", "finished_at"])
        _enqueue(job)
    return job


def _enqueue(job):
    result = run_job.enqueue(job.pk)
    # The immediate backend (tests) has already run it and saved the row meanwhile.
    BackgroundJob.objects.filter(pk=job.pk).update(task_result_id=str(result.id))
    job.task_result_id = str(result.id)


@task()
def run_job(job_id):
    """Run one job to its end, recording progress, the outcome and a notification."""
    with transaction.atomic():
        job = BackgroundJob.objects.select_for_update().filter(pk=job_id).first()
        if job is None or job.state not in ACTIVE_JOB_STATES:
            return  # done, failed, or gone: a stale duplicate of the task
        job.state = JobState.RUNNING
        job.attempts += 1
        job.heartbeat_at = timezone.now()
        job.save(update_fields=["state", "attempts", "heartbeat_at"])

    outer_blocks = len(connection.atomic_blocks)  # none in a worker; a test's own

    def progress(done, total):
        job.done, job.total = min(done, total), total
        if len(connection.atomic_blocks) > outer_blocks:
            # All-or-nothing work: its own writes show only at the end, and on SQLite no
            # other connection may write meanwhile, so the count goes beside the database.
            write_live_progress(job.pk, job.done, total)
        else:
            BackgroundJob.objects.filter(pk=job.pk).update(
                done=job.done, total=total, heartbeat_at=timezone.now()
            )
        from deliberation.signals import job_progressed

        job_progressed.send(BackgroundJob, job=job)

    runner = import_string(RUNNERS[job.kind])
    try:
        with override(settings.LANGUAGE_CODE):
            results = runner(job, progress)
    except Exception as exc:
        if isinstance(exc, JobError):
            message = str(exc)
        else:
            logger.exception("Background job %s failed", job.pk)
            message = _("Something went wrong on our side. Try again; if it fails again, tell us.")
        _finish(job, JobState.FAILED, error=message[:300])
        return
    _finish(job, JobState.DONE, results=results or [])


def _live_path(job_id):
    return Path(settings.MEDIA_ROOT) / "jobs" / f"{job_id}.json"


def write_live_progress(job_id, done, total):
    """The latest count of a job working inside one transaction, in a small file under
    MEDIA_ROOT (shared by the web and task workers, docs/operations.md)."""
    path = _live_path(job_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".tmp")
    partial.write_text(json.dumps([done, total]))
    os.replace(partial, path)  # readers see the old count or the new, never half of one


def with_live_progress(job):
    """The job with its latest count, if work inside a transaction has gone further."""
    if not job.is_active:
        return job
    try:
        done, total = json.loads(_live_path(job.pk).read_text())
    except (OSError, ValueError, TypeError):
        return job
    if done >= job.done:
        job.done, job.total = done, total
    return job


def _finish(job, state, *, results=None, error=""):
    _live_path(job.pk).unlink(missing_ok=True)
    with transaction.atomic():
        job.state = state
        job.error = error
        job.finished_at = timezone.now()
        fields = ["state", "error", "finished_at"]
        if results is not None:
            job.results = results
            fields.append("results")
        job.save(update_fields=fields)
        if state == JobState.DONE:
            text = Message(gettext_noop("Ready: %(title)s"), title=job.title)
        else:
            text = Message(gettext_noop("Could not finish: %(title)s"), title=job.title)
        notify([job.started_by_id], text, reverse("job_detail", args=[job.pk]))


def recover_stalled_jobs(now=None):
    """Queue again the running jobs whose worker stopped writing (killed, machine lost).

    Their old task is marked failed so the queue shows the truth; the runner resumes from
    what was stored. Returns the jobs queued again.
    """
    from django_tasks_db.models import DBTaskResult

    now = now or timezone.now()
    cutoff = now - timedelta(seconds=settings.JOB_STALL_SECONDS)
    recovered = []
    for job in BackgroundJob.objects.filter(state=JobState.RUNNING, heartbeat_at__lt=cutoff):
        with transaction.atomic():
            job = BackgroundJob.objects.select_for_update().get(pk=job.pk)
            if job.state != JobState.RUNNING or job.heartbeat_at >= cutoff:
                continue
            if job.task_result_id:
                DBTaskResult.objects.filter(pk=job.task_result_id, status="RUNNING").update(
                    status="FAILED", finished_at=now
                )
            job.state = JobState.QUEUED
            job.heartbeat_at = None
            job.save(update_fields=["state", "heartbeat_at"])
            _enqueue(job)
        recovered.append(job)
    return recovered
