"""A real worker process killed in the middle of printing a vote's ballots (SIGKILL, as when
a machine loses power) leaves nothing half-done, and the job, queued again once its heartbeat
is stale, resumes on a new worker without printing anything twice. Two workers share one
job's buildings, and the job counts each building once."""

import io
import os
import re
import signal
from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from deliberation.jobs import recover_stalled_jobs
from deliberation.models import (
    BackgroundJob,
    DocumentKind,
    Notification,
    StoredDocument,
    Unit,
)
from tests import pdf_checks
from tests.factories import add_building
from tests.queue import run_queued_tasks
from tests.vote_factories import open_vote
from tests.worker_process import worker_process

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def vote(community, committee_member):
    add_building(community, name="2号楼")
    return open_vote(community, committee_member)


def queue_status():
    out = io.StringIO()
    call_command("queue_status", stdout=out)
    return out.getvalue()


def stored_files():
    return sorted(p.name for p in (settings.MEDIA_ROOT / "documents").glob("ballots-*.pdf"))


def test_a_worker_killed_mid_task_leaves_nothing_half_done_and_the_job_resumes(
    client, community, vote, committee_member
):
    first_building = community.estates.get().buildings.get(name="1号楼")
    flats = Unit.objects.filter(building__estate__community=community).count()
    client.force_login(committee_member)
    job_url = client.post(reverse("vote_ballots_print", args=[vote.pk]))["Location"]
    job = BackgroundJob.objects.get()

    read_end, write_end = os.pipe()
    with worker_process(connection.settings_dict, step_fd=write_end) as worker:
        os.close(write_end)
        with os.fdopen(read_end) as steps:
            step = steps.readline()  # the worker has stored the first building and waits
        # Meanwhile the person watches the bar move.
        fragment = client.get(job_url, HTTP_HX_REQUEST="true").content.decode()
        worker.send_signal(signal.SIGKILL)
        worker.wait()

    first = first_building.units.count()
    assert step == f"{first}/{flats}\n"
    assert f"已生成 {first} / {flats} 份" in fragment and 'hx-trigger="every 1s"' in fragment
    job.refresh_from_db()
    assert job.state == "running"  # lost with its worker, not finished
    kept = list(StoredDocument.objects.filter(kind=DocumentKind.BALLOTS))
    assert len(kept) == 1  # the first building only: no estate PDF without all its parts
    assert stored_files() == [kept[0].file.name.split("/")[-1]]

    # Nothing is queued again while the heartbeat is fresh.
    assert recover_stalled_jobs() == []
    later = timezone.now() + timedelta(seconds=settings.JOB_STALL_SECONDS + 60)
    with time_machine.travel(later, tick=False):
        status = queue_status()
        assert "running     1" in status
        assert f"job {job.pk} ballots running {first}/{flats} attempt 1" in status
        assert "STALLED, parts 1 done 1 queued:" in status  # what an operator watching sees
        assert recover_stalled_jobs() == [job]
    # The second building's task still waits in the queue, beside the job queued again.
    assert "ready       2" in queue_status()

    run_queued_tasks()

    job.refresh_from_db()
    # The waiting second building ran first and, being the last, completed the job.
    assert (job.state, job.done, job.total) == ("done", flats, flats)
    documents = StoredDocument.objects.filter(kind=DocumentKind.BALLOTS)
    assert documents.count() == 3  # each building once, and the estate
    assert kept[0] in documents  # the first building was not printed again
    assert len(stored_files()) == 3
    statuses = sorted(DBTaskResult.objects.values_list("status", flat=True))
    # The job's two runs (the second found it done) and the second building succeeded; the
    # lost part is marked as such.
    assert statuses == ["FAILED", "SUCCESSFUL", "SUCCESSFUL", "SUCCESSFUL"]
    assert [(p.state, p.attempts) for p in job.parts.all()] == [("done", 1), ("done", 1)]

    page = client.get(job_url).content.decode()
    links = re.findall(r'href="(/jobs/\d+/files/\d+)"', page)
    whole = pdf_checks.page_texts(client.get(links[-1]).getvalue())
    heads = [re.search(r"\d号楼-\d{3}", pdf_checks.squeeze(p)).group(0) for p in whole]
    units = Unit.objects.filter(building__estate__community=community)
    assert sorted(heads) == sorted(f"{u.building.name}-{u.number}" for u in units)
    assert Notification.objects.filter(user=committee_member, url=job_url).count() == 1


def test_a_second_worker_prints_the_other_buildings_while_the_first_is_busy(
    client, community, vote, committee_member
):
    flats = Unit.objects.filter(building__estate__community=community).count()
    client.force_login(committee_member)
    job_url = client.post(reverse("vote_ballots_print", args=[vote.pk]))["Location"]
    job = BackgroundJob.objects.get()

    read_end, write_end = os.pipe()
    with worker_process(connection.settings_dict, step_fd=write_end) as busy:
        os.close(write_end)
        with os.fdopen(read_end) as steps:
            steps.readline()  # the first worker has stored one building and is held there
        run_queued_tasks()  # a second worker
        job.refresh_from_db()
        assert busy.poll() is None  # still held: the rest was done by the second worker
        busy.kill()
        busy.wait()

    assert (job.state, job.done, job.total) == ("done", flats, flats)
    assert [p.state for p in job.parts.all()] == ["done", "done"]
    workers = {
        DBTaskResult.objects.get(pk=p.task_result_id).worker_ids[-1] for p in job.parts.all()
    }
    assert len(workers) == 2
    assert StoredDocument.objects.filter(kind=DocumentKind.BALLOTS).count() == 3
    assert Notification.objects.filter(user=committee_member, url=job_url).count() == 1
