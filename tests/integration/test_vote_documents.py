"""Documents attached to the matters of an assembly vote (a repair quote, a plan): the
committee attaches them while the vote is a draft; everyone who may see the vote opens them
from the vote page and the published notice."""

import io
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from deliberation.models import AuditEntry, VoteMatter
from deliberation.services import votes
from deliberation.services.votes import VoteError
from deliberation.uploads import store_private
from tests.pdfs import make_pdf
from tests.vote_factories import convene, move_to, publish

pytestmark = pytest.mark.django_db

PDF = make_pdf("repair quote: 12,000 yuan")
HTML_AS_PDF = (
    b"%PDF-1.4\n<html><body><script>alert(document.cookie)</script></body></html>\n%%EOF\n"
)


def pdf_upload(content=PDF, name="quote.pdf"):
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def png_upload():
    out = io.BytesIO()
    Image.new("RGB", (40, 30), "white").save(out, format="PNG")
    return SimpleUploadedFile("plan.png", out.getvalue(), content_type="image/png")


def stored(settings, matter):
    return Path(settings.MEDIA_ROOT) / matter.attachment


@pytest.fixture
def draft(community, committee_member):
    return convene(community, committee_member, title="外墙维修表决")


@pytest.fixture
def matter(draft):
    return draft.matters.get()


def attach_url(matter):
    return reverse("vote_attach_document", args=[matter.vote_id, matter.pk])


def document_url(matter):
    return reverse("vote_matter_document", args=[matter.vote_id, matter.pk])


def attach(matter, by, content=PDF):
    path = store_private(content, folder="votes/matters", suffix=".pdf")
    return votes.attach_matter_document(
        matter, document=path, document_type="application/pdf", by=by
    )


# ---- services --------------------------------------------------------------------------------


def test_the_committee_attaches_a_document_to_a_draft_matter(settings, matter, committee_member):
    attach(matter, committee_member)
    matter.refresh_from_db()
    assert matter.attachment_type == "application/pdf"
    assert stored(settings, matter).read_bytes() == PDF
    entry = AuditEntry.objects.filter(verb="vote.attach_document").get()
    assert entry.data["matter"] == matter.pk
    assert entry.actor_id == committee_member.pk


def test_a_new_document_replaces_the_old_one_and_its_file(
    settings, matter, committee_member, django_capture_on_commit_callbacks
):
    attach(matter, committee_member, make_pdf("first"))
    matter.refresh_from_db()
    first = stored(settings, matter)
    with django_capture_on_commit_callbacks(execute=True):
        attach(matter, committee_member, make_pdf("second"))
    matter.refresh_from_db()
    assert stored(settings, matter).read_bytes() == make_pdf("second")
    assert not first.exists()


def test_the_committee_removes_a_document(
    settings, matter, committee_member, django_capture_on_commit_callbacks
):
    attach(matter, committee_member)
    matter.refresh_from_db()
    path = stored(settings, matter)
    with django_capture_on_commit_callbacks(execute=True):
        votes.remove_matter_document(matter, by=committee_member)
    matter.refresh_from_db()
    assert (matter.attachment, matter.attachment_type) == ("", "")
    assert not path.exists()
    assert AuditEntry.objects.filter(verb="vote.remove_document").count() == 1


def test_removing_a_document_that_is_not_there_is_refused(matter, committee_member):
    with pytest.raises(VoteError) as refused:
        votes.remove_matter_document(matter, by=committee_member)
    assert refused.value.code == "no_document"


def test_nothing_is_attached_once_the_notice_is_published(matter, draft, committee_member):
    publish(draft, committee_member)
    with pytest.raises(VoteError) as refused:
        attach(matter, committee_member)
    assert refused.value.code == "noticed"
    matter.refresh_from_db()
    assert matter.attachment == ""
    assert not AuditEntry.objects.filter(verb="vote.attach_document").exists()


def test_nothing_is_removed_once_the_notice_is_published(matter, draft, committee_member):
    attach(matter, committee_member)
    publish(draft, committee_member)
    with pytest.raises(VoteError) as refused:
        votes.remove_matter_document(matter, by=committee_member)
    assert refused.value.code == "noticed"
    matter.refresh_from_db()
    assert matter.attachment


def test_an_owner_may_not_attach_a_document(matter, owner):
    with pytest.raises(PermissionDenied):
        attach(matter, owner)
    matter.refresh_from_db()
    assert matter.attachment == ""


def test_the_notice_says_a_matter_has_a_document(matter, draft, committee_member):
    attach(matter, committee_member)
    publish(draft, committee_member)
    draft.refresh_from_db()
    assert "本事项附有文件" in draft.notice.body


# ---- pages -----------------------------------------------------------------------------------


def test_the_committee_uploads_a_pdf_on_the_manage_page(client, matter, committee_member):
    client.force_login(committee_member)
    response = client.post(attach_url(matter), {"document": pdf_upload()})
    assert response.status_code == 302
    assert response["Location"] == reverse("vote_manage", args=[matter.vote_id])
    page = client.get(response["Location"]).content.decode()
    assert "已为“事项 use_maintenance_fund”上传附件。" in page
    assert document_url(matter) in page
    opened = client.get(document_url(matter))
    assert opened.status_code == 200
    assert opened["Content-Type"] == "application/pdf"
    assert b"".join(opened.streaming_content) == PDF


def test_a_photo_is_re_encoded_before_it_is_stored(client, settings, matter, committee_member):
    client.force_login(committee_member)
    response = client.post(attach_url(matter), {"document": png_upload()})
    assert response.status_code == 302
    matter.refresh_from_db()
    assert matter.attachment_type in ("image/jpeg", "image/png")
    assert stored(settings, matter).is_file()


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (lambda: pdf_upload(b"MZ\x90\x00 not a document", "quote.pdf"), "请以 PDF 或照片"),
        (lambda: pdf_upload(b"", "empty.pdf"), "所提交的是空文件"),
        (lambda: None, "这个字段是必填项"),
        # The first bytes of a PDF prove nothing: a PDF parser must open it.
        (lambda: pdf_upload(HTML_AS_PDF, "quote.pdf"), "这个文件不是可以打开的 PDF"),
        (lambda: pdf_upload(make_pdf("报价", javascript="app.alert(1)")), "含有脚本"),
        (lambda: pdf_upload(make_pdf("报价", password="1234")), "设有密码"),
    ],
    ids=["not-a-document", "empty", "missing", "html-as-pdf", "pdf-with-script", "encrypted"],
)
def test_a_bad_upload_is_refused_with_a_message(
    client, settings, matter, committee_member, upload, message
):
    client.force_login(committee_member)
    file = upload()
    response = client.post(attach_url(matter), {"document": file} if file else {})
    assert response.status_code == 400
    page = response.content.decode()
    assert message in page
    assert "外墙维修表决" in page  # the rest of the manage page is still there
    matter.refresh_from_db()
    assert matter.attachment == ""
    media = Path(settings.MEDIA_ROOT) / "votes" / "matters"
    assert not media.exists() or not any(media.iterdir())


def test_a_file_over_the_limit_is_refused(client, settings, matter, committee_member):
    settings.UPLOAD_MAX_BYTES = 2**20
    client.force_login(committee_member)
    response = client.post(attach_url(matter), {"document": pdf_upload(PDF + b"0" * 2**20)})
    assert response.status_code == 400
    assert "上限为 1 MB" in response.content.decode()
    matter.refresh_from_db()
    assert matter.attachment == ""


def test_a_failed_upload_keeps_the_other_matters_forms_apart(client, community, committee_member):
    vote = convene(
        community,
        committee_member,
        matters=[("use_maintenance_fund", "ordinary", 1, []), ("rebuild", "ordinary", 1, [])],
    )
    first, second = vote.matters.order_by("position")
    client.force_login(committee_member)
    response = client.post(attach_url(second), {"document": pdf_upload(b"not a pdf")})
    page = response.content.decode()
    assert response.status_code == 400
    assert page.count('class="error-summary"') == 1
    assert f'id="id_m{first.pk}_document"' in page
    assert f'id="id_m{second.pk}_document"' in page


def test_after_the_notice_an_upload_is_refused_with_a_message(
    client, settings, matter, draft, committee_member
):
    publish(draft, committee_member)
    client.force_login(committee_member)
    response = client.post(attach_url(matter), {"document": pdf_upload()}, follow=True)
    assert "公告已发布：表决事项及其附件不能再更改。" in response.content.decode()
    matter.refresh_from_db()
    assert matter.attachment == ""
    media = Path(settings.MEDIA_ROOT) / "votes" / "matters"
    assert not media.exists() or not any(media.iterdir())


def test_the_committee_removes_a_document_on_the_manage_page(client, matter, committee_member):
    attach(matter, committee_member)
    client.force_login(committee_member)
    response = client.post(reverse("vote_remove_document", args=[matter.vote_id, matter.pk]))
    assert response.status_code == 302
    matter.refresh_from_db()
    assert matter.attachment == ""


def test_an_owner_may_not_upload_or_remove(client, matter, committee_member, owner):
    attach(matter, committee_member)
    client.force_login(owner)
    assert client.post(attach_url(matter), {"document": pdf_upload()}).status_code == 403
    remove = reverse("vote_remove_document", args=[matter.vote_id, matter.pk])
    assert client.post(remove).status_code == 403
    matter.refresh_from_db()
    assert matter.attachment


def test_an_outsider_gets_404_for_every_document_url(client, matter, committee_member, outsider):
    attach(matter, committee_member)
    client.force_login(outsider)
    assert client.get(document_url(matter)).status_code == 404
    assert client.post(attach_url(matter), {"document": pdf_upload()}).status_code == 404
    remove = reverse("vote_remove_document", args=[matter.vote_id, matter.pk])
    assert client.post(remove).status_code == 404


def test_members_do_not_see_the_document_of_a_draft(client, matter, committee_member, owner):
    attach(matter, committee_member)
    client.force_login(owner)
    assert client.get(document_url(matter)).status_code == 404


def test_a_matter_without_a_document_has_none_to_open(client, draft, matter, committee_member):
    move_to(publish(draft, committee_member), "open")
    client.force_login(committee_member)
    assert client.get(document_url(matter)).status_code == 404


def test_a_matter_of_another_vote_is_not_found(client, community, matter, committee_member):
    attach(matter, committee_member)
    other = convene(community, committee_member, title="另一表决")
    client.force_login(committee_member)
    url = reverse("vote_matter_document", args=[other.pk, matter.pk])
    assert client.get(url).status_code == 404


def test_owners_and_residents_open_it_from_the_vote_page_and_the_notice(
    client, draft, matter, committee_member, owner, resident
):
    attach(matter, committee_member)
    vote = move_to(publish(draft, committee_member), "open")
    for person in (owner, resident):
        client.force_login(person)
        page = client.get(reverse("vote_detail", args=[vote.pk])).content.decode()
        assert document_url(matter) in page
        assert "（PDF）" in page
        notice = reverse("notice_detail", args=[vote.community_id, vote.notice_id])
        assert document_url(matter) in client.get(notice).content.decode()
        opened = client.get(document_url(matter))
        assert opened.status_code == 200
        assert b"".join(opened.streaming_content) == PDF


def test_the_notice_of_a_vote_without_documents_lists_none(client, draft, committee_member):
    vote = publish(draft, committee_member)
    client.force_login(committee_member)
    notice = reverse("notice_detail", args=[vote.community_id, vote.notice_id])
    assert "表决事项附件" not in client.get(notice).content.decode()


def test_a_removed_document_is_no_longer_served(client, draft, matter, committee_member):
    attach(matter, committee_member)
    votes.remove_matter_document(matter, by=committee_member)
    client.force_login(committee_member)
    assert client.get(document_url(matter)).status_code == 404
    assert VoteMatter.objects.get(pk=matter.pk).attachment == ""
