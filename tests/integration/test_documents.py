"""PDF downloads through the real pages' permissions: stored once, hashed in the audit log."""

import hashlib
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from deliberation.documents.storage import publish_document, read_document
from deliberation.models import (
    AuditEntry,
    BallotChannel,
    DocumentKind,
    Holder,
    Notice,
    NoticeKind,
    StoredDocument,
)
from deliberation.notices import publish_notice
from deliberation.services import votes
from meetings.models import Kind, Status
from tests import pdf_checks
from tests.factories import make_user
from tests.meeting_factories import make_meeting
from tests.vote_factories import move_to, open_vote


@pytest.fixture(autouse=True)
def _quick_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def notice(community, community_worker):
    return publish_notice(
        community=community,
        kind=NoticeKind.DECISION,
        title="关于3号楼加装电梯的公示",
        body="经协商，同意加装电梯。<script>alert(1)</script>",
        by=community_worker,
    )


def download(client, user, url):
    client.force_login(user)
    return client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans")


def notice_url(notice):
    return reverse("notice_pdf", args=[notice.community_id, notice.pk])


# --- notices ------------------------------------------------------------------------------------


def test_a_member_downloads_the_notice_with_its_publication_period(client, resident, notice):
    response = download(client, resident, notice_url(notice))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert "attachment" in response["Content-Disposition"]
    text = pdf_checks.squeeze(pdf_checks.all_text(response.content))
    assert "关于3号楼加装电梯的公示" in text
    assert "公示期15天" in text
    assert "<script>alert(1)</script>" in text  # printed as text, never run
    assert pdf_checks.tofu(response.content) == []


def test_the_published_pdf_is_stored_once_and_its_hash_is_audited(client, resident, notice):
    first = download(client, resident, notice_url(notice)).content
    second = download(client, resident, notice_url(notice)).content
    assert first == second
    stored = StoredDocument.objects.get()
    assert stored.kind == DocumentKind.NOTICE
    assert stored.sha256 == hashlib.sha256(first).hexdigest()
    assert stored.file.name.startswith("documents/")
    entry = AuditEntry.objects.get(verb="document.publish")
    assert entry.data["sha256"] == stored.sha256
    assert entry.community_id == notice.community_id


def test_a_stored_pdf_that_was_altered_is_not_served(client, resident, notice):
    download(client, resident, notice_url(notice))
    stored = StoredDocument.objects.get()
    with open(stored.file.path, "ab") as handle:
        handle.write(b"tampered")
    response = download(client, resident, notice_url(notice))
    assert response.status_code == 500
    assert "指纹不符" in response.content.decode()


@pytest.fixture
def minutes_notice(community, community_worker):
    """Minutes say what each person said: posted within the community only."""
    return publish_notice(
        community=community,
        kind=NoticeKind.MINUTES,
        title="议事会纪要",
        body="张某发言",
        by=community_worker,
    )


def test_outsiders_and_strangers_get_404_for_a_members_only_notice_pdf(
    client, outsider, stranger, minutes_notice
):
    assert download(client, outsider, notice_url(minutes_notice)).status_code == 404
    assert download(client, stranger, notice_url(minutes_notice)).status_code == 404


def test_anyone_downloads_a_public_notice_pdf(client, outsider, notice):
    assert download(client, outsider, notice_url(notice)).status_code == 200
    client.logout()
    response = client.get(notice_url(notice))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"


def test_a_notice_of_another_community_is_not_found(client, resident, other_community):
    foreign = publish_notice(community=other_community, kind="other", title="别处", body="x")
    url = reverse("notice_pdf", args=[resident_community(resident), foreign.pk])
    assert download(client, resident, url).status_code == 404


def resident_community(user):
    from deliberation.models import Membership

    return Membership.objects.filter(user=user).first().community_id


def test_a_notice_not_yet_published_is_not_found(client, resident, notice):
    Notice.objects.filter(pk=notice.pk).update(published_at=timezone.now() + timedelta(days=1))
    assert download(client, resident, notice_url(notice)).status_code == 404


def test_a_pdf_download_refuses_other_methods(client, resident, notice):
    client.force_login(resident)
    assert client.post(notice_url(notice)).status_code == 405
    assert client.delete(notice_url(notice)).status_code == 405


def test_anonymous_visitors_get_404_for_a_members_only_notice(client, minutes_notice):
    assert client.get(notice_url(minutes_notice)).status_code == 404


def test_the_verification_page_names_the_stored_pdf(
    client, resident, outsider, notice, minutes_notice
):
    download(client, resident, notice_url(notice))
    stored = StoredDocument.objects.get()
    url = reverse("document_verify", args=[stored.verification_code])
    response = download(client, resident, url)
    assert response.status_code == 200
    assert stored.sha256 in response.content.decode()
    assert download(client, outsider, url).status_code == 200  # a public notice
    download(client, resident, notice_url(minutes_notice))
    private = StoredDocument.objects.get(source_id=str(minutes_notice.pk))
    url = reverse("document_verify", args=[private.verification_code])
    assert download(client, resident, url).status_code == 200
    assert download(client, outsider, url).status_code == 404
    missing = reverse("document_verify", args=["XXXX-XXXX-XXXX"])
    assert download(client, resident, missing).status_code == 404


def test_publishing_twice_returns_the_first_stored_document(notice):
    kwargs = {
        "kind": DocumentKind.NOTICE,
        "source": notice,
        "community": notice.community,
        "title": notice.title,
        "template_name": "documents/notice.html",
        "context": {
            "title": "一",
            "community": "c",
            "kind_label": "k",
            "body": "b",
            "published_at": notice.published_at,
            "ends_at": notice.ends_at,
            "period_days": 15,
        },
    }
    first = publish_document(**kwargs)
    second = publish_document(**{**kwargs, "context": {**kwargs["context"], "title": "二"}})
    assert first.pk == second.pk
    assert read_document(second) == read_document(first)
    assert AuditEntry.objects.filter(verb="document.publish").count() == 1


# --- meetings -----------------------------------------------------------------------------------


@pytest.fixture
def meeting(community, chair, community_worker, owner, resident):
    return make_meeting(
        community,
        chair,
        secretary=community_worker,
        participants=[owner, resident],
        status=Status.CLOSED,
    )


def test_draft_minutes_are_marked_draft_on_every_page(client, owner, meeting):
    response = download(client, owner, reverse("meeting_minutes_pdf", args=[meeting.pk]))
    assert response.status_code == 200
    pages = pdf_checks.page_texts(response.content)
    assert all("草稿" in page for page in pages)
    text = pdf_checks.squeeze("".join(pages))
    assert "赵书记" in text and "李明" in text and "王芳" in text
    assert f"第1页共{len(pages)}页" in text
    assert not StoredDocument.objects.exists()  # drafts are not stored


def test_published_minutes_are_stored_and_carry_no_draft_mark(client, owner, meeting):
    meeting.status = Status.PUBLISHED
    meeting.published_at = timezone.now()
    meeting.save()
    url = reverse("meeting_minutes_pdf", args=[meeting.pk])
    first = download(client, owner, url).content
    assert "草稿" not in pdf_checks.all_text(first)
    assert download(client, owner, url).content == first
    assert StoredDocument.objects.get().kind == DocumentKind.MINUTES


def test_a_meeting_with_no_participants_prints_its_minutes(client, community, chair):
    empty = make_meeting(community, chair, status=Status.CLOSED)
    response = download(client, chair, reverse("meeting_minutes_pdf", args=[empty.pk]))
    assert "未记录参会人员" in pdf_checks.squeeze(pdf_checks.all_text(response.content))


def test_outsiders_get_404_for_minutes(client, outsider, meeting):
    url = reverse("meeting_minutes_pdf", args=[meeting.pk])
    assert download(client, outsider, url).status_code == 404


def test_only_hearings_have_a_hearing_record(client, owner, community, chair, meeting):
    url = reverse("meeting_hearing_record_pdf", args=[meeting.pk])
    assert download(client, owner, url).status_code == 404
    hearing = make_meeting(
        community, chair, participants=[owner], kind=Kind.HEARING, status=Status.CLOSED
    )
    response = download(client, owner, reverse("meeting_hearing_record_pdf", args=[hearing.pk]))
    assert response.status_code == 200
    assert "听证笔录" in pdf_checks.squeeze(pdf_checks.all_text(response.content))


# --- votes --------------------------------------------------------------------------------------


def test_the_committee_prints_one_ballot_per_head_with_names_and_units(
    client, community, committee_member
):
    vote = open_vote(community, committee_member)
    response = download(client, committee_member, reverse("vote_ballots_pdf", args=[vote.pk]))
    assert response.status_code == 200
    pages = pdf_checks.page_texts(response.content)
    heads = {s["head"] for s in votes.ballot_sheets(vote)}
    assert len(pages) == len(heads)
    assert "陈静" in pdf_checks.squeeze(pages[0] + "".join(pages))
    assert all("表决票" in pdf_checks.squeeze(p) for p in pages)
    assert pdf_checks.tofu(response.content) == []
    again = download(client, committee_member, reverse("vote_ballots_pdf", args=[vote.pk]))
    assert again.content == response.content  # stored once


def test_residents_may_not_print_ballots_and_outsiders_do_not_see_them(
    client, community, committee_member, resident, outsider
):
    vote = open_vote(community, committee_member)
    url = reverse("vote_ballots_pdf", args=[vote.pk])
    assert download(client, resident, url).status_code == 403
    assert download(client, outsider, url).status_code == 404


def _counted(community, committee_member):
    vote = open_vote(community, committee_member)
    votes.appoint_teller(vote, committee_member, by=committee_member)
    for holder in Holder.objects.filter(community=community).order_by("pk"):
        if holder.user_id is None:
            holder.user = make_user(name=holder.name)
            holder.save(update_fields=["user"])
        votes.cast_ballot(
            vote.matters.get(), holder, "yes", by=holder.user, channel=BallotChannel.ONLINE
        )
    move_to(vote, "closed")
    votes.tally_vote(vote, by=committee_member)
    return vote


def test_a_counted_result_prints_as_a_draft_for_those_who_run_the_vote_only(
    client, community, committee_member, resident
):
    vote = _counted(community, committee_member)
    url = reverse("vote_result_pdf", args=[vote.pk])
    response = download(client, committee_member, url)
    assert response.status_code == 200
    assert all("草稿" in p for p in pdf_checks.page_texts(response.content))
    assert download(client, resident, url).status_code == 403


def test_the_published_result_announcement_shows_figures_threshold_and_outcome(
    client, community, committee_member, resident
):
    vote = _counted(community, committee_member)
    votes.confirm_result(vote, by=committee_member)
    votes.publish_result(vote, by=committee_member)
    response = download(client, resident, reverse("vote_result_pdf", args=[vote.pk]))
    assert response.status_code == 200
    text = pdf_checks.squeeze(pdf_checks.all_text(response.content))
    assert "表决结果公告" in text
    assert "过半数" in text and "通过" in text
    assert "草稿" not in text
    assert StoredDocument.objects.filter(kind=DocumentKind.VOTE_RESULT).count() == 1


def test_the_system_check_passes_with_the_debian_fonts():
    call_command("check")


def test_the_minutes_state_whether_the_consultation_quorum_was_met(client, owner, meeting):
    meeting.community.consultation_quorum = 3
    meeting.community.save()
    response = download(client, owner, reverse("meeting_minutes_pdf", args=[meeting.pk]))
    text = pdf_checks.squeeze(pdf_checks.all_text(response.content))
    assert "未达到法定人数" in text and "实到2人，需3人" in text


def test_the_minutes_of_an_owners_session_count_present_area_and_heads(
    client, community, chair, owner
):
    session = make_meeting(
        community,
        chair,
        participants=[owner],
        kind=Kind.OWNERS_SESSION,
        status=Status.CLOSED,
        estate=community.estates.get(),
    )
    response = download(client, owner, reverse("meeting_minutes_pdf", args=[session.pk]))
    text = pdf_checks.squeeze(pdf_checks.all_text(response.content))
    assert "未达到法定人数" in text and "人数1/6人" in text


def test_a_member_looks_up_a_printed_code_and_sees_its_fingerprint(client, resident, notice):
    download(client, resident, notice_url(notice))
    stored = StoredDocument.objects.get()
    typed = stored.verification_code.lower().replace("-", " ")  # as read off the paper
    response = download(client, resident, reverse("document_lookup") + f"?code={typed}")
    assert response.status_code == 302
    assert response["Location"] == reverse("document_verify", args=[stored.verification_code])


def test_a_wrong_or_foreign_code_is_refused_with_a_message(
    client, resident, outsider, minutes_notice
):
    download(client, resident, notice_url(minutes_notice))
    stored = StoredDocument.objects.get()
    response = download(client, resident, reverse("document_lookup") + "?code=12")
    assert "12 位字母和数字" in response.content.decode()
    response = download(
        client, outsider, reverse("document_lookup") + f"?code={stored.verification_code}"
    )
    assert response.status_code == 200
    assert "没有使用此验证码" in response.content.decode()


def run_task_worker(monkeypatch):
    """The database worker in this process, until the queue is empty."""
    monkeypatch.setattr(
        "django_tasks_db.management.commands.db_worker.close_old_connections", lambda: None
    )
    call_command("db_worker", batch=True, startup_delay=False, reload=False, verbosity=0)


def test_publishing_a_result_stores_its_pdf_on_a_worker_before_anyone_downloads_it(
    client, community, committee_member, resident, monkeypatch, django_capture_on_commit_callbacks
):
    vote = _counted(community, committee_member)
    votes.confirm_result(vote, by=committee_member)
    with django_capture_on_commit_callbacks(execute=True):
        votes.publish_result(vote, by=committee_member)
    results = StoredDocument.objects.filter(kind=DocumentKind.VOTE_RESULT)
    assert not results.exists()  # publishing did not wait for the PDF
    run_task_worker(monkeypatch)
    stored = results.get()
    assert stored.created_by is None
    served = download(client, resident, reverse("vote_result_pdf", args=[vote.pk])).content
    assert hashlib.sha256(served).hexdigest() == stored.sha256  # the stored file, as it was
    assert results.count() == 1
    assert "表决结果公告" in pdf_checks.squeeze(pdf_checks.all_text(served))


def test_published_minutes_are_stored_by_a_worker_once(client, owner, meeting, monkeypatch):
    from meetings.published import store_published_record

    meeting.status = Status.PUBLISHED
    meeting.published_at = timezone.now()
    meeting.save()
    store_published_record.enqueue(DocumentKind.MINUTES, meeting.pk)
    store_published_record.enqueue(DocumentKind.MINUTES, meeting.pk)  # a duplicate changes nothing
    run_task_worker(monkeypatch)
    stored = StoredDocument.objects.get(kind=DocumentKind.MINUTES)
    served = download(client, owner, reverse("meeting_minutes_pdf", args=[meeting.pk])).content
    assert hashlib.sha256(served).hexdigest() == stored.sha256
    assert "草稿" not in pdf_checks.all_text(served)
