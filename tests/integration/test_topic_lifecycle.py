"""提 → 议 → 定 through the services: each step, its audit entry and its refusals."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from deliberation.audit import history_of, verify_chain
from deliberation.lifecycle import TRANSITIONS, TransitionRefused, transition_topic
from deliberation.models import (
    CoSign,
    Decision,
    Notice,
    NoticeKind,
    Notification,
    Phase,
    Role,
    Topic,
)
from deliberation.notices import followers_of
from deliberation.services import topics as services
from tests.factories import add_member, make_community
from tests.topic_factories import (
    collecting,
    decided,
    discussing,
    draft,
    in_triage,
    quick_residents,
    set_threshold,
)

pytestmark = pytest.mark.django_db


def test_a_proposal_starts_as_a_draft_followed_by_its_proposer(community, resident):
    topic = draft(community, resident)
    assert topic.phase == Phase.DRAFT
    assert followers_of(topic) == {resident.pk}
    assert [e.verb for e in history_of(topic)] == ["topic.propose"]


def test_submitting_opens_co_signing_and_fixes_the_threshold(community, resident):
    topic = collecting(community, resident)
    assert topic.phase == Phase.COLLECTING
    assert topic.submitted_at is not None
    assert topic.cosign_target == services.cosign_threshold(community)


def test_the_threshold_is_ten_or_one_percent_of_residents_whichever_is_fewer(db):
    small = make_community(name="小社区", cosign_threshold=10, cosign_share_permille=10)
    quick_residents(small, 250)
    assert services.cosign_threshold(small) == 3  # ceil(250 × 1%)
    small.cosign_share_permille = 100
    assert services.cosign_threshold(small) == 10  # 25 by share, so the count wins
    empty = make_community(name="空社区")
    assert services.cosign_threshold(empty) == 1


def test_reaching_the_threshold_moves_the_topic_to_triage(community, resident, owner):
    set_threshold(community, 2)
    topic = collecting(community, resident)
    topic = services.cosign_topic(topic, by=owner)
    assert topic.phase == Phase.COLLECTING
    other = add_member(community, Role.RESIDENT, name="赵六")
    topic = services.cosign_topic(topic, by=other)
    assert topic.phase == Phase.TRIAGE
    assert topic.cosign_count == 2
    last = history_of(topic).last()
    assert last.verb == "topic.phase" and last.data["to"] == Phase.TRIAGE


def test_it_rejects_a_second_co_sign(community, resident, owner):
    set_threshold(community, 5)
    topic = collecting(community, resident)
    services.cosign_topic(topic, by=owner)
    with pytest.raises(ValidationError, match="已经附议|already co-signed"):
        services.cosign_topic(topic, by=owner)
    assert CoSign.objects.filter(topic=topic).count() == 1
    assert Topic.objects.get(pk=topic.pk).cosign_count == 1


def test_the_proposer_cannot_co_sign_their_own_topic(community, resident):
    topic = collecting(community, resident)
    with pytest.raises(ValidationError):
        services.cosign_topic(topic, by=resident)


def test_workers_may_not_co_sign(community, resident, community_worker):
    topic = collecting(community, resident)
    with pytest.raises(PermissionDenied):
        services.cosign_topic(topic, by=community_worker)


def test_a_grid_worker_files_for_a_resident_who_phoned(community, resident, grid_worker):
    topic = draft(community, grid_worker, proposer=resident, channel="phone")
    assert topic.proposer == resident
    assert topic.filed_by == grid_worker
    assert topic.channel == "phone"


def test_a_resident_cannot_file_for_someone_else(community, resident, owner):
    with pytest.raises(PermissionDenied):
        draft(community, resident, proposer=owner)


def test_acceptance_opens_discussion_and_posts_a_notice(community, resident, community_worker):
    topic = discussing(community, resident, community_worker)
    assert topic.phase == Phase.DISCUSSING and topic.accepted_at is not None
    assert Notice.objects.filter(kind=NoticeKind.ACCEPTANCE, source_id=str(topic.pk)).exists()


def test_a_declined_topic_stays_visible_with_its_public_reason(
    community, resident, community_worker
):
    topic = in_triage(community, resident)
    topic = services.triage_topic(
        topic, by=community_worker, outcome="decline", reason="属于市政管辖，已转12345"
    )
    assert topic.phase == Phase.DECLINED
    assert topic.phase_reason == "属于市政管辖，已转12345"
    notice = Notice.objects.get(kind=NoticeKind.DECLINE)
    assert "属于市政管辖" in notice.body
    assert notice.period_days == community.decision_notice_days


def test_declining_needs_a_reason(community, resident, community_worker):
    topic = in_triage(community, resident)
    with pytest.raises(ValidationError):
        services.triage_topic(topic, by=community_worker, outcome="decline", reason=" ")
    assert Topic.objects.get(pk=topic.pk).phase == Phase.TRIAGE


def test_merging_points_at_the_other_topic(community, resident, owner, community_worker):
    main = discussing(community, owner, community_worker, title="电梯维修")
    topic = in_triage(community, resident)
    topic = services.triage_topic(
        topic, by=community_worker, outcome="merge", merge_into=main, reason="同一件事"
    )
    assert topic.phase == Phase.MERGED and topic.merged_into == main
    assert "topic.merged_in" in [e.verb for e in history_of(main)]


def test_residents_cannot_triage(community, resident, owner):
    topic = in_triage(community, resident)
    with pytest.raises(PermissionDenied):
        services.triage_topic(topic, by=owner, outcome="accept")


def test_a_decision_is_recorded_and_published(community, resident, community_worker, chair):
    topic = decided(community, resident, community_worker, chair)
    assert topic.phase == Phase.DECIDED and topic.decided_at is not None
    decision = Decision.objects.get(topic=topic)
    assert decision.notice.kind == NoticeKind.DECISION
    assert decision.notice.period_days == community.decision_notice_days
    assert "王某" in decision.notice.body  # the proposer's name is masked
    assert "王芳" not in decision.notice.body
    assert "decision.record" in [e.verb for e in history_of(topic)]


def test_a_topic_needing_an_owners_vote_cannot_be_decided_without_its_result(
    community, resident, community_worker, chair
):
    topic = in_triage(community, resident)
    topic = services.triage_topic(topic, by=community_worker, outcome="assembly")
    assert topic.needs_owner_vote
    with pytest.raises(ValidationError, match="业主|owners"):
        services.record_decision(
            topic,
            by=chair,
            text="决定",
            decided_by="owners_assembly",
            decided_on=datetime.date(2026, 11, 20),
        )
    assert Topic.objects.get(pk=topic.pk).phase == Phase.DISCUSSING
    assert not Decision.objects.exists()


def test_a_transition_from_the_wrong_state_is_refused_with_a_message(community, resident, chair):
    topic = collecting(community, resident)
    with pytest.raises(TransitionRefused) as refused:
        transition_topic(topic, Phase.DECIDED, by=chair)
    assert refused.value.messages
    assert Topic.objects.get(pk=topic.pk).phase == Phase.COLLECTING


def test_a_stale_form_is_refused_after_someone_else_moved_the_topic(
    community, resident, community_worker
):
    topic = in_triage(community, resident)
    stale = topic.version
    services.triage_topic(topic, by=community_worker, outcome="accept", expected_version=stale)
    with pytest.raises(TransitionRefused):
        services.triage_topic(
            topic, by=community_worker, outcome="decline", reason="x", expected_version=stale
        )
    assert Topic.objects.get(pk=topic.pk).phase == Phase.DISCUSSING


def test_only_the_proposer_withdraws(community, resident, owner):
    topic = collecting(community, resident)
    with pytest.raises(PermissionDenied):
        services.withdraw_topic(topic, by=owner)
    topic = services.withdraw_topic(topic, by=resident, reason="已自行解决")
    assert topic.phase == Phase.WITHDRAWN


def test_followers_are_notified_of_each_phase_change(
    community, resident, owner, community_worker, django_capture_on_commit_callbacks, mailoutbox
):
    topic = in_triage(community, resident)
    services.follow_topic(topic, by=owner)
    with django_capture_on_commit_callbacks(execute=True):
        services.triage_topic(topic, by=community_worker, outcome="accept")
    assert Notification.objects.filter(user=owner, url=topic.get_absolute_url()).exists()
    assert any(owner.email in m.to for m in mailoutbox)


def test_every_transition_in_the_table_names_a_known_action():
    from deliberation.permissions import ALLOWED

    assert all(action in ALLOWED for action in TRANSITIONS.values())


def test_the_audit_chain_holds_after_a_whole_journey(community, resident, community_worker, chair):
    decided(community, resident, community_worker, chair)
    checked, broken, problem = verify_chain()
    assert broken is None and problem == "" and checked > 5


def test_a_published_owners_vote_lets_the_assembly_decide(
    community, resident, community_worker, committee_member
):
    from django.utils import timezone

    from deliberation.models.vote import AssemblyVote, VoteStatus

    topic = in_triage(community, resident)
    topic = services.triage_topic(topic, by=community_worker, outcome="assembly")
    now = timezone.now()
    vote = AssemblyVote.objects.create(
        community=community,
        estate=community.estates.first(),
        title="电梯维修资金使用",
        opens_at=now - datetime.timedelta(days=10),
        closes_at=now - datetime.timedelta(days=2),
        topic=topic,
        created_by=committee_member,
        status=VoteStatus.PUBLISHED,
        result_published_at=now,
    )
    with pytest.raises(ValidationError):  # the assembly decided it, not the committee
        services.record_decision(
            topic,
            by=committee_member,
            text="同意",
            decided_by="owners_committee",
            decided_on=datetime.date(2026, 11, 20),
        )
    decision = services.record_decision(
        topic,
        by=committee_member,
        text="业主大会表决通过，使用维修资金更换电梯主板。",
        decided_by="owners_assembly",
        decided_on=datetime.date(2026, 11, 20),
    )
    assert decision.source_type == "deliberation.assemblyvote"
    assert decision.source_id == str(vote.pk)
