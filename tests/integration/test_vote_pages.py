"""Owners' assembly vote pages: who sees what, forms, messages, fragments and query counts."""

import io

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from deliberation.models import (
    AssemblyVote,
    Ballot,
    ElectorateEntry,
    Grid,
    Holder,
    ProxyMandate,
    Role,
    VoteStatus,
)
from deliberation.services import votes
from tests.factories import add_member
from tests.pdfs import make_pdf
from tests.vote_factories import convene, move_to, open_vote, publish

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _quick_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def vote(community, committee_member):
    return open_vote(community, committee_member)


def field(vote):
    return f"m{vote.matters.get().pk}"


def test_the_vote_list_shows_votes_to_members_only(client, vote, resident, outsider):
    client.force_login(resident)
    response = client.get(reverse("vote_list", args=[vote.community_id]))
    assert response.status_code == 200
    assert vote.title in response.content.decode()
    client.force_login(outsider)
    assert client.get(reverse("vote_list", args=[vote.community_id])).status_code == 404


def test_residents_do_not_see_drafts(client, community, committee_member, resident):
    draft = convene(community, committee_member, title="草稿表决")
    client.force_login(resident)
    page = client.get(reverse("vote_list", args=[community.pk])).content.decode()
    assert "草稿表决" not in page
    assert client.get(reverse("vote_detail", args=[draft.pk])).status_code == 404


def test_the_committee_convenes_a_vote_from_the_list(client, community, committee_member):
    client.force_login(committee_member)
    response = client.post(
        reverse("vote_list", args=[community.pk]),
        {
            "estate": community.estates.get().pk,
            "title": "电梯更新表决",
            "convened_by": "committee",
            "opens_at": "2027-01-10T09:00",
            "closes_at": "2027-01-20T18:00",
        },
    )
    vote = AssemblyVote.objects.get(title="电梯更新表决")
    assert response.status_code == 302
    assert response["Location"] == reverse("vote_manage", args=[vote.pk])


def test_a_resident_may_not_convene(client, community, resident):
    client.force_login(resident)
    response = client.post(reverse("vote_list", args=[community.pk]), {"title": "x"})
    assert response.status_code == 403
    assert not AssemblyVote.objects.exists()


def test_a_bad_window_is_refused_with_a_message(client, community, committee_member):
    client.force_login(committee_member)
    response = client.post(
        reverse("vote_list", args=[community.pk]),
        {
            "estate": community.estates.get().pk,
            "title": "太短的表决",
            "convened_by": "committee",
            "opens_at": "2027-01-10T09:00",
            "closes_at": "2027-01-11T09:00",
        },
    )
    assert response.status_code == 400
    assert "data-error-summary" in response.content.decode()
    assert not AssemblyVote.objects.exists()


def test_an_owner_casts_online_and_sees_a_receipt(client, vote, owner):
    client.force_login(owner)
    response = client.post(reverse("vote_detail", args=[vote.pk]), {field(vote): "yes"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "data-receipt" in page
    ballot = Ballot.objects.get()
    assert (ballot.channel, ballot.choice, ballot.cast_by) == ("online", "yes", owner)


def test_the_ballot_form_answers_htmx_with_its_fragment(client, vote, owner):
    client.force_login(owner)
    response = client.post(
        reverse("vote_detail", args=[vote.pk]), {field(vote): "no"}, HTTP_HX_REQUEST="true"
    )
    body = response.content.decode()
    assert body.lstrip().startswith('<section id="ballot"')
    assert "<html" not in body
    assert response["Vary"].count("HX-Request") == 1


def test_a_second_ballot_is_refused_with_the_channel_and_time(client, vote, owner):
    client.force_login(owner)
    url = reverse("vote_detail", args=[vote.pk])
    client.post(url, {field(vote): "yes"})
    votes_form = {field(vote): "no"}
    holder = Holder.objects.get(user=owner)
    # The form is hidden once voted, so a replayed POST is answered with the message.
    response = client.post(url, votes_form)
    assert response.status_code == 400
    assert "已" in response.content.decode() or "already" in response.content.decode()
    assert Ballot.objects.get(holder=holder).choice == "yes"


def test_a_tenant_gets_403_with_a_clear_message(client, vote, resident):
    client.force_login(resident)
    response = client.post(reverse("vote_detail", args=[vote.pk]), {field(vote): "yes"})
    assert response.status_code == 403
    assert "data-error-summary" in response.content.decode()
    assert not Ballot.objects.exists()


def test_casting_after_the_close_is_refused(client, vote, owner):
    move_to(vote, "closed")
    client.force_login(owner)
    response = client.post(reverse("vote_detail", args=[vote.pk]), {field(vote): "yes"})
    assert response.status_code == 400
    assert not Ballot.objects.exists()


def test_the_receipt_page_checks_a_code(client, vote, owner):
    holder = Holder.objects.get(user=owner)
    ballot = votes.cast_ballot(vote.matters.get(), holder, "yes", by=owner, channel="online")
    client.force_login(owner)
    url = reverse("vote_receipt", args=[vote.pk])
    ok = client.post(url, {"code": ballot.receipt_code})
    assert ok.status_code == 200 and "badge ok" in ok.content.decode()
    forged = client.post(url, {"code": "ZZZZZ-ZZZZZ"})
    assert forged.status_code == 400


def test_turnout_shows_progress_against_two_thirds(client, vote, owner):
    holder = Holder.objects.get(user=owner)
    votes.cast_ballot(vote.matters.get(), holder, "yes", by=owner, channel="online")
    client.force_login(owner)
    response = client.get(reverse("vote_turnout", args=[vote.pk]))
    page = response.content.decode()
    assert response.status_code == 200
    assert 'value="16"' in page  # 1 of 6 heads
    assert "Not voted yet" not in page and "尚未投票" not in page  # owners do not see the list


def test_a_grid_worker_sees_non_voters_of_their_grid_only(client, community, vote, grid_worker):
    other = Grid.objects.create(community=community, name="二网格")
    grid_worker.grids.exclude(pk=other.pk).get().buildings.clear()
    client.force_login(grid_worker)
    page = client.get(reverse("vote_turnout", args=[vote.pk])).content.decode()
    building = community.estates.get().buildings.get()
    # The flats as the list names them ("1号楼-101"); a bare "101" may be an id in the page.
    flats = [f"{building.name}-{unit.number}" for unit in building.units.all()]
    assert flats and not [flat for flat in flats if flat in page]
    grid_worker.grids.get().buildings.add(building)
    page = client.get(reverse("vote_turnout", args=[vote.pk])).content.decode()
    assert [flat for flat in flats if flat in page] == flats  # no one has voted yet


def test_the_turnout_list_keeps_its_query_count_flat(
    client, community, vote, community_worker, django_assert_max_num_queries
):
    client.force_login(community_worker)
    url = reverse("vote_turnout", args=[vote.pk])
    client.get(url)
    with django_assert_max_num_queries(25):
        client.get(url)


def test_the_vote_list_keeps_its_query_count_flat(
    client, community, committee_member, django_assert_max_num_queries
):
    for n in range(5):
        convene(community, committee_member, title=f"表决{n}")
    client.force_login(committee_member)
    with django_assert_max_num_queries(15):
        client.get(reverse("vote_list", args=[community.pk]))


@pytest.fixture
def teller(community, vote, committee_member):
    user = add_member(community, Role.COMMUNITY_WORKER, name="计票甲")
    votes.appoint_teller(vote, user, by=committee_member)
    return user


def test_only_tellers_reach_the_paper_entry_page(client, vote, teller, community_worker):
    client.force_login(community_worker)
    assert client.get(reverse("vote_paper", args=[vote.pk])).status_code == 403
    client.force_login(teller)
    assert client.get(reverse("vote_paper", args=[vote.pk])).status_code == 200


def handed_in_now():
    return timezone.localtime().strftime("%Y-%m-%dT%H:%M")


def test_a_teller_enters_the_first_reading_of_a_paper_ballot(client, vote, teller):
    client.force_login(teller)
    response = client.post(
        reverse("vote_paper", args=[vote.pk]),
        {"unit": "1号楼-105", "collected_at": handed_in_now(), field(vote): "no"},
    )
    assert response.status_code == 302
    assert not Ballot.objects.exists()
    bad = client.post(
        reverse("vote_paper", args=[vote.pk]),
        {"unit": "9号楼-999", "collected_at": handed_in_now(), field(vote): "no"},
    )
    assert bad.status_code == 400


def test_an_amendment_without_a_reason_is_refused(client, vote, committee_member):
    client.force_login(committee_member)
    response = client.post(
        reverse("vote_electorate", args=[vote.pk]),
        {"unit": "1号楼-101", "area": "99.00", "reason": "   "},
    )
    assert response.status_code == 400
    assert ElectorateEntry.objects.get(vote=vote, unit_label="1号楼-101").area == 80


def test_owners_see_amendments_with_their_reasons(client, vote, committee_member, owner):
    entry = ElectorateEntry.objects.get(vote=vote, unit_label="1号楼-103")
    votes.amend_electorate(
        vote, unit_id=entry.unit_id, area=entry.area + 1, reason="测绘报告更正", by=committee_member
    )
    client.force_login(owner)
    page = client.get(reverse("vote_electorate", args=[vote.pk])).content.decode()
    assert "测绘报告更正" in page


def test_a_mandate_must_be_a_pdf_or_a_photo(client, vote, committee_member, resident):
    client.force_login(committee_member)
    upload = io.BytesIO(b"MZ\x90\x00 not a document")
    upload.name = "mandate.exe"
    response = client.post(
        reverse("vote_mandates", args=[vote.pk]),
        {"unit": "1号楼-105", "agent": resident.phone, field(vote): "yes", "document": upload},
    )
    assert response.status_code == 400
    assert not ProxyMandate.objects.exists()


def test_a_mandate_with_a_pdf_is_registered(client, vote, committee_member, resident):
    client.force_login(committee_member)
    upload = io.BytesIO(make_pdf("signed mandate"))
    upload.name = "mandate.pdf"
    response = client.post(
        reverse("vote_mandates", args=[vote.pk]),
        {"unit": "1号楼-105", "agent": resident.phone, field(vote): "no", "document": upload},
    )
    assert response.status_code == 302
    mandate = ProxyMandate.objects.get()
    client.force_login(resident)
    document = client.get(reverse("vote_mandate_document", args=[vote.pk, mandate.pk]))
    assert document.status_code == 200
    cast = client.post(reverse("vote_cast_as_proxy", args=[vote.pk, mandate.pk]))
    assert cast.status_code == 302
    assert Ballot.objects.get().channel == "proxy"


def test_the_committee_counts_and_publishes_and_exports(
    client, community, vote, committee_member, teller
):
    for holder in Holder.objects.filter(community=community).order_by("pk")[2:6]:
        for n, entry_by in ((1, teller), (2, committee_member)):
            if n == 2:
                votes.appoint_teller(vote, committee_member, by=committee_member)
            votes.enter_paper_ballot(
                vote, holder, {vote.matters.get(): "yes"}, by=entry_by, entry=n
            )
    move_to(vote, "closed")
    client.force_login(committee_member)
    assert client.post(reverse("vote_tally", args=[vote.pk])).status_code == 302
    client.post(reverse("vote_confirm", args=[vote.pk]))
    client.force_login(teller)
    client.post(reverse("vote_confirm", args=[vote.pk]))
    client.force_login(committee_member)
    client.post(reverse("vote_publish", args=[vote.pk]))
    vote.refresh_from_db()
    assert vote.status == VoteStatus.PUBLISHED
    page = client.get(reverse("vote_result", args=[vote.pk])).content.decode()
    assert "通过" in page
    export = client.get(reverse("vote_export", args=[vote.pk]))
    assert export.status_code == 200
    rows = list(load_workbook(io.BytesIO(export.content)).active.iter_rows(values_only=True))
    assert ("1号楼" in rows[1]) and sum(r[3] for r in rows[1:]) == 6


def test_the_result_is_not_shown_to_owners_before_publication(client, vote, owner):
    move_to(vote, "closed")
    client.force_login(owner)
    response = client.get(reverse("vote_result", args=[vote.pk]))
    assert response.status_code == 302


def test_publishing_the_notice_from_the_page(client, community, committee_member):
    draft = convene(community, committee_member)
    client.force_login(committee_member)
    response = client.post(reverse("vote_notice", args=[draft.pk]))
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.status == VoteStatus.NOTICED


def test_a_get_on_a_post_only_url_is_405(client, vote, committee_member):
    client.force_login(committee_member)
    assert client.get(reverse("vote_tally", args=[vote.pk])).status_code == 405


def test_candidates_are_vetted_with_reasons(client, community, committee_member):
    draft = convene(community, committee_member, matters=[("elect_committee", "election", 5, [])])
    matter = draft.matters.get()
    client.force_login(committee_member)
    url = reverse("vote_candidates", args=[draft.pk, matter.pk])
    response = client.post(
        url, {"name": "王五", "nominated_by": "party", "nominators": "0", "profile": "退休教师"}
    )
    assert response.status_code == 302
    candidate = matter.candidates.get()
    refused = client.post(
        reverse("vote_vet", args=[draft.pk, candidate.pk]), {"result": "rejected", "reasons": ""}
    )
    assert refused.status_code == 302
    candidate.refresh_from_db()
    assert candidate.vetting_result == "pending"
    client.post(
        reverse("vote_vet", args=[draft.pk, candidate.pk]),
        {"result": "approved", "party_opinion": "同意"},
    )
    candidate.refresh_from_db()
    assert candidate.vetting_result == "approved"
    publish(draft, committee_member, accept_short=True)  # one candidate for five seats


def test_tellers_see_individual_choices_and_others_do_not(client, vote, owner, teller, chair):
    holder = Holder.objects.get(user=owner)
    votes.cast_ballot(vote.matters.get(), holder, "no", by=owner, channel="online")
    client.force_login(teller)
    page = client.get(reverse("vote_ballots", args=[vote.pk])).content.decode()
    assert holder.name in page and "反对" in page
    client.force_login(chair)
    assert client.get(reverse("vote_ballots", args=[vote.pk])).status_code == 403
    client.force_login(owner)
    assert "反对" not in client.get(reverse("vote_turnout", args=[vote.pk])).content.decode()


def test_the_result_page_says_when_the_result_must_be_published(client, vote, committee_member):
    move_to(vote, "closed")
    client.force_login(committee_member)
    page = client.get(reverse("vote_result", args=[vote.pk])).content.decode()
    assert "请在" in page and "3 日内" in page


def test_casting_a_ballot_keeps_its_query_count(client, vote, owner, django_assert_max_num_queries):
    # Session, user, vote (with the teller flag), roles, matters, the voter's holder and head;
    # then the cast: share-lock the vote, insert, and the audit head's lock, entry and move.
    client.force_login(owner)
    url, data = reverse("vote_detail", args=[vote.pk]), {field(vote): "yes"}
    with django_assert_max_num_queries(13):
        response = client.post(url, data, HTTP_HX_REQUEST="true")
    assert "data-receipt" in response.content.decode()
