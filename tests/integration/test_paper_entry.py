"""Paper ballots as the tellers enter them, through the pages: which entry is which, the
ballots still to finish, the code printed on each ballot, a correction of one disputed
matter, and the closing-time rule (docs/rules.md, "Closing time"). Time moves on a test
clock."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from deliberation.documents.qr import ballot_qr_payload, ballot_short_code
from deliberation.models import (
    Ballot,
    ElectorateEntry,
    PaperEntry,
    Role,
    VoteResult,
    VoteStatus,
    VoteTeller,
)
from deliberation.services import votes
from tests.factories import add_member
from tests.vote_factories import convene, publish

SHANGHAI = ZoneInfo("Asia/Shanghai")
TWO_MATTERS = [
    ("use_maintenance_fund", "ordinary", 1, []),
    ("other_major", "ordinary", 1, []),
]


@pytest.fixture
def clock():
    with time_machine.travel(datetime(2026, 11, 2, 9, 0, tzinfo=SHANGHAI), tick=False) as t:
        yield t


@pytest.fixture
def tellers(community):
    return [add_member(community, Role.COMMUNITY_WORKER, name=n) for n in ("计票甲", "计票乙")]


@pytest.fixture
def vote(clock, community, committee_member, tellers):
    """A two-matter vote, noticed today and opened when its day comes."""
    vote = convene(community, committee_member, matters=TWO_MATTERS)
    for teller in tellers:
        votes.appoint_teller(vote, teller, by=committee_member)
    publish(vote, committee_member)
    clock.move_to(vote.opens_at + timedelta(hours=2))
    return vote


def fields(vote):
    return [f"m{m.pk}" for m in vote.matters.order_by("position")]


def local(moment):
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


def enter(client, vote, unit, choices, collected_at=None, **extra):
    """Post one teller's reading of the ballot of `unit`; choices in matter order (None: left
    off the form)."""
    data = {"unit": unit, "collected_at": local(collected_at or timezone.now()), **extra}
    for name, choice in zip(fields(vote), choices, strict=True):
        if choice is not None:
            data[name] = choice
    return client.post(reverse("vote_paper", args=[vote.pk]), data, follow=True)


def page(client, vote, ballot=None):
    query = {"ballot": ballot} if ballot is not None else {}
    return client.get(reverse("vote_paper", args=[vote.pk]), query)


def head_of_unit(vote, unit):
    return ElectorateEntry.objects.get(vote=vote, unit_label=unit).head


def counted(vote, unit):
    """{matter position: choice} of the ballots counted for the unit's head."""
    return dict(
        Ballot.objects.filter(vote=vote, head=head_of_unit(vote, unit)).values_list(
            "matter__position", "choice"
        )
    )


# --- item 1: a correction keeps every matter -----------------------------------------------


def test_a_disputed_matter_is_entered_again_and_the_owner_counts_on_every_matter(
    client, vote, tellers
):
    first, second = tellers
    client.force_login(first)
    enter(client, vote, "1号楼-103", ["yes", "no"])
    client.force_login(second)
    done = enter(client, vote, "1号楼-103", ["no", "no"]).content.decode()
    assert "两次录入不一致" in done
    assert counted(vote, "1号楼-103") == {2: "no"}  # the matter both read alike counts

    matter = vote.matters.get(position=1)
    head = head_of_unit(vote, "1号楼-103")
    cleared = client.post(
        reverse("vote_paper_clear", args=[vote.pk, matter.pk, head]),
        {"reason": "两人核对原票：第 1 项勾选“同意”"},
        follow=True,
    ).content.decode()
    assert "已搁置，待重新录入" in cleared

    client.force_login(first)
    form = page(client, vote, "1号楼-103").content.decode()
    assert "这是这张表决票的第一次录入" in form
    assert f'name="{fields(vote)[1]}"' not in form  # the counted matter is not asked again
    assert "这张表决票已计入的事项" in form
    refused_before = enter(client, vote, "1号楼-103", ["yes", None])
    assert "已经投过票" not in refused_before.content.decode()
    client.force_login(second)
    enter(client, vote, "1号楼-103", ["yes", None])

    assert counted(vote, "1号楼-103") == {1: "yes", 2: "no"}
    assert "1号楼-103" not in page(client, vote).content.decode().split("待第二次录入或待更正")[1]


def test_the_count_waits_for_ballots_set_aside_and_names_them(client, vote, tellers, clock):
    first, second = tellers
    client.force_login(first)
    enter(client, vote, "1号楼-104", ["yes", "no"])
    client.force_login(second)
    enter(client, vote, "1号楼-104", ["no", "no"])
    matter = vote.matters.get(position=1)
    client.post(
        reverse("vote_paper_clear", args=[vote.pk, matter.pk, head_of_unit(vote, "1号楼-104")]),
        {"reason": "复核"},
    )
    client.force_login(first)
    enter(client, vote, "1号楼-106", ["abstain", "yes"])  # one entry only

    clock.move_to(vote.closes_at + timedelta(hours=1))
    result_page = client.get(reverse("vote_result", args=[vote.pk])).content.decode()
    assert "还不能开始计票" in result_page and "1号楼-104、1号楼-106" in result_page
    assert "开始计票</button>" not in result_page  # no count offered that would be refused
    response = client.post(reverse("vote_tally", args=[vote.pk]), follow=True)
    text = response.content.decode()
    assert "不能开始计票" in text
    assert "1号楼-104（已搁置，待重新录入）" in text
    assert "1号楼-106（待第二次录入）" in text
    assert not VoteResult.objects.exists()
    vote.refresh_from_db()
    assert vote.status == VoteStatus.NOTICED


# --- item 9: the system numbers the entries, lists what is left, opens a ballot by its code --


def test_the_system_says_which_entry_a_teller_makes(client, vote, tellers):
    first, second = tellers
    client.force_login(first)
    assert "第一次录入" in page(client, vote, "1号楼-102").content.decode()
    enter(client, vote, "1号楼-102", ["yes", "yes"])
    again = page(client, vote, "1号楼-102").content.decode()
    assert "第二次录入（第一次由 计票甲 录入）" in again
    assert "第二次录入必须由另一位计票人完成" in again and "保存本次录入" not in again
    refused = enter(client, vote, "1号楼-102", ["yes", "yes"])  # a forged post
    assert "第二次录入必须由另一位计票人完成" in refused.content.decode()
    assert PaperEntry.objects.count() == 2  # one entry per matter, by the first teller

    client.force_login(second)
    listed = page(client, vote).content.decode()
    assert "1号楼-102" in listed and "待第二次录入（第一次由 计票甲 录入）" in listed
    enter(client, vote, "1号楼-102", ["yes", "yes"])
    assert set(PaperEntry.objects.values_list("entry", flat=True)) == {1, 2}
    assert counted(vote, "1号楼-102") == {1: "yes", 2: "yes"}
    assert "没有：已录入的纸质表决票都已完成" in page(client, vote).content.decode()


def test_the_code_printed_on_a_ballot_opens_that_flat(client, vote, tellers, committee_member):
    client.force_login(committee_member)
    pdf = client.get(reverse("vote_ballots_pdf", args=[vote.pk]))
    assert pdf.status_code == 200
    head = head_of_unit(vote, "1号楼-105")
    code = ballot_short_code(vote.pk, head)
    from tests.pdf_checks import all_text, squeeze

    printed = squeeze(all_text(b"".join(pdf.streaming_content) if pdf.streaming else pdf.content))
    assert code in printed
    assert "收回时间（收票人填写）" in printed  # where the collection time is recorded

    client.force_login(tellers[0])
    typed = page(client, vote, code.lower().replace("-", " ")).content.decode()
    assert "1号楼-105" in typed and "这是这张表决票的第一次录入" in typed
    scanned = page(client, vote, ballot_qr_payload(vote.pk, head)).content.decode()
    assert "1号楼-105" in scanned and "这是这张表决票的第一次录入" in scanned


@pytest.mark.parametrize(
    "text", ["ZZZZ-ZZZZ", "9号楼-999", "GYB1:999:h1:0000000000", "   "], ids=str.strip
)
def test_a_code_that_is_no_ballot_of_this_vote_is_refused_clearly(client, vote, tellers, text):
    client.force_login(tellers[0])
    response = page(client, vote, text)
    body = response.content.decode()
    assert "保存本次录入" not in body  # no entry form for a ballot that was not found
    assert "本次表决没有录入码或房屋" in body or "这个字段是必填项" in body
    assert not PaperEntry.objects.exists()


def test_a_scanned_ballot_of_another_vote_opens_nothing(
    client, vote, tellers, community, committee_member
):
    other = convene(community, committee_member, title="另一次表决")
    client.force_login(tellers[0])
    body = page(client, vote, ballot_qr_payload(other.pk, "h1")).content.decode()
    assert "本次表决没有录入码或房屋" in body


# --- item 5: one closing-time rule on every path ---------------------------------------------


def test_after_the_close_a_ballot_handed_in_before_it_is_entered(client, vote, tellers, clock):
    handed_in = vote.closes_at - timedelta(hours=3)
    clock.move_to(vote.closes_at + timedelta(hours=5))
    for teller in tellers:
        client.force_login(teller)
        enter(client, vote, "1号楼-101", ["no", "abstain"], collected_at=handed_in)
    assert counted(vote, "1号楼-101") == {1: "no", 2: "abstain"}
    assert {e.collected_at for e in PaperEntry.objects.all()} == {
        handed_in.replace(second=0, microsecond=0)
    }


def test_a_ballot_handed_in_after_the_close_is_refused_and_nothing_stored(
    client, vote, tellers, clock
):
    clock.move_to(vote.closes_at + timedelta(hours=5))
    client.force_login(tellers[0])
    response = enter(client, vote, "1号楼-101", ["no", "no"], collected_at=vote.closes_at)
    assert response.status_code == 400
    assert "在表决截止" in response.content.decode() and "之后收回" in response.content.decode()
    assert not PaperEntry.objects.exists()


def test_a_collection_time_in_the_future_or_missing_is_refused(client, vote, tellers):
    client.force_login(tellers[0])
    future = enter(client, vote, "1号楼-101", ["no", "no"], timezone.now() + timedelta(days=1))
    assert future.status_code == 400 and "不能晚于现在" in future.content.decode()
    data = {"unit": "1号楼-101", fields(vote)[0]: "no", fields(vote)[1]: "no"}
    missing = client.post(reverse("vote_paper", args=[vote.pk]), data)
    assert missing.status_code == 400
    garbled = client.post(reverse("vote_paper", args=[vote.pk]), {**data, "collected_at": "昨天"})
    assert garbled.status_code == 400 and "输入一个有效的日期/时间" in garbled.content.decode()
    blank = {"unit": "1号楼-101", "collected_at": local(timezone.now()), fields(vote)[0]: "no"}
    unmarked = client.post(reverse("vote_paper", args=[vote.pk]), blank)
    assert unmarked.status_code == 400 and "请选择同意、反对或弃权" in unmarked.content.decode()
    assert not PaperEntry.objects.exists()


def test_once_the_count_starts_no_entry_or_correction_form_is_offered_or_accepted(
    client, vote, tellers, committee_member, clock
):
    first, second = tellers
    client.force_login(first)
    enter(client, vote, "1号楼-101", ["yes", "yes"])
    client.force_login(second)
    enter(client, vote, "1号楼-101", ["yes", "yes"])
    clock.move_to(vote.closes_at + timedelta(hours=1))
    client.force_login(committee_member)
    client.post(reverse("vote_tally", args=[vote.pk]))
    vote.refresh_from_db()
    assert vote.status == VoteStatus.COUNTED

    client.force_login(first)
    shown = page(client, vote).content.decode()
    assert "计票已经开始" in shown
    assert "保存本次录入" not in shown and "打开这张表决票" not in shown
    assert "录入纸质表决票</a>" not in client.get(vote.get_absolute_url()).content.decode()
    late = enter(client, vote, "1号楼-102", ["no", "no"], vote.closes_at - timedelta(hours=1))
    assert late.status_code == 400 and "计票已经开始" in late.content.decode()
    cleared = client.post(
        reverse("vote_paper_clear", args=[vote.pk, vote.matters.first().pk, "h1"]),
        {"reason": "补录"},
        follow=True,
    )
    assert "计票已经开始" in cleared.content.decode()
    assert PaperEntry.objects.count() == 4


def test_tellers_are_not_appointed_after_the_close(client, vote, committee_member, clock):
    newcomer = add_member(vote.community, Role.COMMUNITY_WORKER, name="计票丙")
    clock.move_to(vote.closes_at + timedelta(minutes=1))
    client.force_login(committee_member)
    manage = client.get(reverse("vote_manage", args=[vote.pk])).content.decode()
    assert "指定计票人" not in manage
    response = client.post(reverse("vote_tellers", args=[vote.pk]), {"user": newcomer.phone})
    assert response.status_code in (302, 400)
    assert not VoteTeller.objects.filter(user=newcomer).exists()
