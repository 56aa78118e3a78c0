"""Topics in any phase, reached through the real services (as a person would)."""

import pytest

from deliberation.models import Category, Phase, Role, Scope
from deliberation.services import topics as services


def quick_residents(community, count, prefix="居民"):
    """Many residents at once, without hashing a password for each (hashing is slow)."""
    from accounts.models import User
    from deliberation.models import Membership

    start = User.objects.count()
    users = User.objects.bulk_create(
        [
            User(
                email=f"q{start + i}-{community.pk}@example.com",
                real_name=f"{prefix}{i}",
                password="!",
            )
            for i in range(count)
        ]
    )
    Membership.objects.bulk_create(
        [Membership(user=u, community=community, role=Role.RESIDENT) for u in users]
    )
    return users


def set_threshold(community, count):
    """Exactly `count` co-signs needed, whatever the number of residents."""
    community.cosign_threshold = count
    community.cosign_share_permille = 1_000_000
    community.save()


def draft(community, author, title="3号楼电梯坏了", **extra):
    fields = {
        "title": title,
        "description": extra.pop("description", "电梯停了三天，老人上下楼困难。"),
        "category": Category.FACILITIES,
        "scope": Scope.COMMUNITY,
        **extra,
    }
    return services.propose_topic(community, by=author, **fields)


def collecting(community, proposer, **extra):
    return services.submit_topic(draft(community, proposer, **extra), by=proposer)


def in_triage(community, proposer, **extra):
    topic = collecting(community, proposer, **extra)
    for supporter in quick_residents(community, topic.cosign_target, prefix="附议人"):
        topic = services.cosign_topic(topic, by=supporter)
    assert topic.phase == Phase.TRIAGE
    return topic


def discussing(community, proposer, worker, **extra):
    topic = in_triage(community, proposer, **extra)
    return services.triage_topic(topic, by=worker, outcome=services.Outcome.ACCEPT)


def decided(community, proposer, worker, chair, **extra):
    import datetime

    topic = discussing(community, proposer, worker, **extra)
    services.record_decision(
        topic,
        by=chair,
        text="由物业在两周内更换电梯主板。",
        decided_by="residents_meeting",
        decided_on=datetime.date(2026, 11, 20),
    )
    topic.refresh_from_db()
    return topic


@pytest.fixture
def topic_in_discussion(community, resident, community_worker):
    return discussing(community, resident, community_worker)
