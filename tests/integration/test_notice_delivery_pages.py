"""The committee and grid workers follow the service of an assembly notice on the vote's pages:
coverage, the households still to visit, the paper list per building, and signed receipts."""

import re

import pytest
from django.urls import reverse

from accounts.sms import LogSender
from deliberation.delivery import coverage
from deliberation.models import AssemblyVote, AuditEntry, Delivery, Notification, Unit
from tests.queue import run_queued_tasks
from tests.vote_factories import convene

pytestmark = pytest.mark.django_db


@pytest.fixture
def notice(client, community, committee_member, django_capture_on_commit_callbacks, time_machine):
    time_machine.move_to("2026-03-02 10:00 +08:00", tick=False)
    vote = convene(community, committee_member)
    client.force_login(committee_member)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("vote_notice", args=[vote.pk]))
        run_queued_tasks()
    vote.refresh_from_db()
    return vote.notice


def vote_of(notice):
    return int(notice.source_id)


def coverage_line(served, total):
    return f"已送达 {served:,} / {total:,} 户；{total - served:,} 户待上门"


def page(client, name, *args):
    response = client.get(reverse(name, args=args))
    assert response.status_code == 200
    return response.content.decode()


def test_coverage_grows_as_owners_open_the_notice_and_receipts_come_back(
    client, community, committee_member, owner, grid_worker, notice
):
    units = list(Unit.objects.filter(building__estate__community=community).order_by("pk"))
    total = len(units)
    vote_id = vote_of(notice)

    assert coverage_line(0, total) in page(client, "vote_detail", vote_id)

    # The owner opens the notice: their household is served (view in the app)
    client.force_login(owner)
    client.get(notice.get_absolute_url())
    owner_units = set(Unit.objects.filter(ownerships__holder__user=owner).values_list("pk", flat=1))
    client.force_login(grid_worker)
    html = page(client, "vote_delivery", vote_id)
    assert coverage_line(len(owner_units), total) in html
    for unit in units:
        assert (str(unit) in html) == (unit.pk not in owner_units)

    # The grid worker prints the building's list; each unserved household has its slip code
    building = units[0].building
    printed = page(client, "vote_delivery_print", vote_id, building.pk)
    codes = re.findall(r'<span class="code">([A-Z0-9]{8})</span>', printed)
    assert len(codes) == total - len(owner_units)

    # A signed slip comes back; typing its code (in lower case, with a space) serves the unit
    slip = Delivery.objects.get(notice=notice, channel="paper", receipt_code=codes[0])
    typed = codes[0][:4].lower() + " " + codes[0][4:]
    response = client.post(reverse("vote_delivery", args=[vote_id]), {"code": typed}, follow=True)
    html = response.content.decode()
    assert f"回执已登记：{slip.unit} 已送达" in html
    assert coverage_line(len(owner_units) + 1, total) in html
    entry = AuditEntry.objects.get(verb="notice.receipt")
    assert entry.actor_id == grid_worker.pk and entry.data["unit"] == slip.unit_id


@pytest.mark.parametrize(
    ("code", "message"),
    [("", "这个字段是必填项"), ("ZZZZ2222", "本公告没有编号为 ZZZZ2222 的回执")],
)
def test_a_wrong_code_is_refused_with_a_message_and_changes_nothing(
    client, community, grid_worker, notice, code, message
):
    client.force_login(grid_worker)
    before = list(Delivery.objects.filter(notice=notice).values_list("pk", "receipt_signed_at"))
    response = client.post(reverse("vote_delivery", args=[vote_of(notice)]), {"code": code})
    assert response.status_code == 400
    assert message in response.content.decode()
    assert list(Delivery.objects.filter(notice=notice).values_list("pk", "receipt_signed_at")) == (
        before
    )
    assert not AuditEntry.objects.filter(verb="notice.receipt").exists()


def test_a_receipt_is_recorded_once(client, grid_worker, notice):
    client.force_login(grid_worker)
    code = Delivery.objects.filter(notice=notice, channel="paper").first().receipt_code
    url = reverse("vote_delivery", args=[vote_of(notice)])
    assert client.post(url, {"code": code}).status_code == 302
    response = client.post(url, {"code": code})
    assert response.status_code == 400
    assert "这张回执已经登记过了" in response.content.decode()
    assert AuditEntry.objects.filter(verb="notice.receipt").count() == 1


def test_outsiders_get_404_and_members_without_the_role_403(
    client, owner, resident, outsider, notice
):
    vote_id = vote_of(notice)
    code = Delivery.objects.filter(notice=notice, channel="paper").first().receipt_code
    for person, status in ((outsider, 404), (owner, 403), (resident, 403)):
        client.force_login(person)
        assert client.get(reverse("vote_delivery", args=[vote_id])).status_code == status
        response = client.post(reverse("vote_delivery", args=[vote_id]), {"code": code})
        assert response.status_code == status
    assert not Delivery.objects.filter(receipt_signed_at__isnull=False).exists()
    client.force_login(owner)
    assert "待上门" not in page(client, "vote_detail", vote_id)


def test_the_proof_of_service_spreadsheet_lists_every_record(
    client, community, committee_member, owner, notice
):
    from io import BytesIO

    from openpyxl import load_workbook

    client.force_login(owner)
    client.get(notice.get_absolute_url())
    client.force_login(committee_member)
    response = client.get(reverse("vote_delivery_export", args=[vote_of(notice)]))
    assert response.status_code == 200
    sheet = load_workbook(BytesIO(response.content)).active
    rows = list(sheet.iter_rows(min_row=3, values_only=True))
    records = Delivery.objects.filter(notice=notice)
    assert len(rows) == records.count()
    owner_units = {str(u) for u in Unit.objects.filter(ownerships__holder__user=owner)}
    served_units = {row[1] for row in rows if row[13] == "是"}
    assert served_units == owner_units
    viewed = [row for row in rows if row[3] == "平台内" and row[10]]
    assert [row[1] for row in viewed] == sorted(owner_units)
    # Numbers are masked; codes are there for the paper rows
    assert not any(owner.phone.removeprefix("+86") in str(row[4]) for row in rows)
    assert all(row[11] for row in rows if row[3] == "纸质送达（签收回执）")
    assert AuditEntry.objects.filter(verb="vote.delivery_export", actor=committee_member).exists()


def test_a_reminder_tells_non_voters_how_far_the_vote_is_from_two_thirds(
    daytime, client, community, committee_member, owner, django_capture_on_commit_callbacks
):
    from decimal import Decimal

    from deliberation.models import Holder
    from deliberation.services import votes as svc
    from tests.vote_factories import open_vote

    vote = open_vote(community, committee_member)
    voter = Holder.objects.get(user=committee_member)
    svc.cast_ballots(
        vote, voter, {vote.matters.get(): "yes"}, by=committee_member, channel="online"
    )
    units = Unit.objects.filter(building__estate__community=community)
    total_heads, total_area = units.count(), sum(u.area for u in units)  # one unit per holder
    part_area = sum(u.area for u in units.filter(ownerships__holder=voter))
    heads = next(h for h in range(total_heads + 1) if 3 * (1 + h) >= 2 * total_heads)
    area = next(
        Decimal(c) / 100
        for c in range(int(total_area * 100) + 1)
        if 3 * (part_area * 100 + c) >= 2 * total_area * 100
    )

    owner.language = "en"
    owner.save()
    lone = Holder.objects.filter(community=community, user=None).first()
    lone.phone = "+8613800000001"
    lone.save()
    LogSender.outbox.clear()
    client.force_login(committee_member)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("vote_turnout", args=[vote.pk]))
        run_queued_tasks()
    assert response.status_code == 302
    client.force_login(owner)
    html = page(client, "notifications")
    assert f"{heads} owners / {area:,.2f} m² more are needed to reach two thirds" in html
    assert not Notification.objects.filter(user=committee_member, text__contains="还差").exists()

    # By SMS too, to every household that has not voted, in its own language
    texts = dict(LogSender.outbox)
    assert committee_member.phone not in texts  # has voted
    assert f"还差 {heads} 户 / {area:,.2f} ㎡ 达到三分之二" in texts["+8613800000001"]
    assert f"{heads} households / {area:,.2f} m² more" in texts[owner.phone]
    reminders = Delivery.objects.filter(notice=vote.notice, purpose="reminder")
    assert set(reminders.values_list("channel", "round")) == {("sms", 1)}
    # A reminder reaching a phone is not service of the notice
    assert coverage(vote.notice)[0] == 0

    # A second reminder is a new round, to those still not voting
    LogSender.outbox.clear()
    client.force_login(committee_member)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("vote_turnout", args=[vote.pk]))
        run_queued_tasks()
    assert "+8613800000001" in dict(LogSender.outbox)
    assert reminders.filter(round=2).count() == reminders.filter(round=1).count()


def test_every_household_is_told_when_voting_opens(daytime, community, committee_member, owner):
    from deliberation.periodic import tick
    from tests.vote_factories import convene, move_to, publish

    vote = move_to(publish(convene(community, committee_member), committee_member), "open")
    LogSender.outbox.clear()
    tick.call()
    run_queued_tasks()
    texts = dict(LogSender.outbox)
    assert f"“{vote.title}”已开始投票" in texts[owner.phone]
    opening = Delivery.objects.filter(notice=vote.notice, purpose="opening")
    assert {"app", "sms"} == set(opening.values_list("channel", flat=True))
    assert Notification.objects.filter(user=owner, text__contains="已开始投票").exists()
    LogSender.outbox.clear()
    tick.call()
    run_queued_tasks()
    assert LogSender.outbox == []  # once


def test_the_proof_of_service_pdf_says_how_each_household_was_served(
    client, community, owner, grid_worker, notice
):
    from tests.pdf_checks import all_text, squeeze

    client.force_login(owner)
    client.get(notice.get_absolute_url())
    client.force_login(grid_worker)
    slip = (
        Delivery.objects.filter(notice=notice, channel="paper")
        .exclude(unit__ownerships__holder__user=owner)
        .first()
    )
    client.post(reverse("vote_delivery", args=[vote_of(notice)]), {"code": slip.receipt_code})
    response = client.get(reverse("vote_delivery_pdf", args=[vote_of(notice)]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = squeeze(all_text(response.content))
    total = Unit.objects.filter(building__estate__community=community).count()
    assert squeeze(coverage_line(2, total)) in text
    assert squeeze(f"纸质回执 {slip.receipt_code} 已签收") in text
    assert "在平台内查看" in text
    assert text.count("尚未送达") == total - 2


def test_the_proof_of_service_is_among_the_vote_documents_and_frozen_with_its_result(
    client, community, committee_member, community_worker, grid_worker, resident, notice
):
    from deliberation.models import DocumentKind, StoredDocument
    from deliberation.services import votes as svc
    from tests.pdf_checks import all_text, squeeze
    from tests.vote_factories import move_to

    vote = AssemblyVote.objects.get(pk=vote_of(notice))
    svc.appoint_teller(vote, community_worker, by=committee_member)
    move_to(vote, "closed")
    svc.tally_vote(vote, by=committee_member)
    svc.confirm_result(vote, by=community_worker)
    client.force_login(committee_member)
    assert client.post(reverse("vote_publish", args=[vote.pk])).status_code == 302

    result = page(client, "vote_result", vote.pk)
    pdf_url = reverse("vote_delivery_pdf", args=[vote.pk])
    xlsx_url = reverse("vote_delivery_export", args=[vote.pk])
    assert pdf_url in result and xlsx_url in result
    assert "送达证明（PDF）" in result and "送达证明（xlsx）" in result
    first = client.get(pdf_url).getvalue()
    stored = StoredDocument.objects.get(kind=DocumentKind.DELIVERY_PROOF)
    assert squeeze(stored.verification_code) in squeeze(all_text(first))

    # A receipt recorded later does not rewrite the vote's record
    client.force_login(grid_worker)
    slip = Delivery.objects.filter(notice=notice, channel="paper").first()
    client.post(reverse("vote_delivery", args=[vote.pk]), {"code": slip.receipt_code})
    assert client.get(pdf_url).getvalue() == first
    assert StoredDocument.objects.filter(kind=DocumentKind.DELIVERY_PROOF).count() == 1

    # Owners see the result, not the proof links
    client.force_login(resident)
    assert pdf_url not in page(client, "vote_result", vote.pk)


def test_the_printed_list_names_the_notice_in_the_workers_language(
    client, community, grid_worker, notice
):
    grid_worker.language = "en"
    grid_worker.save()
    client.force_login(grid_worker)
    client.cookies.pop("django_language", None)
    building = Delivery.objects.filter(notice=notice, channel="paper").first().unit.building
    printed = page(client, "vote_delivery_print", vote_of(notice), building.pk)
    vote_title = notice.message["title"]["p"]["title"]
    header = printed.split('class="receipt-slip')[0]
    assert f"Owners&#x27; assembly notice: {vote_title}" in header
    # The slip the household keeps carries the notice as published
    assert f"业主大会会议公告：{vote_title}" in printed.split('class="receipt-slip')[1]
