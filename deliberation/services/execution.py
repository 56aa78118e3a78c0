"""办 and 评: tasks, co-building units, progress, reminders, supervision, ratings and visits.

Each operation is one `verb_noun` function: one transaction, the permission re-checked under
the row lock, an audit entry inside it, notifications after commit. Bad input raises
`ValidationError` with a message for the person, and nothing is saved.

Dates: `today` defaults to `timezone.localdate()` (Asia/Shanghai); tests pass a fixed day or
freeze `timezone.now`. Due-soon and overdue are derived from dates, never stored.
"""

from collections import Counter
from datetime import timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Max, Prefetch, Q
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop

from accounts.models import User
from deliberation.access import roles_of
from deliberation.audit import record_audit
from deliberation.delivery import serve_task
from deliberation.lifecycle import transition_topic
from deliberation.messages import Message, reason_data, text_of
from deliberation.models import (
    Category,
    DeliveryPurpose,
    DispatchState,
    Follow,
    FollowUpVisit,
    Holder,
    Membership,
    NoticeKind,
    PartnerOffering,
    PartnerUnit,
    Phase,
    ProgressPhoto,
    ProgressUpdate,
    Rating,
    RatingLevel,
    Reminder,
    ReminderKind,
    Responsible,
    Role,
    Route,
    Scope,
    SupervisionKind,
    SupervisionNote,
    Task,
    TaskDispatch,
    TaskState,
    Topic,
    VisitOutcome,
)
from deliberation.models.execution import DUE_SOON_DAYS, SATISFIED_LEVELS
from deliberation.notices import (
    followers_of,
    mask_name,
    publish_notice,
    staff_of,
    tell,
)
from deliberation.permissions import STAFF, may
from deliberation.services import sent_just_now
from deliberation.uploads import store_private, suffix_for

MAX_PHOTOS = 4


# --- who is who -----------------------------------------------------------------------------


def followers(topic):
    """Ids of the people following the topic; the proposer at least."""
    return {getattr(u, "pk", u) for u in followers_of(topic)} | {topic.proposer_id}


def _members_with(community_id, *roles):
    return list(
        User.objects.filter(
            memberships__community_id=community_id, memberships__role__in=roles
        ).distinct()
    )


def supervisors(community_id):
    """The Party secretary and the street-office observers of the community."""
    return _members_with(community_id, Role.PARTY_SECRETARY, Role.STREET_OBSERVER)


def responsible_users(task):
    """Who answers for the task: its named person, its unit's contacts, or the role behind it."""
    if task.assignee_id:
        return [task.assignee]
    community_id = task.topic.community_id
    if task.responsible == Responsible.PARTNER_UNIT:
        if task.partner_unit_id:
            return list(task.partner_unit.contacts.all())
        return _members_with(community_id, Role.COMMUNITY_WORKER)
    role = {
        Responsible.GRID_WORKER: Role.GRID_WORKER,
        Responsible.OWNERS_COMMITTEE: Role.COMMITTEE,
    }.get(task.responsible, Role.COMMUNITY_WORKER)
    if role == Role.GRID_WORKER and task.topic.grid_id and task.topic.grid.worker_id:
        return [task.topic.grid.worker]
    return _members_with(community_id, role)


def may_work_on(user, task):
    """Staff, or the party that answers for this task, may report progress and complete it."""
    roles = roles_of(user, task.topic.community_id)
    if roles & STAFF:
        return True
    if task.assignee_id:
        return task.assignee_id == user.pk
    if task.responsible == Responsible.PARTNER_UNIT:
        return bool(task.partner_unit_id) and task.partner_unit.contacts.filter(pk=user.pk).exists()
    wanted = {
        Responsible.GRID_WORKER: Role.GRID_WORKER,
        Responsible.OWNERS_COMMITTEE: Role.COMMITTEE,
    }.get(task.responsible)
    return wanted in roles


def is_affected(user, topic):
    """The proposer, co-signers and followers, and residents or owners within the topic's scope."""
    if user.pk == topic.proposer_id:
        return True
    if user.pk in followers(topic):
        return True
    try:
        if topic.cosigns.filter(user=user).exists():
            return True
    except AttributeError:
        pass
    roles = roles_of(user, topic.community_id)
    if topic.scope == Scope.COMMUNITY:
        return bool(roles & {Role.RESIDENT, Role.OWNER})
    holders = Holder.objects.filter(user=user, community_id=topic.community_id)
    if topic.scope == Scope.BUILDING and topic.building_id:
        return holders.filter(ownerships__unit__building_id=topic.building_id).exists()
    if topic.scope == Scope.ESTATE and topic.estate_id:
        return holders.filter(ownerships__unit__building__estate_id=topic.estate_id).exists()
    if topic.scope == Scope.GRID and topic.grid_id:
        return holders.filter(ownerships__unit__building__grids=topic.grid_id).exists()
    return False


def current_round(topic):
    return Task.objects.filter(topic=topic).aggregate(r=Max("round"))["r"] or 1


# --- tasks ----------------------------------------------------------------------------------


def default_due_date(topic, today=None):
    """15 (ordinary) or 30 (major) days from acceptance; from today if that has passed."""
    today = today or timezone.localdate()
    community = topic.community
    days = community.task_days_major if topic.is_major else community.task_days_ordinary
    start = timezone.localdate(topic.accepted_at) if topic.accepted_at else today
    due = start + timedelta(days=days)
    return due if due >= today else today + timedelta(days=days)


def _audit_task_added(task, by, **data):
    """The audit entry of a new task, first or redone: its topic and round, then `data`."""
    record_audit(
        actor=by,
        verb="task.add",
        target=task,
        community=task.topic.community_id,
        data={"topic": task.topic_id, "round": task.round, **data},
    )


def add_task(
    topic,
    *,
    by,
    title,
    responsible,
    route,
    description="",
    assignee=None,
    due_date=None,
    due_reason="",
    today=None,
):
    """Give a decided (or executing) topic a task; the first task starts execution."""
    today = today or timezone.localdate()
    with transaction.atomic():
        topic = Topic.objects.select_for_update().select_related("community").get(pk=topic.pk)
        roles = roles_of(by, topic.community_id)
        if not may(roles, "task.add", topic.phase):
            if may(roles, "task.add", Phase.EXECUTING):
                raise ValidationError(
                    _("Tasks can be added only once a topic is decided and until it is done.")
                )
            raise PermissionDenied
        default = default_due_date(topic, today)
        if due_date is None or due_date == default:
            due_date, due_reason = default, ""
        else:
            if not may(roles, "task.set_due"):
                raise ValidationError(
                    _("Only the Party secretary may set a date other than the default (%(d)s).")
                    % {"d": date_format(default)}
                )
            if due_date < today:
                raise ValidationError(_("The due date is in the past. Choose today or later."))
            if not due_reason.strip():
                raise ValidationError(_("Say why the task needs a date other than the default."))
        if assignee is not None and assignee.pk not in _member_ids(topic.community_id):
            raise ValidationError(_("The person in charge must belong to this community."))
        task = Task.objects.create(
            topic=topic,
            round=current_round(topic),
            title=title,
            description=description,
            responsible=responsible,
            route=route,
            assignee=assignee,
            due_date=due_date,
            due_reason=due_reason.strip(),
            created_by=by,
        )
        _audit_task_added(
            task,
            by,
            responsible=responsible,
            route=route,
            due=due_date,
            due_reason=task.due_reason,
        )
        if topic.phase == Phase.DECIDED:
            transition_topic(topic, Phase.EXECUTING, by=by, data={"task": task.pk})
        text = Message(
            gettext_noop("New task for “%(title)s”: %(task)s, due %(due)s"),
            title=topic.title,
            task=task.title,
            due=due_date,
        )
        tell(
            {u.pk for u in responsible_users(task)} | followers(topic),
            text,
            task.get_absolute_url(),
        )
    return task


def _member_ids(community_id):
    return set(
        Membership.objects.filter(community_id=community_id).values_list("user_id", flat=True)
    )


def _locked_task(task):
    return (
        Task.objects.select_for_update(of=("self",))
        .select_related("topic__community", "topic__grid__worker", "partner_unit", "assignee")
        .get(pk=task.pk)
    )


def dispatch_task(task, unit, *, by, note=""):
    """下单: send an open task to a co-building unit of the same community."""
    with transaction.atomic():
        task = _locked_task(task)
        if not may(roles_of(by, task.topic.community_id), "task.dispatch"):
            raise PermissionDenied
        if unit.community_id != task.topic.community_id or not unit.is_active:
            raise ValidationError(_("Choose a co-building unit registered with this community."))
        if task.state != TaskState.OPEN:
            raise ValidationError(_("This task is already done."))
        if task.dispatches.filter(state__in=[DispatchState.PENDING, DispatchState.ACCEPTED]):
            raise ValidationError(_("This task is already with a co-building unit."))
        dispatch = TaskDispatch.objects.create(task=task, unit=unit, note=note, sent_by=by)
        record_audit(
            actor=by,
            verb="task.dispatch",
            target=task,
            community=task.topic.community_id,
            data={"unit": unit.pk, "dispatch": dispatch.pk},
        )
        text = Message(
            gettext_noop("%(unit)s is asked to take on a task: %(task)s"),
            unit=unit.name,
            task=task.title,
        )
        tell(unit.contacts.all(), text, task.get_absolute_url())
    return dispatch


def answer_dispatch(task, *, by, accept, reason=""):
    """接单: the unit's contact accepts or declines a task sent to their unit."""
    with transaction.atomic():
        task = _locked_task(task)
        if not may(roles_of(by, task.topic.community_id), "task.claim"):
            raise PermissionDenied
        dispatch = (
            task.dispatches.select_for_update()
            .filter(state=DispatchState.PENDING, unit__contacts=by)
            .select_related("unit")
            .first()
        )
        if dispatch is None:
            raise ValidationError(_("This task was not sent to your unit, or it was answered."))
        if not accept and not reason.strip():
            raise ValidationError(_("Please give a reason for declining."))
        dispatch.state = DispatchState.ACCEPTED if accept else DispatchState.DECLINED
        dispatch.answered_by = by
        dispatch.answered_at = timezone.now()
        dispatch.reason = reason.strip()
        dispatch.save()
        if accept:
            task.partner_unit = dispatch.unit
            task.responsible = Responsible.PARTNER_UNIT
            task.save(update_fields=["partner_unit", "responsible"])
        record_audit(
            actor=by,
            verb="task.claim" if accept else "task.decline",
            target=task,
            community=task.topic.community_id,
            data={"unit": dispatch.unit_id, "reason": dispatch.reason},
        )
        text = Message(
            gettext_noop("%(unit)s accepted the task: %(task)s")
            if accept
            else gettext_noop("%(unit)s declined the task: %(task)s"),
            unit=dispatch.unit.name,
            task=task.title,
        )
        tell([dispatch.sent_by], text, task.get_absolute_url())
    return dispatch


def _store_photos(update, photos):
    for data, content_type in photos[:MAX_PHOTOS]:
        path = store_private(
            data, folder=f"progress/{update.task_id}", suffix=suffix_for(content_type)
        )
        ProgressPhoto.objects.create(update=update, path=path, content_type=content_type)


def report_progress(task, *, by, text, percent, photos=(), today=None, _completion=False):
    """Post a progress update (text, percentage, photos) that the topic's followers see.

    `photos` are (bytes, content_type) pairs already checked by deliberation.uploads.
    """
    with transaction.atomic():
        task = _locked_task(task)
        topic = task.topic
        if not may(roles_of(by, topic.community_id), "task.progress", topic.phase):
            if may(roles_of(by, topic.community_id), "task.progress", Phase.EXECUTING):
                raise ValidationError(
                    _("Progress can be reported only while the topic is carried out.")
                )
            raise PermissionDenied
        if not may_work_on(by, task):
            raise PermissionDenied
        if task.state != TaskState.OPEN:
            raise ValidationError(_("This task is already done."))
        if not 0 <= percent <= 100:
            raise ValidationError(_("Progress is a percentage from 0 to 100."))
        if task.responsible == Responsible.PARTNER_UNIT and not task.partner_unit_id:
            raise ValidationError(_("No co-building unit has accepted this task yet."))
        update = ProgressUpdate.objects.create(
            task=task, author=by, text=text, percent=percent, is_completion=_completion
        )
        _store_photos(update, list(photos))
        task.progress = percent
        fields = ["progress"]
        if _completion:
            now = timezone.now()
            task.state = TaskState.DONE
            task.completed_at = now
            task.completed_on = today or timezone.localdate(now)
            task.completed_by = by
            fields += ["state", "completed_at", "completed_on", "completed_by"]
        task.save(update_fields=fields)
        record_audit(
            actor=by,
            verb="task.complete" if _completion else "task.progress",
            target=task,
            community=topic.community_id,
            data={"percent": percent, "update": update.pk, "photos": len(photos)},
        )
        if _completion and not topic.tasks.filter(round=task.round, state=TaskState.OPEN).exists():
            transition_topic(topic, Phase.EVALUATING, by=by, system=True, data={"task": task.pk})
        message = Message(
            gettext_noop("Progress on “%(title)s”: %(task)s — %(percent)s%%"),
            title=topic.title,
            task=task.title,
            percent=percent,
        )
        tell(followers(topic) - {by.pk}, message, task.get_absolute_url())
    return update


def complete_task(task, *, by, text, photos=(), today=None):
    """The responsible party marks the task done with evidence; the last one ends execution."""
    if not text.strip():
        raise ValidationError(_("Describe what was done, as evidence."))
    return report_progress(
        task, by=by, text=text, percent=100, photos=photos, today=today, _completion=True
    )


def add_supervision_note(task, *, by, text, kind=SupervisionKind.MANUAL):
    """督办: a note on a task for the responsible party, copied to the supervisors."""
    with transaction.atomic():
        task = _locked_task(task)
        if by is not None and not may(roles_of(by, task.topic.community_id), "task.supervise"):
            raise PermissionDenied
        note = SupervisionNote.objects.create(
            task=task,
            kind=kind,
            text=text_of(text),
            message=text.as_data() if isinstance(text, Message) else {},
            author=by,
        )
        record_audit(
            actor=by,
            verb="task.supervise",
            target=task,
            community=task.topic.community_id,
            data={"kind": kind, "note": note.pk},
        )
        message = Message(
            gettext_noop("Supervision (督办) on “%(task)s”: %(text)s"), task=task.title, text=text
        )
        # And by SMS to those who answer for the task (the co-building unit's contacts, the
        # worker), sent by the periodic tick; one round per note.
        serve_task(
            task,
            responsible_users(task),
            purpose=DeliveryPurpose.SUPERVISION,
            round=SupervisionNote.objects.filter(task=task).count(),
            template="task_supervision",
            text=text,
        )
        tell(
            set(responsible_users(task)) | set(supervisors(task.topic.community_id)),
            message,
            task.get_absolute_url(),
        )
    return note


def send_reminders(today=None):
    """Remind responsible parties 3 days ahead and on the due date; escalate overdue tasks.

    Safe to run as often as you like: each reminder and each automatic supervision note is a
    unique row, so it goes out once. Returns counts by kind.
    """
    today = today or timezone.localdate()
    sent = Counter()
    open_tasks = Task.objects.filter(state=TaskState.OPEN, topic__phase=Phase.EXECUTING)
    plans = [
        (
            ReminderKind.DUE_SOON,
            Q(due_date__gt=today, due_date__lte=today + timedelta(days=DUE_SOON_DAYS)),
        ),
        (ReminderKind.DUE_TODAY, Q(due_date=today)),
    ]
    for kind, when in plans:
        for task in (
            open_tasks.filter(when)
            .exclude(reminders__kind=kind)
            .select_related("topic__grid__worker", "partner_unit", "assignee")
        ):
            try:
                with transaction.atomic():
                    Reminder.objects.create(task=task, kind=kind)
                    soon = kind == ReminderKind.DUE_SOON
                    # And by SMS to each of them, sent by the periodic tick (quiet hours hold).
                    serve_task(
                        task,
                        responsible_users(task),
                        purpose=DeliveryPurpose.TASK_DUE,
                        round=1 if soon else 2,
                        template="task_due_soon" if soon else "task_due_today",
                    )
                    text = Message(
                        gettext_noop("Reminder: “%(task)s” is due on %(due)s.")
                        if kind == ReminderKind.DUE_SOON
                        else gettext_noop("Reminder: “%(task)s” is due today (%(due)s)."),
                        task=task.title,
                        due=task.due_date,
                    )
                    tell(responsible_users(task), text, task.get_absolute_url())
            except IntegrityError:
                continue  # another run sent it a moment ago
            sent[kind] += 1
    overdue = open_tasks.overdue(today).exclude(supervision_notes__kind=SupervisionKind.OVERDUE)
    for task in overdue.select_related("topic"):
        text = Message(
            gettext_noop(
                "Overdue since %(due)s: please report what blocks it and when it will be done."
            ),
            due=task.due_date,
        )
        try:
            add_supervision_note(task, by=None, text=text, kind=SupervisionKind.OVERDUE)
        except IntegrityError:
            continue
        sent[SupervisionKind.OVERDUE] += 1
    sent["concluded"] = conclude_due_evaluations(today=today)
    return sent


# --- evaluation -----------------------------------------------------------------------------


def rating_window_end(topic):
    """The last moment ratings are accepted: the window opens when evaluation starts."""
    return topic.phase_changed_at + timedelta(days=topic.community.evaluation_window_days)


def _rate_refusal(topic, user, evaluating, window_end):
    """Why `user` cannot rate the topic now, in the words rate_topic would refuse with."""
    if not evaluating:
        return _("This topic is not open for ratings.")
    if timezone.now() > window_end:
        return _("The time to rate this result has ended.")
    if not is_affected(user, topic):
        return _("Only the proposer, co-signers and residents affected by this topic may rate it.")
    return ""


def rate_topic(topic, *, by, level, comment="", tasks=(), now=None):
    """One rating of the current round's result; a dissatisfied rating may name the round's
    tasks it is about (`tasks`), which a reopening then offers first."""
    now = now or timezone.now()
    with transaction.atomic():
        topic = Topic.objects.select_for_update().select_related("community").get(pk=topic.pk)
        roles = roles_of(by, topic.community_id)
        if not may(roles, "topic.rate", topic.phase):
            if may(roles, "topic.rate", Phase.EVALUATING):
                raise ValidationError(_("This topic is not open for ratings."))
            raise PermissionDenied
        if now > rating_window_end(topic):
            raise ValidationError(_("The time to rate this result has ended."))
        if level not in RatingLevel.values:
            raise ValidationError(_("Choose one of the three ratings."))
        if not is_affected(by, topic):
            raise ValidationError(
                _("Only the proposer, co-signers and residents affected by this topic may rate it.")
            )
        round_no = current_round(topic)
        if Rating.objects.filter(topic=topic, round=round_no, user=by).exists():
            raise ValidationError(_("You have already rated this result."))
        task_ids = set()
        if level == RatingLevel.DISSATISFIED:
            task_ids = {getattr(t, "pk", t) for t in tasks}
        named = list(Task.objects.filter(topic=topic, round=round_no, pk__in=task_ids))
        if len(named) != len(task_ids):
            raise ValidationError(_("Choose only tasks of the work being rated."))
        rating = Rating.objects.create(
            topic=topic, round=round_no, user=by, level=level, comment=comment.strip()
        )
        rating.unsatisfactory_tasks.set(named)
        record_audit(
            actor=by,
            verb="topic.rate",
            target=topic,
            data={
                "round": round_no,
                "level": level,
                "rating": rating.pk,
                "tasks": sorted(t.pk for t in named),
            },
        )
    return rating


def record_visit(
    topic, *, by, visited_on, channel, outcome, notes="", resident_rating="", today=None
):
    """一事一回访. A failed visit is a ground for reopening (`reopen_topic`, where the worker
    chooses the work to redo; the conclusion reopens it otherwise); the resident's own rating
    is kept as the proposer's rating when they have not rated in the app."""
    today = today or timezone.localdate()
    with transaction.atomic():
        topic = Topic.objects.select_for_update().select_related("community").get(pk=topic.pk)
        roles = roles_of(by, topic.community_id)
        if not may(roles, "topic.visit", topic.phase):
            if may(roles, "topic.visit", Phase.EVALUATING):
                raise ValidationError(_("Visits are recorded while a result is being rated."))
            raise PermissionDenied
        if visited_on > today:
            raise ValidationError(_("The visit date cannot be in the future."))
        round_no = current_round(topic)
        if (
            resident_rating
            and Rating.objects.filter(
                topic=topic, round=round_no, user_id=topic.proposer_id
            ).exists()
        ):
            raise ValidationError(
                _("The proposer has already rated this result; leave their rating empty.")
            )
        visit = FollowUpVisit.objects.create(
            topic=topic,
            round=round_no,
            visited_by=by,
            visited_on=visited_on,
            channel=channel,
            outcome=outcome,
            notes=notes.strip(),
            resident_rating=resident_rating,
        )
        if resident_rating:
            Rating.objects.create(
                topic=topic,
                round=round_no,
                user_id=topic.proposer_id,
                level=resident_rating,
                comment=notes.strip()[:1000],
                recorded_by=by,
            )
        record_audit(
            actor=by,
            verb="topic.visit",
            target=topic,
            data={
                "round": round_no,
                "outcome": outcome,
                "rating": resident_rating,
                "visit": visit.pk,
            },
        )
    return visit


def rating_summary(topic, round_no, ratings=None):
    """Counts of the round's ratings; from `ratings` (all of the topic's) when already read."""
    if ratings is None:
        levels = Rating.objects.filter(topic=topic, round=round_no).values_list("level", flat=True)
    else:
        levels = [r.level for r in ratings if r.round == round_no]
    counts = Counter(levels)
    total = sum(counts.values())
    satisfied = sum(counts[level] for level in SATISFIED_LEVELS)
    return {
        "counts": [(RatingLevel(level).label, counts[level]) for level in RatingLevel.values],
        "total": total,
        "satisfied": satisfied,
        "dissatisfied": counts[RatingLevel.DISSATISFIED],
        "dissatisfied_majority": 2 * counts[RatingLevel.DISSATISFIED] > total,
    }


def conclude_evaluation(topic, *, by, system=False, now=None):
    """Close the topic, or reopen it when most ratings are dissatisfied or the visit failed
    (redoing the tasks `reopen_choices` preselects). Needs a visit first.

    Returns the topic's new phase.
    """
    with transaction.atomic():
        topic = Topic.objects.select_for_update().select_related("community").get(pk=topic.pk)
        if not system and not may(roles_of(by, topic.community_id), "topic.conclude", topic.phase):
            if topic.phase != Phase.EVALUATING and may(
                roles_of(by, topic.community_id), "topic.conclude", Phase.EVALUATING
            ):
                raise ValidationError(_("This topic is not being rated."))
            raise PermissionDenied
        round_no = current_round(topic)
        if not FollowUpVisit.objects.filter(topic=topic, round=round_no).exists():
            raise ValidationError(_("Record the follow-up visit first (一事一回访)."))
        summary = rating_summary(topic, round_no)
        grounds = reopen_grounds(topic, summary)
        if grounds:
            _tasks, preselected = reopen_choices(topic)
            _reopen(topic, by=by, grounds=grounds, task_ids=preselected)
            return Phase.EXECUTING
        reason = Message(gettext_noop("Evaluation concluded."))
        topic = transition_topic(
            topic,
            Phase.CLOSED,
            by=by,
            reason=text_of(reason),
            system=True,
            data=reason_data(reason),
        )
        title, body = _closure_notice(topic, round_no, summary)
        publish_notice(
            community=topic.community,
            kind=NoticeKind.CLOSURE,
            title=title,
            body=body,
            by=by,
            source=topic,
        )
    return Phase.CLOSED


def _closure_notice(topic, round_no, summary):
    title = Message(gettext_noop("Result: %(title)s"), title=topic.title)
    lines = [
        Message(
            gettext_noop("The topic “%(title)s” is closed after %(rounds)s round(s) of work."),
            title=topic.title,
            rounds=round_no,
        )
    ]
    for task in topic.tasks.filter(round=round_no).select_related("partner_unit"):
        who = (
            task.partner_unit.name if task.partner_unit_id else Responsible(task.responsible).label
        )
        lines.append(Message(gettext_noop("Done: %(task)s (%(who)s)"), task=task.title, who=who))
    lines.append(
        Message(
            gettext_noop("Ratings: %(satisfied)s of %(total)s satisfied or basically satisfied."),
            satisfied=summary["satisfied"],
            total=summary["total"],
        )
    )
    return title, lines


def conclude_due_evaluations(today=None):
    """Conclude evaluations whose rating window has ended and whose visit is recorded."""
    now = timezone.now()
    done = 0
    candidates = Topic.objects.filter(phase=Phase.EVALUATING).select_related("community")
    for topic in candidates:
        if now <= rating_window_end(topic):
            continue
        if not FollowUpVisit.objects.filter(topic=topic, round=current_round(topic)).exists():
            continue
        conclude_evaluation(topic, by=None, system=True)
        done += 1
    return done


# Why a round's result may be sent back (DOMAIN §6: dissatisfaction or a failed visit).
REOPEN_GROUND_MSGIDS = {
    "dissatisfied": gettext_noop("Most ratings were dissatisfied."),
    "visit_failed": gettext_noop("The follow-up visit failed."),
}
REOPEN_GROUNDS = {code: gettext_lazy(msgid) for code, msgid in REOPEN_GROUND_MSGIDS.items()}


def reopen_grounds(topic, summary=None, *, round_no=None, visits=None):
    """Codes of REOPEN_GROUNDS that hold for the topic's current round; empty when the rules
    do not allow reopening (only a result being rated can be sent back). A page that has read
    the round's rating summary and the topic's visits passes them."""
    if topic.phase != Phase.EVALUATING:
        return []
    round_no = round_no or current_round(topic)
    summary = summary or rating_summary(topic, round_no)
    grounds = []
    if summary["dissatisfied_majority"]:
        grounds.append("dissatisfied")
    if visits is None:
        visits = FollowUpVisit.objects.filter(topic=topic, round=round_no)
    if any(v.round == round_no and v.outcome == VisitOutcome.FAILED for v in visits):
        grounds.append("visit_failed")
    return grounds


def reopen_choices(topic):
    """Every task of the current round, each with `complaints` (dissatisfied ratings naming
    it), and the ids to preselect: the tasks named, or all of them when no rating named any."""
    round_no = current_round(topic)
    complaints = Count(
        "unsatisfactory_ratings",
        filter=Q(unsatisfactory_ratings__level=RatingLevel.DISSATISFIED),
    )
    tasks = list(
        Task.objects.filter(topic=topic, round=round_no)
        .annotate(complaints=complaints)
        .select_related("partner_unit", "assignee")
        .order_by("due_date", "pk")
    )
    named = [t.pk for t in tasks if t.complaints]
    return tasks, named or [t.pk for t in tasks]


def reopen_topic(topic, *, by, tasks, note=""):
    """The worker sends the result back: the chosen tasks of the round are redone in the next
    round under 督办, and the reopening is posted on the notice board."""
    task_ids = {getattr(t, "pk", t) for t in tasks}
    with transaction.atomic():
        topic = Topic.objects.select_for_update().select_related("community").get(pk=topic.pk)
        if not may(roles_of(by, topic.community_id), "topic.reopen", topic.phase):
            raise PermissionDenied
        grounds = reopen_grounds(topic)
        if not grounds:
            raise ValidationError(
                _(
                    "Only a result being rated can be reopened, and only when most ratings "
                    "are dissatisfied or the follow-up visit failed."
                )
            )
        if not task_ids:
            raise ValidationError(_("Choose at least one task to redo."))
        round_no = current_round(topic)
        if Task.objects.filter(topic=topic, round=round_no, pk__in=task_ids).count() != len(
            task_ids
        ):
            raise ValidationError(_("Choose only tasks of the round being rated."))
        return _reopen(topic, by=by, grounds=grounds, task_ids=task_ids, note=note.strip())


def _reopen(topic, *, by, grounds, task_ids, note=""):
    """Back to executing under 督办, each chosen task of the round redone in the next round;
    a notice tells the community what will be redone."""
    previous = list(
        Task.objects.filter(topic=topic, pk__in=task_ids)
        .select_related("partner_unit")
        .order_by("due_date", "pk")
    )
    reason = _grounds_message(grounds)
    topic = transition_topic(
        topic,
        Phase.EXECUTING,
        by=by,
        reason=text_of(reason),
        system=True,
        data={"grounds": grounds, "tasks": sorted(t.pk for t in previous), **reason_data(reason)},
    )
    days = topic.community.task_days_major if topic.is_major else topic.community.task_days_ordinary
    due = timezone.localdate() + timedelta(days=days)
    instruction = reason
    if note:
        instruction = Message(
            gettext_noop("%(reason)s What must be done differently: %(note)s"),
            reason=reason,
            note=note,
        )
    created = []
    for old in previous:
        task = Task.objects.create(
            topic=topic,
            round=old.round + 1,
            # The round's number says it is being redone; the title stays as people wrote it.
            title=old.title,
            description=note,
            responsible=old.responsible,
            assignee=old.assignee,
            partner_unit=old.partner_unit,
            route=old.route,
            due_date=due,
            created_by=by or topic.proposer,
        )
        _audit_task_added(
            task, by, reopened=True, redoes=old.pk, reason=text_of(reason), **reason_data(reason)
        )
        add_supervision_note(task, by=None, text=instruction, kind=SupervisionKind.REOPENED)
        created.append(task)
    title, body = _reopen_notice(topic, reason, note, created, due)
    publish_notice(
        community=topic.community,
        kind=NoticeKind.REOPEN,
        title=title,
        body=body,
        by=by,
        source=topic,
    )
    return topic


def _grounds_message(grounds):
    """The grounds for reopening as one stored message (one ground, or both in order)."""
    parts = [Message(REOPEN_GROUND_MSGIDS[g]) for g in grounds]
    if len(parts) == 1:
        return parts[0]
    return Message(gettext_noop("%(first)s %(second)s"), first=parts[0], second=parts[1])


def _reopen_notice(topic, reason, note, tasks, due):
    title = Message(gettext_noop("Reopened for rework: %(title)s"), title=topic.title)
    lines = [
        Message(
            gettext_noop("The result of “%(title)s” is sent back for rework. %(reason)s"),
            title=topic.title,
            reason=reason,
        )
    ]
    if note:
        lines.append(Message(gettext_noop("What must be done differently: %(note)s"), note=note))
    lines.append(Message(gettext_noop("To be redone by %(due)s:"), due=due))
    for task in tasks:
        who = (
            task.partner_unit.name if task.partner_unit_id else Responsible(task.responsible).label
        )
        lines.append(Message(gettext_noop("- %(task)s (%(who)s)"), task=task.title, who=who))
    return title, lines


# --- co-building units ----------------------------------------------------------------------


def register_partner(community, *, by, name, kind, description="", contacts=()):
    with transaction.atomic():
        if not may(roles_of(by, community), "partner.register"):
            raise PermissionDenied
        if PartnerUnit.objects.filter(community=community, name=name).exists():
            raise ValidationError(_("A unit with this name is already registered."))
        unit = PartnerUnit.objects.create(
            community=community, name=name, kind=kind, description=description
        )
        member_ids = _member_ids(community.pk)
        for user in contacts:
            if user.pk not in member_ids or Role.PARTNER_CONTACT not in roles_of(user, community):
                raise ValidationError(
                    _("A contact must hold the co-building unit contact role in this community.")
                )
        unit.contacts.set(contacts)
        record_audit(actor=by, verb="partner.register", target=unit, community=community.pk)
    return unit


def add_offering(unit, *, by, title, description=""):
    with transaction.atomic():
        roles = roles_of(by, unit.community_id)
        if not may(roles, "partner.offer"):
            raise PermissionDenied
        if not roles & STAFF and not unit.contacts.filter(pk=by.pk).exists():
            raise PermissionDenied
        offering = PartnerOffering.objects.create(unit=unit, title=title, description=description)
        record_audit(
            actor=by,
            verb="partner.offer",
            target=unit,
            community=unit.community_id,
            data={"offering": offering.pk, "title": title},
        )
    return offering


# --- 点单 → 下单 → 接单: a resident orders a unit's service ------------------------------------


def order_service(offering, *, by, details, location=""):
    """点单: a resident orders what a co-building unit offers.

    The order is a topic that skips co-signs and waits for the community to dispatch it
    (`dispatch_order`); the resident follows it and rates the result like any other topic.
    The same order sent twice within minutes (a double tap) returns the first one.
    """
    unit = offering.unit
    community = unit.community
    if not may(roles_of(by, community), "service.order"):
        raise PermissionDenied
    if not (offering.is_active and unit.is_active):
        raise ValidationError(_("This service is no longer offered. Please choose another."))
    details = details.strip()
    if not details:
        raise ValidationError(_("Please say what you need, and when and where."))
    with transaction.atomic():
        recent = sent_just_now(
            Topic.objects, proposer=by, service_offering=offering, description=details
        )
        if recent is not None:
            return recent
        topic = Topic.objects.create(
            community=community,
            title=offering.title[:120],
            description=details,
            category=Category.OTHER,
            scope=Scope.COMMUNITY,
            location=location.strip(),
            proposer=by,
            service_offering=offering,
            phase=Phase.SUBMITTED,
        )
        record_audit(
            actor=by,
            verb="topic.propose",
            target=topic,
            data={"channel": topic.channel, "offering": offering.pk, "unit": unit.pk},
        )
        Follow.objects.get_or_create(topic=topic, user=by)
        topic = transition_topic(topic, Phase.TRIAGE, by=by, data={"offering": offering.pk})
        tell(
            staff_of(community),
            Message(
                gettext_noop("A resident ordered “%(offer)s” from %(unit)s; it awaits dispatch."),
                offer=offering.title,
                unit=unit.name,
            ),
            topic.get_absolute_url(),
        )
    return topic


def dispatch_order(topic, *, by, note="", expected_version=None):
    """下单: the community accepts a service order and sends it to the unit as a task.

    The topic goes straight to execution with one task, sent to the unit that offers the
    service; the unit's contact then accepts it (接单, `answer_dispatch`).
    """
    with transaction.atomic():
        topic = Topic.objects.select_for_update().select_related("community").get(pk=topic.pk)
        roles = roles_of(by, topic.community_id)
        if not may(roles, "topic.triage", topic.phase):
            if not may(roles, "topic.triage", Phase.TRIAGE):
                raise PermissionDenied
            raise ValidationError(_("This topic is not waiting for acceptance."))
        if expected_version is not None and topic.version != expected_version:
            raise ValidationError(
                _("Someone else changed this topic a moment ago. Please look at it again.")
            )
        offering = (
            PartnerOffering.objects.select_related("unit")
            .filter(pk=topic.service_offering_id)
            .first()
        )
        if offering is None:
            raise ValidationError(_("Only a resident's service order can be dispatched."))
        if not (offering.is_active and offering.unit.is_active):
            raise ValidationError(
                _("%(unit)s no longer offers this service. Decline the order with a reason.")
                % {"unit": offering.unit.name}
            )
        topic = transition_topic(
            topic,
            Phase.EXECUTING,
            by=by,
            reason=note,
            data={"outcome": "order", "unit": offering.unit_id},
        )
        Topic.objects.filter(pk=topic.pk, accepted_at__isnull=True).update(
            accepted_at=topic.execution_started_at
        )
        topic.refresh_from_db()
        task = add_task(
            topic,
            by=by,
            title=offering.title[:200],
            description=topic.description,
            responsible=Responsible.PARTNER_UNIT,
            route=Route.TRANSFERRED,
        )
        dispatch_task(task, offering.unit, by=by, note=note)
    return topic


# --- what pages show ------------------------------------------------------------------------


def topic_progress(tasks):
    """A topic's progress: the mean of its current round's task percentages."""
    if not tasks:
        return 0
    return round(sum(t.progress for t in tasks) / len(tasks))


def execution_context(topic, user, today=None):
    """Everything templates/deliberation/includes/topic_execution.html needs for one topic."""
    today = today or timezone.localdate()
    roles = roles_of(user, topic.community_id)
    tasks = list(
        Task.objects.filter(topic=topic)
        .with_status(today)
        .select_related("partner_unit", "assignee")
        .prefetch_related(
            Prefetch("supervision_notes", queryset=SupervisionNote.objects.order_by("pk")),
            Prefetch(
                "dispatches",
                queryset=TaskDispatch.objects.filter(state=DispatchState.PENDING).select_related(
                    "unit"
                ),
                to_attr="pending_dispatches",
            ),
        )
        .order_by("-round", "due_date", "pk")
    )
    round_no = max((t.round for t in tasks), default=1)
    current = [t for t in tasks if t.round == round_no]
    earlier = [t for t in tasks if t.round != round_no]
    evaluating = topic.phase == Phase.EVALUATING
    ratings = list(
        Rating.objects.filter(topic=topic).select_related("user").order_by("-round", "pk")
    )
    # The member's own rating and the round's counts come from the same rows: no more queries.
    my_rating = next((r for r in ratings if r.round == round_no and r.user_id == user.pk), None)
    for rating in ratings:
        rating.masked_name = mask_name(rating.user.real_name) or "—"
    visits = list(FollowUpVisit.objects.filter(topic=topic).select_related("visited_by"))
    window_end = rating_window_end(topic) if evaluating else None
    summary = rating_summary(topic, round_no, ratings)
    grounds = reopen_grounds(topic, summary, round_no=round_no, visits=visits) if evaluating else []
    rate_refusal = _rate_refusal(topic, user, evaluating, window_end)
    return {
        "topic": topic,
        "tasks": current,
        "earlier_tasks": earlier,
        "round": round_no,
        "progress": topic_progress(current),
        "ratings": ratings,
        "summary": summary,
        "visits": visits,
        "my_rating": my_rating,
        "window_end": window_end,
        "can_add_task": may(roles, "task.add", topic.phase),
        "can_rate": not rate_refusal
        and my_rating is None
        and may(roles, "topic.rate", topic.phase),
        "rate_refusal": rate_refusal,
        "can_visit": may(roles, "topic.visit", topic.phase),
        "can_conclude": may(roles, "topic.conclude", topic.phase),
        "reopen_grounds": [REOPEN_GROUNDS[g] for g in grounds],
        "can_reopen": bool(grounds) and may(roles, "topic.reopen", topic.phase),
        "has_visit": any(v.round == round_no for v in visits),
    }
