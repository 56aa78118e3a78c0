"""Owners' assembly votes through the services: notice, snapshot, channels, count, result."""

from contextlib import contextmanager
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.utils import timezone

from deliberation.models import (
    AuditEntry,
    Ballot,
    BallotChannel,
    Candidate,
    ElectorateEntry,
    Holder,
    Membership,
    Notice,
    NoticeKind,
    PaperEntry,
    Role,
    Unit,
    VoteState,
    VoteStatus,
)
from deliberation.services import votes
from deliberation.services.votes import VoteError
from tests.factories import add_member, make_user
from tests.vote_factories import convene, election, move_to, open_vote, publish

pytestmark = pytest.mark.django_db


@contextmanager
def refused(code):
    """The service refuses with a VoteError of this code (its message is in the UI language)."""
    with pytest.raises(VoteError) as info:
        yield
    assert info.value.code == code, info.value.messages


@pytest.fixture(autouse=True)
def _quick_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def holders(community):
    return list(Holder.objects.filter(community=community).order_by("pk"))


def link_all(community):
    """Give every holder of the community a login, as if each had verified their real name."""
    for holder in holders(community):
        if holder.user_id is None:
            holder.user = make_user(name=holder.name)
            holder.save(update_fields=["user"])
    return holders(community)


def matter_of(vote):
    return vote.matters.get()


def cast_online(vote, holder, choice):
    return votes.cast_ballot(
        matter_of(vote), holder, choice, by=holder.user, channel=BallotChannel.ONLINE
    )


# --- convening and the notice ----------------------------------------------------------------


def test_the_notice_must_come_fifteen_days_before_voting_opens(community, committee_member):
    vote = convene(community, committee_member)
    vote.opens_at = timezone.now() + timedelta(days=10)
    vote.closes_at = vote.opens_at + timedelta(days=7)
    vote.save()
    with refused("notice_period"):
        votes.publish_vote_notice(vote, by=committee_member)
    vote.refresh_from_db()
    assert vote.status == VoteStatus.DRAFT
    assert not ElectorateEntry.objects.filter(vote=vote).exists()


def test_the_voting_window_must_fit_the_community_settings(community, committee_member):
    opens = timezone.now() + timedelta(days=20)
    with refused("window"):
        votes.convene_vote(
            estate=community.estates.get(),
            title="太短",
            opens_at=opens,
            closes_at=opens + timedelta(days=2),
            by=committee_member,
        )


def test_a_resident_cannot_convene_a_vote(community, resident):
    opens = timezone.now() + timedelta(days=20)
    with pytest.raises(PermissionDenied):
        votes.convene_vote(
            estate=community.estates.get(),
            title="x",
            opens_at=opens,
            closes_at=opens + timedelta(days=7),
            by=resident,
        )


def test_publishing_the_notice_freezes_the_electorate_and_posts_it(community, committee_member):
    vote = publish(convene(community, committee_member), committee_member)
    assert vote.status == VoteStatus.NOTICED
    assert vote.state == VoteState.NOTICED
    assert ElectorateEntry.objects.filter(vote=vote).count() == 6
    notice = Notice.objects.get(kind=NoticeKind.VOTE_NOTICE)
    assert vote.title in notice.title
    assert AuditEntry.objects.filter(verb="vote.publish_notice").exists()


def test_nothing_can_be_added_after_the_notice(community, committee_member):
    vote = publish(convene(community, committee_member), committee_member)
    with refused("noticed"):
        votes.add_matter(vote, code="rebuild", title="新事项", by=committee_member)
    assert vote.matters.count() == 1


def test_later_register_changes_do_not_move_the_snapshot(community, committee_member):
    vote = publish(convene(community, committee_member), committee_member)
    Unit.objects.filter(building__estate__community=community).update(area=Decimal("100.00"))
    total = sum(e.area for e in ElectorateEntry.objects.filter(vote=vote))
    assert total == Decimal("480.00")
    outcome = votes.count_matter(matter_of(vote))
    assert outcome.total_area == Decimal("480.00")


def test_an_amendment_needs_a_reason_and_is_logged(community, committee_member):
    vote = publish(convene(community, committee_member), committee_member)
    entry = ElectorateEntry.objects.filter(vote=vote).first()
    with refused("reason"):
        votes.amend_electorate(
            vote, unit_id=entry.unit_id, area=Decimal("90.00"), reason="  ", by=committee_member
        )
    entry.refresh_from_db()
    assert entry.area == Decimal("80.00")
    amendment = votes.amend_electorate(
        vote, unit_id=entry.unit_id, area=Decimal("90.00"), reason="测绘更正", by=committee_member
    )
    entry.refresh_from_db()
    assert entry.area == Decimal("90.00")
    assert amendment.before["area"] == "80.00"
    assert votes.count_matter(matter_of(vote)).total_area == Decimal("490.00")


# --- casting ---------------------------------------------------------------------------------


def test_an_owner_votes_online_and_checks_the_receipt(community, committee_member, owner):
    vote = open_vote(community, committee_member)
    holder = Holder.objects.get(user=owner)
    ballot = cast_online(vote, holder, "yes")
    assert len(ballot.receipt_code) == 11
    assert ballot.receipt_hash != ballot.receipt_code
    found = votes.verify_receipt(vote, ballot.receipt_code.lower())
    assert found[0]["matter"] == matter_of(vote).title
    with refused("receipt"):
        votes.verify_receipt(vote, "AAAAA-BBBBB")


def test_it_rejects_a_second_ballot_for_the_same_flat(community, committee_member, owner):
    vote = open_vote(community, committee_member)
    holder = Holder.objects.get(user=owner)
    cast_online(vote, holder, "yes")
    with refused("already_cast"):
        cast_online(vote, holder, "no")
    assert Ballot.objects.get().choice == "yes"


def test_a_vote_that_allows_changes_lets_the_owner_change_their_mind(
    community, committee_member, owner
):
    vote = open_vote(community, committee_member, allow_change=True)
    holder = Holder.objects.get(user=owner)
    first = cast_online(vote, holder, "yes")
    second = cast_online(vote, holder, "no")
    assert Ballot.objects.get().choice == "no"
    assert first.receipt_code != second.receipt_code
    assert votes.verify_receipt(vote, second.receipt_code)


def test_a_tenant_is_refused_with_a_clear_message(community, committee_member, resident):
    vote = open_vote(community, committee_member)
    with refused("not_owner"):
        votes.cast_ballot(matter_of(vote), None, "yes", by=resident, channel="online")
    assert not Ballot.objects.exists()


def test_someone_else_cannot_vote_online_for_a_holder(community, committee_member, owner):
    vote = open_vote(community, committee_member)
    other = holders(community)[3]
    with refused("real_name"):
        votes.cast_ballot(matter_of(vote), other, "yes", by=owner, channel="online")
    assert not Ballot.objects.exists()


def test_voting_before_the_opening_or_after_the_close_is_refused(
    community, committee_member, owner
):
    vote = publish(convene(community, committee_member), committee_member)
    holder = Holder.objects.get(user=owner)
    with refused("not_open"):
        cast_online(vote, holder, "yes")
    move_to(vote, "closed")
    with refused("closed"):
        cast_online(vote, holder, "yes")
    assert not Ballot.objects.exists()


def test_a_matter_of_another_vote_is_refused(community, committee_member, owner):
    vote = open_vote(community, committee_member)
    other = open_vote(community, committee_member, title="另一次表决")
    holder = Holder.objects.get(user=owner)
    with refused("matter"):
        votes.cast_ballots(vote, holder, {matter_of(other): "yes"}, by=owner, channel="online")
    assert not Ballot.objects.exists()


def test_an_online_choice_outside_the_ballot_is_refused(community, committee_member, owner):
    vote = open_vote(community, committee_member)
    with refused("choice"):
        cast_online(vote, Holder.objects.get(user=owner), "maybe")


# --- paper ballots ---------------------------------------------------------------------------


@pytest.fixture
def tellers(community, committee_member):
    return [add_member(community, Role.COMMUNITY_WORKER, name=n) for n in ("计票甲", "计票乙")]


def appoint(vote, tellers, by):
    for teller in tellers:
        votes.appoint_teller(vote, teller, by=by)


def test_two_matching_paper_entries_cast_the_ballot(community, committee_member, tellers):
    vote = open_vote(community, committee_member)
    appoint(vote, tellers, committee_member)
    holder = holders(community)[4]
    matter = matter_of(vote)
    first = votes.enter_paper_ballot(vote, holder, {matter: "no"}, by=tellers[0], entry=1)
    assert first == "waiting" and not Ballot.objects.exists()
    second = votes.enter_paper_ballot(vote, holder, {matter: "no"}, by=tellers[1], entry=2)
    assert second == "counted"
    ballot = Ballot.objects.get()
    assert (ballot.channel, ballot.choice) == ("paper", "no")


def test_a_mismatch_between_the_tellers_is_flagged_not_resolved(
    community, committee_member, tellers
):
    vote = open_vote(community, committee_member)
    appoint(vote, tellers, committee_member)
    holder = holders(community)[4]
    matter = matter_of(vote)
    votes.enter_paper_ballot(vote, holder, {matter: "yes"}, by=tellers[0], entry=1)
    result = votes.enter_paper_ballot(vote, holder, {matter: "no"}, by=tellers[1], entry=2)
    assert result == "mismatch"
    assert not Ballot.objects.exists()
    assert PaperEntry.objects.filter(mismatch=True).count() == 2
    move_to(vote, "closed")
    with refused("mismatch"):
        votes.tally_vote(vote, by=committee_member)
    votes.clear_paper_mismatch(vote, matter, f"h{holder.pk}", by=tellers[0], reason="重新核对原票")
    handed_in = vote.closes_at - timedelta(hours=2)  # before the close: it may still be entered
    votes.enter_paper_ballot(
        vote, holder, {matter: "yes"}, by=tellers[0], entry=1, collected_at=handed_in
    )
    assert (
        votes.enter_paper_ballot(
            vote, holder, {matter: "yes"}, by=tellers[1], entry=2, collected_at=handed_in
        )
        == "counted"
    )


def test_the_same_teller_cannot_make_both_entries(community, committee_member, tellers):
    vote = open_vote(community, committee_member)
    appoint(vote, tellers, committee_member)
    holder, matter = holders(community)[4], matter_of(vote)
    votes.enter_paper_ballot(vote, holder, {matter: "yes"}, by=tellers[0], entry=1)
    with refused("same_teller"):
        votes.enter_paper_ballot(vote, holder, {matter: "yes"}, by=tellers[0], entry=2)


def test_only_appointed_tellers_enter_paper_ballots(community, committee_member, tellers):
    vote = open_vote(community, committee_member)
    with pytest.raises(PermissionDenied):
        votes.enter_paper_ballot(
            vote, holders(community)[4], {matter_of(vote): "yes"}, by=tellers[0], entry=1
        )


def test_a_paper_ballot_after_an_online_one_is_rejected_with_the_channel(
    community, committee_member, tellers, owner
):
    vote = open_vote(community, committee_member)
    appoint(vote, tellers, committee_member)
    holder = Holder.objects.get(user=owner)
    cast_online(vote, holder, "yes")
    with refused("already_cast"):
        votes.enter_paper_ballot(vote, holder, {matter_of(vote): "no"}, by=tellers[0], entry=1)
    assert Ballot.objects.get().choice == "yes"


# --- proxies ---------------------------------------------------------------------------------


def mandate_for(vote, holder, agent, by, choice="yes"):
    return votes.register_mandate(
        vote,
        holder=holder,
        agent=agent,
        instructions={matter_of(vote): choice},
        document="votes/mandates/x.pdf",
        document_type="application/pdf",
        by=by,
    )


def test_a_proxy_votes_as_instructed(community, committee_member, resident):
    vote = open_vote(community, committee_member)
    holder = holders(community)[4]
    mandate = mandate_for(vote, holder, resident, committee_member, "no")
    with refused("instruction"):
        votes.cast_ballot(
            matter_of(vote), holder, "yes", by=resident, channel="proxy", mandate=mandate
        )
    code, ballots = votes.cast_as_instructed(mandate, by=resident)
    assert ballots[0].choice == "no" and ballots[0].channel == "proxy"
    assert votes.verify_receipt(vote, code)


def test_an_agent_over_the_cap_is_refused(community, committee_member, resident):
    community.proxy_cap_per_agent = 2
    community.save()
    vote = open_vote(community, committee_member)
    for holder in holders(community)[2:4]:
        mandate_for(vote, holder, resident, committee_member)
    with refused("cap"):
        mandate_for(vote, holders(community)[4], resident, committee_member)
    assert vote.mandates.count() == 2


# --- the count -------------------------------------------------------------------------------


def run_vote(community, by, code, choices):
    """Six flats of 80 m²; `choices` lists the choices of the first len(choices) holders."""
    vote = open_vote(community, by, matters=[(code, "ordinary", 1, [])])
    for holder, choice in zip(link_all(community), choices, strict=False):
        cast_online(vote, holder, choice)
    move_to(vote, "closed")
    votes.tally_vote(vote, by=by)
    return matter_of(vote).result


def test_exactly_two_thirds_taking_part_meets_the_quorum_and_three_quarters_pass(
    community, committee_member
):
    # 4 of 6 heads and 320 of 480 m² take part: 3×320 = 2×480. Three of four agree: 4×3 = 3×4.
    result = run_vote(
        community, committee_member, "raise_maintenance_fund", ["yes", "yes", "yes", "no"]
    )
    assert result.passed is True
    assert result.figures["participating_area"] == "320.00"
    assert result.figures["participating_headcount"] == 4
    assert result.reasons[-1]["zh"] == "通过"


def test_exactly_half_agreeing_does_not_pass_a_majority_matter(community, committee_member):
    result = run_vote(
        community, committee_member, "use_maintenance_fund", ["yes", "yes", "no", "abstain"]
    )
    assert result.passed is False
    assert result.figures["abstain_headcount"] == 1
    assert result.reasons[-1]["code"] == "failed_approval"


def test_without_two_thirds_taking_part_nothing_passes(community, committee_member):
    result = run_vote(community, committee_member, "use_maintenance_fund", ["yes"] * 3)
    assert result.passed is False
    assert result.figures["participation_met"] is False


def test_the_count_is_confirmed_by_tellers_then_published(community, committee_member, tellers):
    vote = open_vote(community, committee_member)
    appoint(vote, tellers, committee_member)
    for holder in link_all(community)[:5]:
        cast_online(vote, holder, "yes")
    with refused("not_closed"):
        votes.tally_vote(vote, by=committee_member)
    move_to(vote, "closed")
    votes.tally_vote(vote, by=tellers[0])
    with refused("unconfirmed"):
        votes.publish_result(vote, by=committee_member)
    votes.confirm_result(vote, by=tellers[0])
    with refused("twice"):
        votes.confirm_result(vote, by=tellers[0])
    votes.confirm_result(vote, by=tellers[1])
    votes.publish_result(vote, by=committee_member)
    vote.refresh_from_db()
    assert vote.status == VoteStatus.PUBLISHED
    notice = Notice.objects.get(kind=NoticeKind.VOTE_RESULT)
    assert "通过" in notice.body
    context = votes.result_context(vote)
    assert context["matters"][0]["passed"] is True
    assert len(context["confirmed_by"]) == 2


# --- elections -------------------------------------------------------------------------------


def test_an_election_elects_by_rank_and_seats_the_new_committee(community, committee_member):
    vote = election(community, committee_member, names=("甲", "乙", "丙"), seats=3)
    matter = matter_of(vote)
    everyone = link_all(community)
    ids = dict(matter.candidates.values_list("name", "pk"))
    # Give 甲 a login so election seats them on the committee.
    Candidate.objects.filter(name="甲").update(holder=everyone[5])
    marks = [["甲", "乙", "丙"], ["甲", "乙"], ["甲", "乙"], ["甲"], ["丙"], ["甲", "丙"]]
    for holder, names in zip(everyone, marks, strict=True):
        votes.cast_ballot(
            matter,
            holder,
            "list",
            candidates=[ids[n] for n in names],
            by=holder.user,
            channel="online",
        )
    move_to(vote, "closed")
    votes.tally_vote(vote, by=committee_member)
    result = matter.__class__.objects.get(pk=matter.pk).result
    # 甲 6, 乙 3, 丙 3 of 6 heads: only 甲 has more than half.
    assert result.figures["elected"] == ["甲"]
    assert result.figures["vacancies"] == 2
    assert result.passed is False  # one member cannot make a committee


def test_an_online_ballot_cannot_mark_more_candidates_than_seats(community, committee_member):
    vote = election(community, committee_member, seats=5)
    holder = link_all(community)[0]
    matter = matter_of(vote)
    ids = list(matter.candidates.values_list("pk", flat=True))
    with refused("too_many"):
        votes.cast_ballot(matter, holder, "list", candidates=ids, by=holder.user, channel="online")


def test_the_elected_get_the_committee_role_when_the_result_is_published(
    community, committee_member
):
    vote = election(community, committee_member, names=("甲", "乙", "丙"), seats=3)
    matter = matter_of(vote)
    everyone = link_all(community)
    for holder, name in zip(everyone[3:], ("甲", "乙", "丙"), strict=True):
        Candidate.objects.filter(matter=matter, name=name).update(holder=holder)
    ids = list(matter.candidates.order_by("pk").values_list("pk", flat=True))
    for holder in everyone:
        votes.cast_ballot(matter, holder, "list", candidates=ids, by=holder.user, channel="online")
    votes.appoint_teller(vote, committee_member, by=committee_member)
    move_to(vote, "closed")
    votes.tally_vote(vote, by=committee_member)
    votes.confirm_result(vote, by=committee_member)
    votes.publish_result(vote, by=committee_member)
    new_members = Membership.objects.filter(role=Role.COMMITTEE).exclude(user=committee_member)
    assert {m.user_id for m in new_members} == {h.user_id for h in everyone[3:]}


def test_a_published_vote_decides_its_topic(community, committee_member, owner):
    from deliberation.models import Topic
    from deliberation.services.topics import vote_result_for

    topic = Topic.objects.create(
        community=community,
        title="更换电梯",
        description="两部电梯已使用二十年",
        category="facilities",
        proposer=owner,
        needs_owner_vote=True,
    )
    vote = convene(community, committee_member)
    vote.topic = topic
    vote.save(update_fields=["topic"])
    publish(vote, committee_member)
    move_to(vote, "open")
    for holder in link_all(community)[:5]:
        cast_online(vote, holder, "yes")
    votes.appoint_teller(vote, committee_member, by=committee_member)
    move_to(vote, "closed")
    votes.tally_vote(vote, by=committee_member)
    votes.confirm_result(vote, by=committee_member)
    assert vote_result_for(topic) is None
    votes.publish_result(vote, by=committee_member)
    assert vote_result_for(topic) == vote
    assert votes.vote_result_for_topic(topic)["matters"][0]["passed"] is True


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="planner statistics: CI runs it on PostgreSQL"
)
def test_the_frozen_electorate_has_planner_statistics_at_once(community, committee_member):
    from deliberation.models import ElectorateEntry

    vote = publish(convene(community, committee_member), committee_member)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT reltuples FROM pg_class WHERE relname = %s",
            [ElectorateEntry._meta.db_table],
        )
        (estimated,) = cursor.fetchone()
    assert estimated >= ElectorateEntry.objects.filter(vote=vote).count() > 0
