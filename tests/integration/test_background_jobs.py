"""Printing a vote's paper ballots in the background: the request that starts it only queues
the work, a worker prints one PDF per building and one for all, and the person who started
it sees the progress, a notification at the end, and a way to try again after a failure."""

import re

import pytest
from django.urls import reverse

from deliberation.models import (
    BackgroundJob,
    Building,
    DocumentKind,
    Notification,
    Role,
    StoredDocument,
)
from tests import pdf_checks
from tests.factories import add_building, add_member
from tests.vote_factories import open_vote


@pytest.fixture
def vote(community, committee_member):
    add_building(community, name="2号楼")
    return open_vote(community, committee_member)


def start_printing(client, user, vote):
    client.force_login(user)
    return client.post(reverse("vote_ballots_print", args=[vote.pk]))


def fragment(client, url):
    return client.get(url, HTTP_HX_REQUEST="true").content.decode()


def ballots_stored():
    return StoredDocument.objects.filter(kind=DocumentKind.BALLOTS)


def test_the_request_only_queues_and_the_worker_prints_each_building_and_all(
    client, community, vote, committee_member, run_tasks
):
    response = start_printing(client, committee_member, vote)
    assert response.status_code == 302
    job_url = response["Location"]
    assert not ballots_stored().exists()  # nothing was printed while the person waited
    waiting = client.get(job_url).content.decode()
    assert "等待" in waiting and 'hx-trigger="every 1s"' in waiting

    run_tasks()

    page = fragment(client, job_url)
    flats = {b.name: b.units.count() for b in Building.objects.filter(estate__community=community)}
    total = sum(flats.values())
    assert f"已生成 {total} / {total} 份" in page
    assert "hx-trigger" not in page  # finished: the page stops asking
    links = re.findall(r'href="(/jobs/\d+/files/\d+)"[^>]*>([^<]+)<', page)
    assert [label for _url, label in links] == ["1号楼 (PDF)", "2号楼 (PDF)", "全部楼栋 (PDF)"]
    pages = {label: pdf_checks.page_texts(client.get(url).getvalue()) for url, label in links}
    assert len(pages["1号楼 (PDF)"]) == flats["1号楼"]
    assert len(pages["2号楼 (PDF)"]) == flats["2号楼"]
    assert all("2号楼" in pdf_checks.squeeze(p) for p in pages["2号楼 (PDF)"])
    assert len(pages["全部楼栋 (PDF)"]) == total
    # The estate's PDF is the one the vote's ballots link serves: stored once, not re-rendered.
    whole = client.get(reverse("vote_ballots_pdf", args=[vote.pk])).getvalue()
    assert len(pdf_checks.page_texts(whole)) == total
    assert ballots_stored().count() == 3
    note = Notification.objects.get(user=committee_member)
    assert note.url == job_url and "已完成" in note.text


def test_the_person_can_leave_and_find_their_work_again(client, vote, committee_member):
    job_url = start_printing(client, committee_member, vote)["Location"]
    again = start_printing(client, committee_member, vote)  # a second tap: the same job
    assert again["Location"] == job_url
    assert BackgroundJob.objects.count() == 1
    listing = client.get(reverse("job_list")).content.decode()
    assert job_url in listing and "纸质表决票" in listing and "等待" in listing


def test_a_failed_job_says_so_and_trying_again_finishes_it(
    client, vote, committee_member, monkeypatch, run_tasks
):
    from deliberation.documents import ballots

    real_publish = ballots.publish_document
    failures = iter([OSError("disk full")])

    def publish_failing_once(**kwargs):
        failure = next(failures, None)
        if failure:
            raise failure
        return real_publish(**kwargs)

    monkeypatch.setattr(ballots, "publish_document", publish_failing_once)
    job_url = start_printing(client, committee_member, vote)["Location"]
    run_tasks()
    page = fragment(client, job_url)
    assert "失败" in page and "出了问题" in page and "重试" in page
    assert "未能完成" in Notification.objects.get(user=committee_member).text

    retry = client.post(job_url + "retry")
    assert retry["Location"] == job_url
    run_tasks()
    page = fragment(client, job_url)
    assert "已生成 9 / 9 份" in page and "重试" not in page
    assert ballots_stored().count() == 3


def test_only_the_person_who_started_it_sees_the_work(
    client, community, vote, committee_member, resident, outsider
):
    job_url = start_printing(client, committee_member, vote)["Location"]
    colleague = add_member(community, Role.COMMITTEE, name="李委员")
    for person in (colleague, resident, outsider):
        client.force_login(person)
        assert client.get(job_url).status_code == 404
        assert client.post(job_url + "retry").status_code == 404
        assert client.get(job_url + "files/0").status_code == 404


def test_residents_may_not_start_printing_and_outsiders_do_not_see_the_vote(
    client, vote, resident, outsider, committee_member
):
    assert start_printing(client, resident, vote).status_code == 403
    assert start_printing(client, outsider, vote).status_code == 404
    client.force_login(committee_member)
    assert client.get(reverse("vote_ballots_print", args=[vote.pk])).status_code == 405
    assert not BackgroundJob.objects.exists()


def test_each_building_is_its_own_task_and_counts_once_however_often_it_runs(
    client, community, vote, committee_member, run_tasks
):
    from django_tasks_db.models import DBTaskResult

    from deliberation.jobs import run_job_part

    job_url = start_printing(client, committee_member, vote)["Location"]
    run_tasks()
    job = BackgroundJob.objects.get()
    parts = list(job.parts.all())
    assert [(p.key, p.total) for p in parts] == [
        (str(b.pk), b.units.count())
        for b in Building.objects.filter(estate__community=community).order_by("name")
    ]
    part_tasks = DBTaskResult.objects.filter(task_path="deliberation.jobs.run_job_part")
    assert part_tasks.count() == len(parts)

    # A duplicate of a finished building's task (a worker lost after storing it) does nothing.
    run_job_part.enqueue(parts[0].pk)
    run_tasks()
    job.refresh_from_db()
    assert (job.state, job.done, job.total) == ("done", 9, 9)
    assert ballots_stored().count() == 3
    assert Notification.objects.filter(user=committee_member, url=job_url).count() == 1


def test_a_failure_is_told_in_the_readers_language_and_retry_is_offered_only_if_it_can_help(
    client, vote, committee_member, run_tasks
):
    from deliberation.models import ElectorateEntry
    from deliberation.services import votes

    job_url = start_printing(client, committee_member, vote)["Location"]
    entry = ElectorateEntry.objects.filter(vote=vote).first()
    votes.amend_electorate(
        vote, unit_id=entry.unit_id, area=entry.area + 1, reason="更正", by=committee_member
    )
    run_tasks()
    page = fragment(client, job_url)
    assert "开始生成后表决权人名册又有更正" in page and "重新生成表决票" in page
    assert "重试" not in page  # the same job would fail again
    client.cookies["django_language"] = "en"
    page = fragment(client, job_url)
    assert "The electorate was amended after printing was started" in page
    assert f'href="/votes/{vote.pk}/"' in page
    client.post(job_url + "retry")
    assert BackgroundJob.objects.get().state == "failed"  # not queued again
