"""Long work on the task queue, and the job row that shows its progress to the person.

`start_job` records the job and enqueues `run_job` in one transaction, so a job is never
queued without its row nor left without its task. A job's runner must be idempotent: it
skips what an earlier attempt already stored, so a worker killed midway leaves nothing
half-done and the job resumes without duplicating anything (`recover_stalled_jobs`).

Work that divides (one PDF per building) is a *split* job: `run_job` plans its parts and
queues one `run_job_part` task for each, so N workers share it; the job's count is the sum
of its finished parts, and the worker that finishes the last part puts the whole together.
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
from django.utils.translation import gettext_noop, override
from django_tasks import task

from deliberation.messages import Message
from deliberation.models import ACTIVE_JOB_STATES, BackgroundJob, JobPart, JobState
from deliberation.notices import notify

logger = logging.getLogger(__name__)

# kind -> the runner, called as runner(job, progress); progress(done, total) records a step.
RUNNERS = {
    "register": "deliberation.register_job.apply_register",
    "delivery": "deliberation.delivery.run_delivery_job",
}

# kind -> the work of a split job: an object with plan(job) -> [(key, total)] in order,
# run_part(job, key) -> the part's result (a dict, stored), and finish(job, [results]) ->
# the job's results. Each must be idempotent: a part may run again after a lost worker.
SPLIT = {
    "ballots": "deliberation.documents.ballots.BALLOTS",
}


class JobError(Exception):
    """A failure the person can act on, shown to them: a deliberation.messages.Message, so
    each reader gets their language (or, from older code, a text shown as it is). With
    retry=False, running the same job again cannot help: the person starts anew."""

    def __init__(self, message, *, retry=True):
        super().__init__(message)
        self.retry = retry


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
        if job.state != JobState.FAILED or not job.may_retry:
            return job
        if active_job(job.kind, job.target) is not None:
            return active_job(job.kind, job.target)
        job.state = JobState.QUEUED
        job.error = ""
        job.error_message = {}
        job.finished_at = None
        job.save(update_fields=["state", "error", "error_message", "finished_at"])
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

    _live_path(job.pk).unlink(missing_ok=True)  # a lost attempt's count is not this one's
    outer_blocks = len(connection.atomic_blocks)  # none in a worker; a test's own

    def progress(done, total, stage=""):
        job.done, job.total, job.stage = min(done, total), total, stage
        if len(connection.atomic_blocks) > outer_blocks:
            # All-or-nothing work: its own writes show only at the end, and on SQLite no
            # other connection may write meanwhile, so the count goes beside the database.
            write_live_progress(job.pk, job.done, total, stage)
        else:
            BackgroundJob.objects.filter(pk=job.pk).update(
                done=job.done, total=total, stage=stage, heartbeat_at=timezone.now()
            )
        _progressed(job)

    if job.kind in SPLIT:
        _dispatch(job, import_string(SPLIT[job.kind]))
        return
    runner = import_string(RUNNERS[job.kind])
    try:
        with override(settings.LANGUAGE_CODE):
            results = runner(job, progress)
    except Exception as exc:
        _finish(job, JobState.FAILED, error=_failure_message(job, exc), retry=_may_retry(exc))
        return
    _finish(job, JobState.DONE, results=results or [])


def _may_retry(exc):
    return not isinstance(exc, JobError) or exc.retry


def _failure_message(job, exc):
    if isinstance(exc, JobError):
        return exc.args[0]
    logger.exception("Background job %s failed", job.pk)
    return Message(
        gettext_noop("Something went wrong on our side. Try again; if it fails again, tell us.")
    )


def _in_flight(part, cutoff):
    """Whether the part's task is waiting in the queue or at work on a live worker."""
    from django_tasks_db.models import DBTaskResult

    if not part.task_result_id:
        return False
    status = (
        DBTaskResult.objects.filter(pk=part.task_result_id).values_list("status", flat=True).first()
    )
    if status == "READY":
        return True
    return status == "RUNNING" and part.heartbeat_at is not None and part.heartbeat_at >= cutoff


def _dispatch(job, work):
    """Plan a split job's parts (once) and queue a task for each part not yet done."""
    try:
        with override(settings.LANGUAGE_CODE):
            planned = work.plan(job)
    except Exception as exc:
        _finish(job, JobState.FAILED, error=_failure_message(job, exc), retry=_may_retry(exc))
        return
    now = timezone.now()
    cutoff = now - timedelta(seconds=settings.JOB_STALL_SECONDS)
    with transaction.atomic():
        known = set(job.parts.values_list("key", flat=True))
        JobPart.objects.bulk_create(
            [
                JobPart(job=job, position=position, key=str(key), total=total)
                for position, (key, total) in enumerate(planned)
                if str(key) not in known
            ]
        )
        parts = list(job.parts.select_for_update().order_by("position"))
        job.total = sum(part.total for part in parts)
        job.done = sum(part.total for part in parts if part.state == JobState.DONE)
        job.heartbeat_at = now
        job.save(update_fields=["total", "done", "heartbeat_at"])
        for part in parts:
            if part.state == JobState.DONE or _in_flight(part, cutoff):
                continue
            part.state = JobState.QUEUED
            part.task_result_id = str(run_job_part.enqueue(part.pk).id)
            part.save(update_fields=["state", "task_result_id"])
    _progressed(job)
    if all(part.state == JobState.DONE for part in parts):
        _complete(job, work)  # every part was stored before a lost worker could join them


@task()
def run_job_part(part_id):
    """Do one part of a split job; the worker that finishes the last part completes the job."""
    now = timezone.now()
    with transaction.atomic():
        part = JobPart.objects.select_for_update().filter(pk=part_id).first()
        if part is None or part.state == JobState.DONE:
            return  # a duplicate of a finished part's task
        job = BackgroundJob.objects.get(pk=part.job_id)
        if job.state not in ACTIVE_JOB_STATES:
            return  # the job failed meanwhile: trying again queues this part anew
        part.state = JobState.RUNNING
        part.attempts += 1
        part.heartbeat_at = now
        part.save(update_fields=["state", "attempts", "heartbeat_at"])
        BackgroundJob.objects.filter(pk=job.pk).update(heartbeat_at=now)
    work = import_string(SPLIT[job.kind])
    try:
        with override(settings.LANGUAGE_CODE):
            result = work.run_part(job, part.key)
    except Exception as exc:
        JobPart.objects.filter(pk=part.pk, state=JobState.RUNNING).update(state=JobState.FAILED)
        _finish(job, JobState.FAILED, error=_failure_message(job, exc), retry=_may_retry(exc))
        return
    with transaction.atomic():
        job = BackgroundJob.objects.select_for_update().get(pk=job.pk)
        counted = (
            JobPart.objects.filter(pk=part.pk)
            .exclude(state=JobState.DONE)
            .update(state=JobState.DONE, result=result, heartbeat_at=timezone.now())
        )
        if counted:
            job.done = min(job.done + part.total, job.total)
            job.heartbeat_at = timezone.now()
            job.save(update_fields=["done", "heartbeat_at"])
        last = (
            counted
            and job.state in ACTIVE_JOB_STATES
            and not job.parts.exclude(state=JobState.DONE).exists()
        )
    if counted:
        _progressed(job)
    if last:
        _complete(job, work)


def _complete(job, work):
    results = [part.result for part in job.parts.order_by("position")]
    try:
        with override(settings.LANGUAGE_CODE):
            results = work.finish(job, results)
    except Exception as exc:
        _finish(job, JobState.FAILED, error=_failure_message(job, exc), retry=_may_retry(exc))
        return
    _finish(job, JobState.DONE, results=results)


def _progressed(job):
    from deliberation.signals import job_progressed

    job_progressed.send(BackgroundJob, job=job)


def _live_path(job_id):
    return Path(settings.MEDIA_ROOT) / "jobs" / f"{job_id}.json"


def write_live_progress(job_id, done, total, stage=""):
    """The latest count of a job working inside one transaction, in a small file under
    MEDIA_ROOT (shared by the web and task workers, docs/operations.md). Written only once
    the database row can no longer be, so while the file exists it is the newer count."""
    path = _live_path(job_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".tmp")
    partial.write_text(json.dumps([done, total, stage]))
    os.replace(partial, path)  # readers see the old count or the new, never half of one


def with_live_progress(job):
    """The job with its latest count, if work inside a transaction has gone further."""
    if not job.is_active:
        return job
    try:
        job.done, job.total, job.stage = json.loads(_live_path(job.pk).read_text())
    except (OSError, ValueError, TypeError):
        pass
    return job


def _finish(job, state, *, results=None, error="", retry=True):
    with transaction.atomic():
        current = BackgroundJob.objects.select_for_update().get(pk=job.pk)
        if current.state not in ACTIVE_JOB_STATES:
            return  # another worker has already finished it (a split job's parts)
        job.state = state
        if isinstance(error, Message):
            job.error, job.error_message = error.in_site_language()[:300], error.as_data()
        else:
            job.error, job.error_message = str(error)[:300], {}
        job.may_retry = retry
        job.finished_at = timezone.now()
        fields = ["state", "error", "error_message", "may_retry", "finished_at"]
        if results is not None:
            job.results = results
            fields.append("results")
        job.save(update_fields=fields)
        if state == JobState.DONE:
            text = Message(gettext_noop("Ready: %(title)s"), title=job.title)
        else:
            text = Message(gettext_noop("Could not finish: %(title)s"), title=job.title)
        notify([job.started_by_id], text, reverse("job_detail", args=[job.pk]))
    # Only now: until the row says the job ended, the page reads the count from this file.
    _live_path(job.pk).unlink(missing_ok=True)


def recover_stalled_jobs(now=None):
    """Queue again the running jobs whose worker stopped writing (killed, machine lost).

    Their old task is marked failed so the queue shows the truth; the runner resumes from
    what was stored. A split job's heartbeat moves whenever one of its parts starts or ends,
    so it stalls only when all its workers have stopped; queued again, it queues anew the
    parts that are neither done nor waiting in the queue. Returns the jobs queued again.
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
            tasks = [job.task_result_id, *job.parts.values_list("task_result_id", flat=True)]
            DBTaskResult.objects.filter(pk__in=[t for t in tasks if t], status="RUNNING").update(
                status="FAILED", finished_at=now
            )
            job.parts.filter(state=JobState.RUNNING).update(state=JobState.QUEUED)
            job.state = JobState.QUEUED
            job.heartbeat_at = None
            job.save(update_fields=["state", "heartbeat_at"])
            _enqueue(job)
        recovered.append(job)
    return recovered
