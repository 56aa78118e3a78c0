"""Topic operations 提 → 议 → 定: propose, co-sign, triage, discuss, poll, decide.

Each function runs in one transaction, locks the topic row, re-checks permission and state
there (`_require`), audits the change against the topic (so `history_of(topic)` is its whole
public history) and notifies after commit. Phase changes go through
`deliberation.lifecycle.transition_topic`, never through `topic.phase = ...`.

Refusals: `PermissionDenied` when the person's roles never allow the action (the view answers
403); `ValidationError` with a message for the person when the action is fine in general but
not now (wrong phase, already done, stale form).
"""

import math
from datetime import timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop

from deliberation.access import community_ids_of, require_in_phase, roles_of
from deliberation.audit import record_audit
from deliberation.lifecycle import TransitionRefused, transition_topic
from deliberation.messages import Message
from deliberation.models import (
    AssemblyVote,
    Channel,
    Comment,
    CommentReaction,
    CommentReport,
    CoSign,
    DecidingBody,
    Decision,
    Follow,
    Holder,
    Membership,
    NoticeKind,
    Notification,
    Phase,
    Poll,
    PollOption,
    PollVote,
    Role,
    Topic,
    TopicPhoto,
    VoteStatus,
)
from deliberation.notices import (
    forget_unread,
    mask_name,
    publish_notice,
    staff_of,
    tell,
)
from deliberation.permissions import may
from deliberation.services import sent_just_now
from deliberation.services.execution import dispatch_order
from deliberation.services.opinions import snapshot_for_decision
from deliberation.uploads import delete_private, store_private, suffix_for
from plumbing import fragments

MAX_PHOTOS = 6

STATE_MESSAGES = {
    "topic.edit": gettext_lazy("Only a draft can be edited."),
    "topic.cosign": gettext_lazy("This topic is not collecting co-signs now."),
    "topic.triage": gettext_lazy("This topic is not waiting for acceptance."),
    "topic.comment": gettext_lazy("Comments are closed for this topic."),
    "topic.poll": gettext_lazy("Polls can be opened only while a topic is under discussion."),
    "topic.poll_vote": gettext_lazy("This poll is closed."),
    "topic.decide": gettext_lazy("Only a topic under discussion can be decided."),
}


# ---- helpers ---------------------------------------------------------------------------


NOT_IN_THIS_PHASE = gettext_lazy("This cannot be done while the topic is “%(phase)s”.")


def _require(user, topic, action):
    """Role check (403) and phase check (a message) for `action` on a locked topic."""
    require_in_phase(user, topic, action, STATE_MESSAGES, NOT_IN_THIS_PHASE)


def _lock(topic):
    return Topic.objects.select_for_update().select_related("community").get(pk=topic.pk)


def _check_version(topic, expected_version):
    if expected_version is not None and topic.version != expected_version:
        raise TransitionRefused(
            _("Someone else changed this topic a moment ago. Please look at it again.")
        )


def cosign_threshold(community):
    """Co-signs needed: `cosign_threshold` or the ‰ share of residents, whichever is fewer.

    Residents are members holding the resident role or owning a unit, counted in the database.
    """
    member_ids = set(
        Membership.objects.filter(community=community, role=Role.RESIDENT).values_list(
            "user_id", flat=True
        )
    )
    member_ids |= set(
        Holder.objects.filter(
            community=community, user__isnull=False, ownerships__isnull=False
        ).values_list("user_id", flat=True)
    )
    by_share = math.ceil(len(member_ids) * community.cosign_share_permille / 1000)
    return max(1, min(community.cosign_threshold, by_share))


def vote_result_for(topic):
    """The owners' assembly vote whose published result decides `topic`, or None.

    The latest vote linked to the topic whose result is published (deliberation.models.vote);
    `deliberation.services.votes.vote_result_for_topic` gives its figures for display. Until
    a result is published no topic routed to the owners' assembly can be decided.
    """
    return (
        AssemblyVote.objects.filter(topic=topic, status=VoteStatus.PUBLISHED)
        .order_by("-result_published_at", "-pk")
        .first()
    )


def _audit(topic, by, verb, data=None, public=True):
    record_audit(actor=by, verb=verb, target=topic, data=data or {}, public=public)
    # Every audited change may show in the topic list (counts, phase, title): refresh its rows.
    fragments.bump("topics", topic.community_id)


# ---- 提 propose ------------------------------------------------------------------------


def propose_topic(
    community,
    *,
    by,
    title,
    description,
    category,
    scope,
    estate=None,
    building=None,
    grid=None,
    location="",
    photos=(),
    proposer=None,
    channel=Channel.APP,
    is_major=False,
):
    """Create a draft. A grid or community worker may file it for `proposer` (点单).

    `photos` are (bytes, content_type) pairs already cleaned by uploads.validate_image.
    A second identical proposal within minutes (a double tap) returns the first one.
    """
    roles = roles_of(by, community)
    if not may(roles, "topic.propose"):
        raise PermissionDenied
    filed_by = None
    if proposer is not None and proposer != by:
        if not may(roles, "topic.file_for_resident"):
            raise PermissionDenied
        if community.pk not in community_ids_of(proposer):
            raise ValidationError(_("The resident is not registered in this community."))
        filed_by = by
    else:
        proposer, channel = by, Channel.APP
    if len(photos) > MAX_PHOTOS:
        raise ValidationError(_("Please attach at most %(n)s photos.") % {"n": MAX_PHOTOS})
    with transaction.atomic():
        recent = sent_just_now(
            Topic.objects,
            community=community,
            proposer=proposer,
            title=title,
            description=description,
        )
        if recent is not None:
            return recent
        topic = Topic.objects.create(
            community=community,
            title=title,
            description=description,
            category=category,
            scope=scope,
            estate=estate,
            building=building,
            grid=grid,
            location=location,
            proposer=proposer,
            filed_by=filed_by,
            channel=channel,
            is_major=is_major,
        )
        _save_photos(topic, photos, by)
        _audit(topic, by, "topic.propose", {"channel": channel, "filed_for": bool(filed_by)})
        Follow.objects.get_or_create(topic=topic, user=proposer)
    return topic


def _save_photos(topic, photos, by):
    stored = []
    try:
        for data, content_type in photos:
            path = store_private(data, folder=f"topics/{topic.pk}", suffix=suffix_for(content_type))
            stored.append(path)
            TopicPhoto.objects.create(
                topic=topic, path=path, content_type=content_type, uploaded_by=by
            )
    except Exception:
        for path in stored:
            delete_private(path)
        raise
    if stored:
        _audit(topic, by, "topic.photos", {"count": len(stored)})


def update_draft(topic, *, by, expected_version=None, photos=(), **fields):
    allowed = {"title", "description", "category", "scope", "estate", "building", "grid"}
    allowed |= {"location", "is_major"}
    with transaction.atomic():
        topic = _lock(topic)
        _check_version(topic, expected_version)
        if by.pk not in (topic.proposer_id, topic.filed_by_id):
            raise PermissionDenied
        _require(by, topic, "topic.edit")
        if topic.photos.count() + len(photos) > MAX_PHOTOS:
            raise ValidationError(_("Please attach at most %(n)s photos.") % {"n": MAX_PHOTOS})
        for name, value in fields.items():
            if name in allowed:
                setattr(topic, name, value)
        topic.version += 1
        topic.save()
        _save_photos(topic, photos, by)
        _audit(topic, by, "topic.edit", {"title": topic.title})
    return topic


def submit_topic(topic, *, by, expected_version=None):
    """Draft → collecting co-signs; the number needed is fixed now."""
    with transaction.atomic():
        topic = _lock(topic)
        if by.pk not in (topic.proposer_id, topic.filed_by_id):
            raise PermissionDenied
        _check_version(topic, expected_version)
        if topic.phase != Phase.DRAFT:
            raise ValidationError(_("This topic has already been submitted."))
        Topic.objects.filter(pk=topic.pk).update(cosign_target=cosign_threshold(topic.community))
        topic = transition_topic(topic, Phase.COLLECTING, by=by)
    return topic


def withdraw_topic(topic, *, by, reason="", expected_version=None):
    with transaction.atomic():
        topic = _lock(topic)
        if by.pk not in (topic.proposer_id, topic.filed_by_id):
            raise PermissionDenied
        _check_version(topic, expected_version)
        topic = transition_topic(topic, Phase.WITHDRAWN, by=by, reason=reason)
    return topic


def cosign_topic(topic, *, by):
    """附议. Reaching the community's threshold moves the topic to triage by itself."""
    with transaction.atomic():
        topic = _lock(topic)
        _require(by, topic, "topic.cosign")
        if by.pk in (topic.proposer_id, topic.filed_by_id):
            raise ValidationError(_("You cannot co-sign your own proposal."))
        try:
            with transaction.atomic():
                CoSign.objects.create(topic=topic, user=by)
        except IntegrityError:
            raise ValidationError(_("You have already co-signed this topic.")) from None
        Topic.objects.filter(pk=topic.pk).update(cosign_count=F("cosign_count") + 1)
        topic.refresh_from_db(fields=["cosign_count"])
        Follow.objects.get_or_create(topic=topic, user=by)
        _audit(topic, by, "topic.cosign", {"count": topic.cosign_count})
        target = topic.cosign_target or cosign_threshold(topic.community)
        if topic.cosign_count >= target:
            topic = transition_topic(
                topic, Phase.TRIAGE, by=by, system=True, data={"cosigns": topic.cosign_count}
            )
            tell(
                staff_of(topic.community),
                Message(
                    gettext_noop("“%(title)s” has enough co-signs and awaits acceptance."),
                    title=topic.title,
                ),
                topic.get_absolute_url(),
            )
    return topic


def triage_due(topic):
    """When acceptance is due: submitted_at + the community's triage deadline."""
    if topic.submitted_at is None:
        return None
    return topic.submitted_at + timedelta(days=topic.community.triage_deadline_days)


# Topics that cannot take in others: not yet public, or no longer open.
MERGE_REFUSED = (
    Phase.DRAFT,
    Phase.DECLINED,
    Phase.MERGED,
    Phase.WITHDRAWN,
    Phase.CLOSED,
)


class Outcome:
    ACCEPT = "accept"
    ASSEMBLY = "assembly"
    MERGE = "merge"
    DECLINE = "decline"
    ORDER = "order"  # a resident's service order, dispatched to the unit (下单)


def triage_topic(
    topic, *, by, outcome, reason="", merge_into=None, is_major=None, expected_version=None
):
    """受理: accept, route to the owners' assembly, merge into another topic, or decline.

    Declined and merged topics stay visible with their reason; a decline is posted on the
    notice board, and so is an acceptance (DOMAIN.md §6 公示).
    """
    if outcome == Outcome.ORDER:
        return dispatch_order(topic, by=by, note=reason, expected_version=expected_version)
    with transaction.atomic():
        topic = _lock(topic)
        _check_version(topic, expected_version)
        _require(by, topic, "topic.triage")
        community = topic.community
        if outcome in (Outcome.DECLINE, Outcome.MERGE) and not reason.strip():
            raise ValidationError(_("Please give the reason; it is published with the topic."))
        if outcome == Outcome.MERGE:
            if merge_into is None or merge_into.pk == topic.pk:
                raise ValidationError(_("Please choose another topic to merge into."))
            if merge_into.community_id != topic.community_id or merge_into.phase in MERGE_REFUSED:
                raise ValidationError(_("That topic cannot take in others."))
        extra = {}
        if is_major is not None:
            topic.is_major = is_major
            extra["is_major"] = is_major
        if outcome == Outcome.ASSEMBLY:
            topic.needs_owner_vote = True
        if outcome == Outcome.MERGE:
            topic.merged_into = merge_into
        topic.save(update_fields=["is_major", "needs_owner_vote", "merged_into"])
        target = {
            Outcome.ACCEPT: Phase.DISCUSSING,
            Outcome.ASSEMBLY: Phase.DISCUSSING,
            Outcome.MERGE: Phase.MERGED,
            Outcome.DECLINE: Phase.DECLINED,
        }.get(outcome)
        if target is None:
            raise ValidationError(_("Please choose what happens to the topic."))
        data = {"outcome": outcome, **extra}
        if merge_into is not None and outcome == Outcome.MERGE:
            data["merged_into"] = merge_into.pk
        topic = transition_topic(topic, target, by=by, reason=reason, data=data)
        who = mask_name(topic.proposer.display_name)
        if outcome == Outcome.DECLINE:
            publish_notice(
                community=community,
                kind=NoticeKind.DECLINE,
                title=Message(gettext_noop("Not accepted: %(title)s"), title=topic.title),
                body=[
                    Message(
                        gettext_noop("Proposed by %(who)s.\nReason: %(reason)s"),
                        who=who,
                        reason=reason,
                    )
                ],
                by=by,
                days=community.decision_notice_days,
                source=topic,
            )
        elif outcome in (Outcome.ACCEPT, Outcome.ASSEMBLY):
            body = [
                Message(
                    gettext_noop("Proposed by %(who)s. The topic is now open for discussion."),
                    who=who,
                )
            ]
            if outcome == Outcome.ASSEMBLY:
                body.append(
                    Message(gettext_noop("It will be decided by an owners' assembly vote."))
                )
            if reason:
                body.append(reason)
            publish_notice(
                community=community,
                kind=NoticeKind.ACCEPTANCE,
                title=Message(gettext_noop("Accepted: %(title)s"), title=topic.title),
                body=body,
                by=by,
                days=community.decision_notice_days,
                source=topic,
            )
        elif outcome == Outcome.MERGE:
            _audit(merge_into, by, "topic.merged_in", {"topic": topic.pk, "title": topic.title})
    return topic


# ---- 议 discuss ------------------------------------------------------------------------


def follow_topic(topic, *, by, follow=True):
    with transaction.atomic():
        if follow:
            Follow.objects.get_or_create(topic=topic, user=by)
        else:
            Follow.objects.filter(topic=topic, user=by).delete()
    return follow


def add_comment(topic, *, by, body, stance, parent=None):
    """A real-name comment; a reply to a reply attaches to the top-level comment (two levels)."""
    with transaction.atomic():
        topic = _lock(topic)
        _require(by, topic, "topic.comment")
        if parent is not None:
            if parent.topic_id != topic.pk:
                raise ValidationError(_("That comment belongs to another topic."))
            if parent.parent_id:
                parent = parent.parent
        recent = sent_just_now(Comment.objects, topic=topic, author=by, parent=parent, body=body)
        if recent is not None:
            return recent  # the same comment sent twice
        comment = Comment.objects.create(
            topic=topic, author=by, body=body, stance=stance, parent=parent
        )
        Topic.objects.filter(pk=topic.pk).update(comment_count=F("comment_count") + 1)
        Follow.objects.get_or_create(topic=topic, user=by)
        _audit(topic, by, "topic.comment", {"comment": comment.pk, "stance": stance})
        fragments.bump("comments", topic.pk)
        if parent is not None and parent.author_id != by.pk:
            tell(
                [parent.author_id],
                Message(
                    gettext_noop("%(who)s replied to your comment on “%(title)s”"),
                    who=by.display_name,
                    title=topic.title,
                ),
                topic.get_absolute_url() + f"#comment-{comment.pk}",
            )
    return comment


def react(comment, *, by, kind):
    """Toggle a reaction; returns True when it is now set."""
    with transaction.atomic():
        topic = _lock(comment.topic)
        _require(by, topic, "topic.react")
        if comment.is_hidden:
            raise ValidationError(_("This comment was hidden by a moderator."))
        deleted, _rows = CommentReaction.objects.filter(
            comment=comment, user=by, kind=kind
        ).delete()
        fragments.bump("comments", topic.pk)  # the counts shown on the comment
        if deleted:
            return False
        CommentReaction.objects.create(comment=comment, user=by, kind=kind)
    return True


def report_comment(comment, *, by, reason):
    with transaction.atomic():
        topic = _lock(comment.topic)
        _require(by, topic, "topic.report")
        try:
            with transaction.atomic():
                report = CommentReport.objects.create(comment=comment, reporter=by, reason=reason)
        except IntegrityError:
            raise ValidationError(_("You have already reported this comment.")) from None
        _audit(topic, by, "comment.report", {"comment": comment.pk}, public=False)
        tell(
            staff_of(topic.community),
            Message(gettext_noop("A comment on “%(title)s” was reported."), title=topic.title),
            topic.get_absolute_url() + f"#comment-{comment.pk}",
        )
    return report


def hide_comment(comment, *, by, reason):
    """Moderation: the comment stays, its text is shown to moderators only, with the reason."""
    if not reason.strip():
        raise ValidationError(_("Please give the reason for hiding the comment."))
    with transaction.atomic():
        topic = _lock(comment.topic)
        _require(by, topic, "topic.moderate")
        comment = Comment.objects.select_for_update().get(pk=comment.pk)
        if comment.is_hidden:
            raise ValidationError(_("This comment is already hidden."))
        comment.hidden_at = timezone.now()
        comment.hidden_by = by
        comment.hidden_reason = reason
        comment.save(update_fields=["hidden_at", "hidden_by", "hidden_reason"])
        _audit(topic, by, "comment.hide", {"comment": comment.pk, "reason": reason})
        fragments.bump("comments", topic.pk)
    tell(
        [comment.author_id],
        Message(gettext_noop("A moderator hid your comment: %(reason)s"), reason=reason),
        topic.get_absolute_url(),
    )
    return comment


def create_poll(topic, *, by, question, options, multiple=False):
    options = [o.strip() for o in options if o.strip()]
    if len(options) < 2:
        raise ValidationError(_("A poll needs at least two options."))
    if len(set(options)) != len(options):
        raise ValidationError(_("Each option must be different."))
    with transaction.atomic():
        topic = _lock(topic)
        _require(by, topic, "topic.poll")
        poll = Poll.objects.create(topic=topic, question=question, multiple=multiple, created_by=by)
        PollOption.objects.bulk_create(
            [PollOption(poll=poll, text=text, position=i) for i, text in enumerate(options)]
        )
        _audit(topic, by, "poll.create", {"poll": poll.pk, "question": question})
    return poll


def cast_poll_vote(poll, *, by, option_ids):
    option_ids = {int(i) for i in option_ids}
    with transaction.atomic():
        topic = _lock(poll.topic)
        _require(by, topic, "topic.poll_vote")
        if poll.closed_at is not None:
            raise ValidationError(_("This poll is closed."))
        valid = set(poll.options.filter(pk__in=option_ids).values_list("pk", flat=True))
        if not option_ids or valid != option_ids:
            raise ValidationError(_("Please choose from the options shown."))
        if not poll.multiple and len(option_ids) != 1:
            raise ValidationError(_("Please choose one option."))
        try:
            with transaction.atomic():
                vote = PollVote.objects.create(poll=poll, user=by)
        except IntegrityError:
            raise ValidationError(_("You have already answered this poll.")) from None
        vote.options.set(valid)
    return vote


# ---- 定 decide -------------------------------------------------------------------------


def record_decision(
    topic, *, by, text, decided_by, decided_on, meeting=None, expected_version=None
):
    """Record what was decided and post it on the notice board.

    A topic routed to the owners' assembly can be decided only on its published vote result
    (`vote_result_for`); a consultation never replaces an owners' vote.
    """
    with transaction.atomic():
        topic = _lock(topic)
        _check_version(topic, expected_version)
        _require(by, topic, "topic.decide")
        vote = None
        if topic.needs_owner_vote:
            vote = vote_result_for(topic)
            if vote is None:
                raise ValidationError(
                    _(
                        "This topic needs an owners' vote: it can be decided only once the "
                        "vote result is published."
                    )
                )
            if decided_by != DecidingBody.OWNERS_ASSEMBLY:
                raise ValidationError(
                    _("A topic put to the owners' assembly is decided by the owners' assembly.")
                )
        elif decided_by == DecidingBody.OWNERS_ASSEMBLY:
            raise ValidationError(
                _("This topic was not put to an owners' vote; choose the body that decided it.")
            )
        if decided_on > timezone.localdate():
            raise ValidationError(_("The date of the decision cannot be in the future."))
        decision = Decision.objects.create(
            topic=topic,
            text=text,
            decided_by=decided_by,
            decided_on=decided_on,
            source_type=vote._meta.label_lower if vote is not None else "",
            source_id=str(vote.pk) if vote is not None else "",
            meeting_type=meeting._meta.label_lower if meeting is not None else "",
            meeting_id=str(meeting.pk) if meeting is not None else "",
            recorded_by=by,
        )
        topic = transition_topic(
            topic, Phase.DECIDED, by=by, reason=text, data={"decided_by": decided_by}
        )
        body = [
            text,
            "",
            Message(gettext_noop("Decided by: %(body)s"), body=DecidingBody(decided_by).label),
            Message(gettext_noop("Date of the decision: %(date)s"), date=decided_on),
            Message(
                gettext_noop("Proposed by %(who)s."), who=mask_name(topic.proposer.display_name)
            ),
            *snapshot_for_decision(topic),
        ]
        notice = publish_notice(
            community=topic.community,
            kind=NoticeKind.DECISION,
            title=Message(gettext_noop("Decision: %(title)s"), title=topic.title),
            body=body,
            by=by,
            days=topic.community.decision_notice_days,
            source=topic,
        )
        decision.notice = notice
        decision.save(update_fields=["notice"])
        record_audit(
            actor=by,
            verb="decision.record",
            target=topic,
            data={"decision": decision.pk, "notice": notice.pk, "decided_by": decided_by},
        )
    return decision


def mark_notifications_read(user, ids=None):
    rows = Notification.objects.filter(user=user, read_at__isnull=True)
    if ids is not None:
        rows = rows.filter(pk__in=ids)
    count = rows.update(read_at=timezone.now())
    forget_unread([user.pk])
    transaction.on_commit(lambda: forget_unread([user.pk]))
    return count
