"""A large owners' register is applied by a task worker, all or nothing: the person sees the
units counted up while it runs, and a worker killed midway leaves the register untouched
until the job, queued again, applies it once."""

import gc
import os
import re
import signal
from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from deliberation import register_io
from deliberation.jobs import recover_stalled_jobs
from deliberation.models import AuditEntry, BackgroundJob, Unit
from deliberation.signals import job_progressed
from tests.integration.test_register_import import apply_from, row, the_existing_six, upload, xlsx
from tests.queue import run_queued_tasks
from tests.worker_process import worker_process

NEW_FLATS = 30


@pytest.fixture
def big_file(settings):
    settings.REGISTER_BACKGROUND_BYTES = 0  # every file counts as large here
    return xlsx(the_existing_six() + [row(str(300 + i), f"新业主{i}") for i in range(NEW_FLATS)])


def units(community):
    return Unit.objects.filter(building__estate__community=community).count()


def fragment(client, url):
    return client.get(url, HTTP_HX_REQUEST="true").content.decode()


@pytest.mark.django_db
def test_a_large_register_is_applied_in_the_background_with_progress(
    client, community, community_worker, big_file, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(register_io.limits, "BATCH", 10)
    monkeypatch.setattr(register_io.limits, "PROGRESS_ROWS", 10)
    monkeypatch.setattr(
        "django_tasks_db.management.commands.db_worker.close_old_connections", lambda: None
    )
    client.force_login(community_worker)
    applied = apply_from(client, community, upload(client, community, big_file))
    job_url = applied.redirect_chain[-1][0]
    assert re.fullmatch(r"/jobs/\d+/", job_url)
    assert units(community) == 6  # the request only queued the work

    seen, collecting = [], []

    def watch(sender, job, **kwargs):
        seen.append(fragment(client, job_url))
        collecting.append(gc.isenabled())

    job_progressed.connect(watch, weak=False)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            call_command("db_worker", batch=True, startup_delay=False, reload=False, verbosity=0)
    finally:
        job_progressed.receivers.clear()
        job_progressed.sender_receivers_cache.clear()

    total = 6 + NEW_FLATS
    # While the file is read: from the start, the rows read so far every ten rows, the end.
    read = [int(m.group(1)) for p in seen if (m := re.search(r"已读取 (\d+) 行", p))]
    assert read == [0, 9, 19, 29, total]
    # The cycle collector rests during the import (bench.registry_import), and only then.
    assert collecting and not any(collecting) and gc.isenabled()
    # While it is checked against the register: a share that grows.
    checked = [int(m.group(1)) for p in seen if (m := re.search(r"名册核对：(\d+)%", p))]
    assert len(checked) >= 4 and checked == sorted(checked) and checked[-1] < 100
    counts = [re.search(r"已导入 (\d+) / (\d+) 户", page) for page in seen]
    steps = [int(m.group(1)) for m in counts if m and int(m.group(2)) == total]
    # Then the flats already there, and each batch of ten with its holders and ownerships.
    assert steps == [0, 6, 16, 26, 36]
    assert units(community) == total
    page = fragment(client, job_url)
    assert f"业主名册已导入：新增 {NEW_FLATS} 个房屋，变更 0 个，6 个不变" in page
    assert AuditEntry.objects.get(verb="registry.import").actor == community_worker


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_import_leaves_the_register_untouched_and_the_retry_applies_it_once(
    client, community, community_worker, big_file
):
    client.force_login(community_worker)
    applied = apply_from(client, community, upload(client, community, big_file))
    job_url = applied.redirect_chain[-1][0]
    job = BackgroundJob.objects.get()

    read_end, write_end = os.pipe()
    with worker_process(connection.settings_dict, step_fd=write_end) as worker:
        os.close(write_end)
        with os.fdopen(read_end) as steps:
            step = steps.readline()  # inside the import's transaction, waiting
        watched = fragment(client, job_url)
        worker.send_signal(signal.SIGKILL)
        worker.wait()

    total = 6 + NEW_FLATS
    assert step == f"6/{total}\n"
    assert f"已导入 6 / {total} 户" in watched
    assert units(community) == 6  # all or nothing: nothing
    assert not AuditEntry.objects.filter(verb="registry.import").exists()

    later = timezone.now() + timedelta(seconds=settings.JOB_STALL_SECONDS + 60)
    with time_machine.travel(later, tick=False):
        assert recover_stalled_jobs() == [job]
    run_queued_tasks()

    job.refresh_from_db()
    assert (job.state, job.attempts) == ("done", 2)
    assert units(community) == total
    assert AuditEntry.objects.filter(verb="registry.import").count() == 1
    assert f"新增 {NEW_FLATS} 个房屋" in fragment(client, job_url)
