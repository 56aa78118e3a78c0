"""A matter's document on a phone: the committee attaches the repair quote while preparing the
vote, and an owner opens it from the vote page once the notice is out."""

import pytest
from playwright.sync_api import expect

from deliberation.models import VoteMatter
from tests.browser.conftest import log_in
from tests.pdfs import make_pdf
from tests.vote_factories import convene, move_to, publish

pytestmark = pytest.mark.django_db(transaction=True)

QUOTE = make_pdf("repair quote for the outer walls")


def switch_user(page, live_server, user):
    page.context.clear_cookies()
    log_in(page, live_server.url, user)


def test_the_committee_attaches_a_quote_and_an_owner_opens_it(
    page, live_server, community, committee_member, owner
):
    vote = convene(community, committee_member, title="外墙维修表决")
    matter = vote.matters.get()
    log_in(page, live_server.url, committee_member)
    page.goto(f"{live_server.url}/votes/{vote.pk}/manage/")
    page.get_by_label("本事项的附件（PDF 或照片）").set_input_files(
        {"name": "报价单.pdf", "mimeType": "application/pdf", "buffer": QUOTE}
    )
    page.get_by_role("button", name="上传附件").click()
    expect(page.locator(".message.success")).to_contain_text("上传附件")
    expect(page.get_by_role("link", name=f"“{matter.title}”的附件（PDF）")).to_be_visible()
    assert VoteMatter.objects.get(pk=matter.pk).attachment_type == "application/pdf"

    move_to(publish(vote, committee_member), "open")
    switch_user(page, live_server, owner)
    page.goto(f"{live_server.url}/votes/{vote.pk}/")
    link = page.get_by_role("link", name=f"“{matter.title}”的附件（PDF）")
    expect(link).to_be_visible()
    url = f"{live_server.url}/votes/{vote.pk}/matters/{matter.pk}/document/"
    with page.expect_response(url) as opened:
        link.click()
    assert opened.value.status == 200
    assert opened.value.headers["content-type"] == "application/pdf"
    # Chromium shows it in its PDF viewer; the bytes are read again with the owner's session.
    assert page.context.request.get(url).body() == QUOTE
