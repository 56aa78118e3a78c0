"""Service of notice (送达): send a notice to every household and keep the proof.

Publishing queues a "delivery" job (`queue_delivery`, in the publishing transaction); the task
worker runs `run_delivery_job`, which creates one `Delivery` per household (unit of the
register), notice and channel — in the app, SMS, e-mail where the person gave one, and paper
with a receipt code — and sends what is due. Creating is idempotent (the unique (notice, unit,
channel) constraint). Records are claimed (pending → sending, with a token and a claim time) in
batches of `BATCH` by one conditional UPDATE before they are sent, and their outcomes are
written with one commit per batch, in-app notifications in that commit. A worker that dies
mid-batch leaves that batch "sending"; the job's next attempt (or the periodic tick, once the
claim is stale) settles each such record by asking the gateway, by the OutId the SMS carried,
whether it got it, and sends again only what it never got (`resolve_stalled`).

Texts are template codes with parameters rendered in the recipient's language; the records keep
the code, the parameters and the language. Quiet hours, a per-number daily cap and opt-outs hold
back non-urgent SMS (docs/rules.md, "Service of notice").
"""

import logging
import secrets
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from time import monotonic

from django.apps import apps
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import connection, transaction
from django.db.models import Exists, Max, OuterRef, Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from accounts import sms
from deliberation.audit import record_audit
from deliberation.jobs import start_job
from deliberation.messages import Bilingual, Message
from deliberation.models import (
    AssemblyVote,
    BackgroundJob,
    Delivery,
    DeliveryChannel,
    DeliveryPurpose,
    DeliveryStatus,
    ElectorateEntry,
    Notice,
    NoticeKind,
    Notification,
    Ownership,
    ServiceRule,
    SmsOptOut,
    Unit,
    VoteStatus,
)
from deliberation.notices import forget_unread
from deliberation.templatetags.gongyi import cn_deadline

logger = logging.getLogger("gongyi.delivery")

# The notices the law requires every owner to be served: an opt-out does not stop their SMS.
LEGAL_NOTICE_KINDS = frozenset({NoticeKind.VOTE_NOTICE, NoticeKind.VOTE_RESULT})

# Template code → English text; translated per recipient. Parameters are plain strings.
TEMPLATES = {
    "vote_notice": gettext_noop(
        "%(community)s: owners' assembly vote “%(title)s”, voting from %(opens)s. "
        "Read the notice on Gongyi or ask your grid worker."
    ),
    "vote_result": gettext_noop("%(community)s: the result of “%(title)s” is published."),
    "notice": gettext_noop("%(community)s has posted a notice: “%(title)s”."),
    "vote_opening": gettext_noop(
        "%(community)s: voting on “%(title)s” is open until %(closes)s. "
        "Vote on Gongyi, on paper or by written proxy."
    ),
    "vote_reminder": gettext_noop(
        "%(community)s: you have not voted yet in “%(title)s”; voting closes at %(closes)s. "
        "%(heads)s households / %(area)s m² more are needed to reach two thirds."
    ),
}
TEMPLATES["vote_reminder_plain"] = gettext_noop(
    "%(community)s: you have not voted yet in “%(title)s”; voting closes at %(closes)s."
)
TEMPLATES["minutes_corrections"] = gettext_noop(
    "%(community)s: the draft minutes of “%(title)s” are open for corrections until "
    "%(until)s. Read them on Gongyi or ask your grid worker."
)
TEMPLATES["task_due_soon"] = gettext_noop("%(community)s: the task “%(task)s” is due on %(due)s.")
TEMPLATES["task_due_today"] = gettext_noop(
    "%(community)s: the task “%(task)s” is due today (%(due)s)."
)
TEMPLATES["task_supervision"] = gettext_noop(
    "%(community)s: supervision (督办) on the task “%(task)s”: %(text)s"
)
# A meeting's invited participants (not households): the invitation, the draft minutes or
# hearing record for corrections, and the final text (meetings.delivery).
TEMPLATES["meeting_invitation"] = gettext_noop(
    "%(community)s: you are invited to “%(title)s” on %(when)s at %(place)s. "
    "Reply on Gongyi or to the organiser."
)
TEMPLATES["meeting_invitation_online"] = gettext_noop(
    "%(community)s: you are invited to “%(title)s” on %(when)s, online. "
    "Reply on Gongyi or to the organiser."
)
TEMPLATES["meeting_corrections"] = gettext_noop(
    "%(community)s: the draft minutes of “%(title)s” are open for your corrections until "
    "%(until)s. Read them on Gongyi or ask the secretary for a copy."
)
TEMPLATES["hearing_corrections"] = gettext_noop(
    "%(community)s: the draft record of the hearing “%(title)s” is open for your corrections "
    "until %(until)s. Read it on Gongyi or ask the secretary for a copy."
)
TEMPLATES["meeting_minutes"] = gettext_noop(
    "%(community)s: the minutes of “%(title)s” are final and published on Gongyi."
)
TEMPLATES["hearing_record"] = gettext_noop(
    "%(community)s: the record of the hearing “%(title)s” is final and published on Gongyi."
)
# An e-mail's subject, where the notice's title would not say what the message is about.
SUBJECTS = {
    "task_due_soon": gettext_noop("Task deadline: %(task)s"),
    "task_due_today": gettext_noop("Task deadline: %(task)s"),
    "task_supervision": gettext_noop("Supervision (督办): %(task)s"),
    "meeting_corrections": gettext_noop("Draft minutes for your corrections: %(title)s"),
    "hearing_corrections": gettext_noop("Draft hearing record for your corrections: %(title)s"),
}
DATE_PARAMS = ("opens", "closes", "when")
# A period's end, said as people say it: midnight is 24:00 of the day before (cn_deadline),
# in the recipient's language.
DEADLINE_PARAMS = ("until",)
DATE_PARAM_FORMAT = "%Y-%m-%d %H:%M"

RECEIPT_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
QUIET_START, QUIET_END = time(22, 0), time(8, 0)
# Records claimed and settled together. A worker killed mid-batch leaves at most this many
# records "sending", settled later by `resolve_stalled`. BATCH × ALIYUN_SMS_TIMEOUT must stay
# well below JOB_STALL_SECONDS, so a slow batch is never taken for a dead one (NOTICE_SEND_THREADS
# requests go out at once, which only shortens a batch).
BATCH = 25
PROGRESS_EVERY_S = 1.0


def _deadline(value):
    return cn_deadline(timezone.make_aware(datetime.strptime(value, DATE_PARAM_FORMAT)))


def _localised(params):
    """`params` with each deadline written in the active language ("2026年3月7日 24:00")."""
    params = dict(params)
    for name in DEADLINE_PARAMS:
        if params.get(name):
            params[name] = _deadline(params[name])
    return params


def render(template, params, language):
    with translation.override(language):
        return _(TEMPLATES[template]) % _localised(params)


def subject(delivery):
    """An e-mail's subject in the recipient's language."""
    if delivery.template in SUBJECTS:
        with translation.override(delivery.language):
            return (_(SUBJECTS[delivery.template]) % delivery.params)[:150]
    return delivery.notice.title if delivery.notice_id else ""


def new_receipt_code():
    return "".join(secrets.choice(RECEIPT_ALPHABET) for _ in range(8))


def _vote_of(notice):
    if notice.source_type == "deliberation.assemblyvote" and notice.source_id:
        return AssemblyVote.objects.filter(pk=notice.source_id).first()
    return None


def households(notice):
    """The units a notice must reach: a vote's frozen electorate, or the whole community."""
    units = Unit.objects.filter(building__estate__community_id=notice.community_id)
    vote = _vote_of(notice)
    if vote is not None:
        units = units.filter(pk__in=ElectorateEntry.objects.filter(vote=vote).values("unit_id"))
    return units


def _template_for(notice):
    vote = _vote_of(notice)
    params = {"community": notice.community.name, "title": notice.title}
    if notice.kind == NoticeKind.VOTE_NOTICE and vote is not None:
        local = timezone.localtime(vote.opens_at)
        params.update(title=vote.title, opens=local.strftime(DATE_PARAM_FORMAT))
        return "vote_notice", params
    if notice.kind == NoticeKind.VOTE_RESULT and vote is not None:
        params.update(title=vote.title)
        return "vote_result", params
    return "notice", params


def quiet_until(now):
    """The end of the SMS quiet hours (22:00–08:00, Asia/Shanghai) if `now` is inside them."""
    local = timezone.localtime(now)
    if QUIET_END <= local.time() < QUIET_START:
        return None
    day = local.date() + timedelta(days=1 if local.time() >= QUIET_START else 0)
    return timezone.make_aware(datetime.combine(day, QUIET_END))


def households_for(notice):
    """The households of `notice`: an owners' session of one estate serves that estate,
    an assembly vote its frozen electorate, anything else the whole community."""
    if notice.source_type and notice.source_id:
        # The source names the estate it serves, if it serves one (an owners' session's
        # `served_estate_id`); read through the app registry, so this module names no app above.
        source = apps.get_model(notice.source_type).objects.filter(pk=notice.source_id).first()
        estate_id = getattr(source, "served_estate_id", None)
        if estate_id:
            return Unit.objects.filter(building__estate_id=estate_id)
    return households(notice)


def queue_delivery(notice, *, by, urgent=False, purpose=DeliveryPurpose.NOTICE, **extra):
    """Serve `notice` on the task queue: the job is recorded with the notice, in the caller's
    transaction, so publishing answers at once and a notice is never left without its
    sending. The worker runs `run_delivery_job`. A later message about the notice (voting
    opens, a reminder) gives its `purpose`, its `round`, the `units` it goes to and the
    template's `params`."""
    round_ = extra.get("round", 0)
    target = f"notice:{notice.pk}"
    if purpose != DeliveryPurpose.NOTICE:
        target += f":{purpose}:{round_}"
    return start_job(
        kind="delivery",
        target=target,
        community=notice.community,
        title=_("Serving the notice: %(title)s") % {"title": notice.display_title},
        params={"notice": notice.pk, "urgent": urgent, "purpose": str(purpose), **extra},
        by=by,
    )


def _vote_params(vote):
    closes = timezone.localtime(vote.closes_at).strftime(DATE_PARAM_FORMAT)
    return {"community": vote.community.name, "title": vote.title, "closes": closes}


def queue_corrections(meeting, *, by):
    """Tell every household of an owners' session that its draft minutes are open for
    corrections, and until when (in the app and by SMS)."""
    until = timezone.localtime(meeting.corrections_until).strftime(DATE_PARAM_FORMAT)
    return queue_delivery(
        meeting.notice,
        by=by,
        purpose=DeliveryPurpose.CORRECTIONS,
        template="minutes_corrections",
        params={"community": meeting.community.name, "title": meeting.title, "until": until},
    )


def serve_task(task, users, *, purpose, round, template, text=None, now=None):  # noqa: A002
    """Records to tell the people who answer for `task` of its deadline or of a 督办 note, by
    SMS to each one's number and by e-mail where they gave one, in each one's language; the
    periodic tick sends them (quiet hours and the daily cap hold an SMS, an opt-out stops it).
    Call inside the transaction that records the reminder or the note: both are kept, or
    neither. Idempotent (the unique constraint)."""
    now = now or timezone.now()
    community = task.topic.community
    rows = []
    for user in users:
        channels = {DeliveryChannel.SMS: user.phone, DeliveryChannel.EMAIL: user.email}
        channels = {channel: to for channel, to in channels.items() if to}
        if not channels:
            continue
        language = user.language or settings.LANGUAGE_CODE
        params = {
            "community": community.name,
            "task": task.title,
            "due": task.due_date.isoformat() if task.due_date else "",
        }
        if text is not None:
            with translation.override(language):
                params["text"] = str(text)[:200]
        rows += [
            Delivery(
                task=task,
                user=user,
                channel=channel,
                recipient=recipient,
                template=template,
                params=params,
                language=language,
                created_at=now,
                purpose=purpose,
                round=round,
            )
            for channel, recipient in channels.items()
        ]
    Delivery.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)


@dataclass(frozen=True)
class Addressee:
    """A person a notice's source names to be served (a meeting's invited participant): `key`
    is the source's own ("meetings.participant:12"), so this module names no app above it."""

    key: str
    name: str
    user: object = None  # their account, if they have one
    phone: str = ""


def serve_people(notice, people, *, by, purpose, template, params, now=None):
    """Serve `notice` (or, for `purpose`, the later message about it) to each of `people`
    (Addressee): in the app and by e-mail to those with an account, by SMS to those with a
    number, and a paper record with a receipt slip for everyone, which counts once signed.
    Call inside the transaction that sends the message: the records and the job that sends
    them are kept, or neither. Idempotent (the unique constraint): calling again for a
    person added later creates their records alone, and a retried job sends nothing twice."""
    now = now or timezone.now()
    rows = []
    for person in people:
        user = person.user
        language = (user.language if user else "") or settings.LANGUAGE_CODE
        wanted = {DeliveryChannel.PAPER: ""}
        if user is not None:
            wanted[DeliveryChannel.APP] = str(user.pk)
            if user.email:
                wanted[DeliveryChannel.EMAIL] = user.email
        phone = person.phone or (user.phone if user else "")
        if phone:
            wanted[DeliveryChannel.SMS] = phone
        for channel, recipient in wanted.items():
            rows.append(
                Delivery(
                    notice=notice,
                    addressee=person.key,
                    addressee_name=person.name[:100],
                    user=user,
                    channel=channel,
                    recipient=recipient,
                    template=template,
                    params=params,
                    language=language,
                    created_at=now,
                    purpose=purpose,
                    receipt_code=new_receipt_code() if channel == DeliveryChannel.PAPER else "",
                )
            )
    Delivery.objects.bulk_create(rows, ignore_conflicts=True)
    return queue_delivery(notice, by=by, purpose=purpose, people=True)


def addressee_rows(notice, purpose=DeliveryPurpose.NOTICE):
    """The paper record of each person served `notice` for `purpose`, `served` annotated."""
    proof = Delivery.objects.filter(
        notice=notice, addressee=OuterRef("addressee"), purpose=purpose
    ).filter(served_condition(notice.community.service_rule, purpose))
    return (
        Delivery.objects.filter(
            notice=notice, purpose=purpose, channel=DeliveryChannel.PAPER, unit__isnull=True
        )
        .exclude(addressee="")
        .annotate(served=Exists(proof))
        .order_by("pk")
    )


def queue_reminder(vote, *, unit_ids, heads, area, by):
    """SMS the households that have not voted yet, with the distance to the two-thirds lines
    (by the rules engine, never a choice). Each reminder is a new round; pressing again while
    one is being sent joins that one."""
    if vote.notice_id is None or not unit_ids:
        return None
    last = Delivery.objects.filter(notice_id=vote.notice_id, purpose=DeliveryPurpose.REMINDER)
    round_ = (last.aggregate(n=Max("round"))["n"] or 0) + 1
    params = _vote_params(vote)
    template = "vote_reminder_plain"
    if heads or area:
        template = "vote_reminder"
        params.update(heads=f"{heads:,}", area=f"{area:,}")
    return queue_delivery(
        vote.notice,
        by=by,
        purpose=DeliveryPurpose.REMINDER,
        round=round_,
        units=sorted(unit_ids),
        template=template,
        params=params,
    )


def serve_openings(now=None):
    """Periodic duty: when an assembly vote's window opens, tell every household of its
    electorate (in the app and by SMS), once."""
    now = now or timezone.now()
    opened = AssemblyVote.objects.filter(
        status=VoteStatus.NOTICED, notice__isnull=False, opens_at__lte=now, closes_at__gt=now
    ).select_related("notice", "community", "created_by")
    queued = 0
    for vote in opened:
        target = f"notice:{vote.notice_id}:{DeliveryPurpose.OPENING}:0"
        if BackgroundJob.objects.filter(kind="delivery", target=target).exists():
            continue
        with transaction.atomic():
            queue_delivery(
                vote.notice,
                by=vote.created_by,
                purpose=DeliveryPurpose.OPENING,
                template="vote_opening",
                params=_vote_params(vote),
            )
        queued += 1
    return queued


def run_delivery_job(job, progress):
    """The runner of a "delivery" job (deliberation.jobs.RUNNERS). Each attempt claims its
    batches under its own token; a later attempt first settles what an earlier one left
    "sending" (it died with its worker), asking the gateway before any resend."""
    params = job.params
    notice = Notice.objects.get(pk=params["notice"])
    purpose = params.get("purpose", DeliveryPurpose.NOTICE)
    scope = {"notice": notice, "purpose": purpose, "round": params.get("round", 0)}
    now = timezone.now()
    units = None
    if params.get("units") is not None:
        units = Unit.objects.filter(pk__in=params["units"])
    if not params.get("people"):  # a source's people: their records came with the job
        create_records(
            notice,
            units=units,
            urgent=params.get("urgent", False),
            now=now,
            purpose=purpose,
            round=scope["round"],
            template=params.get("template"),
            params=params.get("params"),
        )
    token = f"j{job.pk}a{job.attempts}"
    earlier = (
        Delivery.objects.filter(status=DeliveryStatus.SENDING, **scope)
        .filter(claim__startswith=f"j{job.pk}a")
        .exclude(claim=token)
    )
    resolve_stalled(earlier)
    records = Delivery.objects.filter(**scope).exclude(channel=DeliveryChannel.PAPER)
    total = records.count()
    ids = _due_ids(_due(now).filter(**scope))
    done = total - len(ids)
    progress(done, total)
    shown = monotonic()
    for start in range(0, len(ids), BATCH):
        handled, _sent = _send_batch(ids[start : start + BATCH], token, timezone.now())
        done += handled
        if monotonic() - shown >= PROGRESS_EVERY_S:  # the bar and the heartbeat, not each batch
            progress(min(done, total), total)
            shown = monotonic()
    progress(total - _due(timezone.now()).filter(**scope).count(), total)
    return []


def create_records(
    notice,
    *,
    units=None,
    urgent=False,
    now=None,
    purpose=DeliveryPurpose.NOTICE,
    round=0,  # noqa: A002  (the field's name)
    template=None,
    params=None,
):
    """One record per household, channel and notice (and purpose and round); idempotent (the
    unique constraint). The notice itself goes on every channel with a paper slip; a later
    message about it goes in the app and by SMS (a reminder by SMS only: its in-app note is
    written by the reminder itself)."""
    now = now or timezone.now()
    if template is None:
        template, params = _template_for(notice)
    units = households_for(notice) if units is None else units
    unit_ids = list(units.values_list("pk", flat=True))
    voters = {
        o.unit_id: o.holder
        for o in Ownership.objects.filter(unit_id__in=unit_ids, is_designated_voter=True)
        .select_related("holder__user")
        .order_by()
    }
    existing = set(
        Delivery.objects.filter(notice=notice, purpose=purpose, round=round)
        .values_list("unit_id", "channel")
        .order_by()
    )
    rows = []
    for unit_id in unit_ids:
        holder = voters.get(unit_id)
        user = holder.user if holder else None
        language = (user.language if user else "") or settings.LANGUAGE_CODE
        base = dict(
            notice=notice,
            unit_id=unit_id,
            holder=holder,
            user=user,
            template=template,
            params=params,
            language=language,
            urgent=urgent,
            created_at=now,
            purpose=purpose,
            round=round,
        )
        wanted = {}
        if purpose == DeliveryPurpose.NOTICE:
            wanted[DeliveryChannel.PAPER] = ""
        if user is not None and purpose != DeliveryPurpose.REMINDER:
            wanted[DeliveryChannel.APP] = str(user.pk)
            if user.email and purpose == DeliveryPurpose.NOTICE:
                wanted[DeliveryChannel.EMAIL] = user.email
        phone = (holder.phone if holder else "") or (user.phone if user else "") or ""
        if phone:
            wanted[DeliveryChannel.SMS] = phone
        for channel, recipient in wanted.items():
            if (unit_id, channel) in existing:
                continue
            row = Delivery(channel=channel, recipient=recipient, **base)
            if channel == DeliveryChannel.PAPER:
                row.receipt_code = new_receipt_code()
            rows.append(row)
    Delivery.objects.bulk_create(rows, batch_size=1000, ignore_conflicts=True)


def deliver_notice(notice, *, units=None, urgent=False, now=None):
    """Create the records of every household of `notice` and send what is due, in this
    process (the queue's runner is `run_delivery_job`). Returns the number of messages sent."""
    now = now or timezone.now()
    create_records(notice, units=units, urgent=urgent, now=now)
    return send_due(notice=notice, now=now)


def send_due(*, notice=None, now=None):
    """Send every pending record (and every deferred one whose time has come), in batches.
    Returns the number of messages sent."""
    now = now or timezone.now()
    due = _due(now)
    if notice is not None:
        due = due.filter(notice=notice)
    ids = _due_ids(due)
    sent = 0
    for start in range(0, len(ids), BATCH):
        sent += _send_batch(ids[start : start + BATCH], secrets.token_hex(8), now)[1]
    return sent


def _due_ids(due):
    return list(due.order_by("pk").values_list("pk", flat=True))


def _due(now):
    return Delivery.objects.filter(
        Q(status=DeliveryStatus.PENDING)
        | Q(status=DeliveryStatus.DEFERRED, deferred_until__lte=now)
    ).exclude(channel=DeliveryChannel.PAPER)


def _settle(delivery, status, **fields):
    Delivery.objects.filter(pk=delivery.pk).update(status=status, **fields)


def out_id(delivery):
    """The id the gateway keeps with a message (OutId), so it can say later whether it got it."""
    return f"gy{delivery.pk}"


def _send_batch(ids, token, now):
    """Take the due records among `ids` with one conditional UPDATE (status, token and claim
    time: two workers never take the same record), send each, and record the outcomes with
    one commit, in-app notifications in that same commit. Returns (records handled: sent,
    failed or held back; messages sent)."""
    candidates = list(_due(now).filter(pk__in=ids).select_related("notice"))
    ready = [
        d
        for d in candidates
        if d.channel != DeliveryChannel.SMS or d.urgent or _sms_hold(d, now) is None
    ]
    _due(now).filter(pk__in=[d.pk for d in ready]).update(
        status=DeliveryStatus.SENDING, claim=token, claimed_at=now
    )
    mine = set(
        Delivery.objects.filter(
            pk__in=[d.pk for d in ready], claim=token, status=DeliveryStatus.SENDING
        ).values_list("pk", flat=True)
    )
    claimed = sorted((d for d in ready if d.pk in mine), key=lambda d: d.pk)
    notifications, outgoing = [], []
    for delivery in claimed:
        text = render(delivery.template, delivery.params, delivery.language)
        if delivery.channel == DeliveryChannel.APP:
            notifications.append(_notification(delivery, text))
            delivery.status, delivery.sent_at = DeliveryStatus.SENT, now
            delivery.provider_message_id, delivery.reason = "", ""
        else:
            outgoing.append((delivery, text))
    # The gateway's answer takes most of the time: a few requests at once, no database here.
    threads = min(settings.NOTICE_SEND_THREADS, len(outgoing))
    if threads > 1:
        with ThreadPoolExecutor(max_workers=threads) as pool:
            outcomes = list(pool.map(lambda job: _attempt(*job), outgoing))
    else:
        outcomes = [_attempt(*job) for job in outgoing]
    for (delivery, _text), (message_id, error) in zip(outgoing, outcomes, strict=True):
        if error is not None:
            logger.warning("delivery %s failed: %s", delivery.pk, error)
            delivery.status, delivery.reason = DeliveryStatus.FAILED, str(error)[:200]
        else:
            delivery.status, delivery.sent_at = DeliveryStatus.SENT, now
            delivery.provider_message_id, delivery.reason = message_id or "", ""
    with transaction.atomic():
        Notification.objects.bulk_create(notifications)
        _write_outcomes(claimed)
    if notifications:
        forget_unread([n.user_id for n in notifications])
    return len(candidates), sum(d.status == DeliveryStatus.SENT for d in claimed)


def _attempt(delivery, text):
    """(message id, None) once sent, (None, the error) if refused: a failure is recorded,
    never retried blindly."""
    try:
        return _send(delivery, text), None
    except Exception as error:  # noqa: BLE001
        return None, error


def _write_outcomes(records):
    """The outcomes of a batch, one prepared UPDATE run for each record (bulk_update's CASE
    expressions cost more in the ORM than the whole database write)."""
    if not records:
        return
    meta = Delivery._meta
    quote = connection.ops.quote_name
    names = ["status", "reason", "sent_at", "provider_message_id"]
    fields = [meta.get_field(name) for name in names]
    assignments = ", ".join(f"{quote(f.column)} = %s" for f in fields)
    table, pk = quote(meta.db_table), quote(meta.pk.column)
    sql = f"UPDATE {table} SET {assignments} WHERE {pk} = %s"  # noqa: S608 (model names)
    rows = [
        [f.get_db_prep_save(getattr(d, f.attname), connection) for f in fields] + [d.pk]
        for d in records
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


def resolve_stalled(records):
    """Settle records left "sending" by a worker that died mid-batch, without losing or
    repeating a message. In-app notices are written in the commit that settles them, so one
    still "sending" was never shown: it is sent again. An SMS is looked up at the gateway by
    the OutId it carried: found, it is recorded as sent (or as the gateway's status says);
    not found, it is sent again; if the gateway cannot be asked now, it waits for the next
    try. An e-mail cannot be looked up: it is recorded as failed, outcome unknown, and the
    household is left to the paper list. Returns the number of records settled."""
    settled = 0
    backend = sms.sender()
    for delivery in records.filter(status=DeliveryStatus.SENDING).order_by("pk"):
        since = delivery.claimed_at or delivery.created_at
        if delivery.channel == DeliveryChannel.APP:
            update = {"status": DeliveryStatus.PENDING}
        elif delivery.channel == DeliveryChannel.SMS and hasattr(backend, "query_sent"):
            try:
                found = backend.query_sent(delivery.recipient, out_id=out_id(delivery), since=since)
            except sms.SmsError as error:
                logger.warning("delivery %s: gateway not asked: %s", delivery.pk, error)
                continue
            if found is None:
                update = {"status": DeliveryStatus.PENDING}
            else:
                update = {
                    "status": found["status"],
                    "reason": found.get("reason", "")[:200],
                    "sent_at": since,
                    "provider_message_id": found.get("message_id", ""),
                }
        else:
            update = {
                "status": DeliveryStatus.FAILED,
                "reason": "outcome unknown: the sender stopped mid-send",
            }
        logger.info("delivery %s left sending: now %s", delivery.pk, update["status"])
        settled += Delivery.objects.filter(
            pk=delivery.pk, status=DeliveryStatus.SENDING, claim=delivery.claim
        ).update(**update)
    return settled


def recover_stalled_sends(now=None):
    """Periodic duty: settle records claimed longer ago than JOB_STALL_SECONDS (their batch
    would have ended long before: BATCH × the gateway's timeout is well below it), then send
    what is due, deferred messages whose quiet hours are over among them."""
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=settings.JOB_STALL_SECONDS)
    resolved = resolve_stalled(
        Delivery.objects.filter(status=DeliveryStatus.SENDING, claimed_at__lt=cutoff)
    )
    return {"resolved": resolved, "sent": send_due(now=now), "opened": serve_openings(now)}


def _sms_hold(delivery, now):
    """Hold back a non-urgent SMS: opted out (non-legal notices), quiet hours, daily cap."""
    legal = (
        delivery.purpose == DeliveryPurpose.NOTICE
        and delivery.notice is not None
        and delivery.notice.kind in LEGAL_NOTICE_KINDS
    )
    if not legal and SmsOptOut.objects.filter(phone=delivery.recipient).exists():
        _settle(delivery, DeliveryStatus.SKIPPED, reason="opted out")
        return "opted out"
    until = quiet_until(now)
    reason = "quiet hours"
    if until is None:
        cap = settings.NOTICE_SMS_PER_NUMBER_PER_DAY
        recent = list(
            Delivery.objects.filter(
                channel=DeliveryChannel.SMS,
                recipient=delivery.recipient,
                sent_at__gt=now - timedelta(days=1),
            )
            .order_by("sent_at")
            .values_list("sent_at", flat=True)[:cap]
        )
        if len(recent) < cap:
            return None
        until, reason = recent[0] + timedelta(days=1), "rate limit"
    _settle(delivery, DeliveryStatus.DEFERRED, deferred_until=until, reason=reason)
    return reason


def _app_message(delivery):
    """The in-app text as a stored message: read in whatever language the reader has chosen."""
    params = dict(delivery.params)
    for name in DATE_PARAMS:
        if name in params:
            params[name] = datetime.strptime(params[name], DATE_PARAM_FORMAT)
    for name in DEADLINE_PARAMS:
        if params.get(name):
            text = {}
            for language in ("zh-hans", "en"):
                with translation.override(language):
                    text[language] = _deadline(params[name])
            params[name] = Bilingual(text["zh-hans"], text["en"])
    return Message(TEMPLATES[delivery.template], **params)


def _notification(delivery, text):
    return Notification(
        user_id=delivery.user_id,
        text=text[:300],
        message=_app_message(delivery).as_data(),
        # A person the source named is sent to the source (the meeting), a household the notice
        url=(delivery.addressee and delivery.notice.source_url)
        or delivery.notice.get_absolute_url(),
    )


def _send(delivery, text):
    if delivery.channel == DeliveryChannel.EMAIL:
        send_mail(subject(delivery), text, None, [delivery.recipient])
        return ""
    with translation.override(delivery.language):
        params = _localised(delivery.params)  # the gateway's template gets the deadline as said
    return sms.send_template_sms(
        delivery.recipient,
        template=delivery.template,
        params=params,
        text=text,
        out_id=out_id(delivery),
        language=delivery.language,
    )


def record_view(notice, user, now=None, purpose=DeliveryPurpose.NOTICE):
    """The recipient opened the notice (or, for `purpose`, the later message about it): the
    first view of each of their in-app records."""
    if not user.is_authenticated or notice is None:
        return 0
    return Delivery.objects.filter(
        notice=notice,
        purpose=purpose,
        channel=DeliveryChannel.APP,
        user=user,
        viewed_at__isnull=True,
    ).update(viewed_at=now or timezone.now())


def served_condition(rule, purpose=DeliveryPurpose.NOTICE):
    """The records that prove service under the community's rule (docs/rules.md): of the
    notice itself, or of the later message `purpose` where that is served too (a meeting's
    draft minutes, to each participant)."""
    paper = Q(channel=DeliveryChannel.PAPER, receipt_signed_at__isnull=False)
    viewed = Q(channel=DeliveryChannel.APP, viewed_at__isnull=False)
    sms_delivered = Q(channel=DeliveryChannel.SMS, status=DeliveryStatus.DELIVERED)
    notice = Q(purpose=purpose)  # a reminder reaching a phone serves nothing
    if rule == ServiceRule.PAPER_ONLY:
        return notice & paper
    if rule == ServiceRule.VIEW_OR_PAPER:
        return notice & (paper | viewed)
    return notice & (paper | viewed | sms_delivered)


def household_rows(notice):
    """The paper record of each household (one per unit), with `served` annotated."""
    proof = Delivery.objects.filter(notice=notice, unit_id=OuterRef("unit_id")).filter(
        served_condition(notice.community.service_rule)
    )
    return (
        Delivery.objects.filter(notice=notice, channel=DeliveryChannel.PAPER, unit__isnull=False)
        .annotate(served=Exists(proof))
        .select_related("unit__building", "holder")
        .order_by("unit__building__name", "unit__stairwell", "unit__number")
    )


def coverage(notice):
    """(served, households) for `notice`."""
    rows = household_rows(notice)
    return rows.filter(served=True).count(), rows.count()


def record_receipt(notice, code, *, by, now=None):
    """A worker records the signed paper receipt whose code is printed on the slip. `notice`
    may be a list: the notices whose slips one page takes (a meeting's notice and minutes)."""
    notices = list(notice) if isinstance(notice, list | tuple) else [notice]
    code = (code or "").strip().upper().replace(" ", "").replace("-", "")
    if not code:
        raise ValidationError(_("Type the code printed on the receipt slip."))
    now = now or timezone.now()
    with transaction.atomic():
        delivery = (
            Delivery.objects.select_for_update()
            .filter(notice__in=notices, channel=DeliveryChannel.PAPER, receipt_code=code)
            .select_related("notice")
            .first()
        )
        if delivery is None:
            raise ValidationError(
                _("No receipt of this notice has the code %(code)s: check the slip.")
                % {"code": code}
            )
        if delivery.receipt_signed_at is not None:
            raise ValidationError(_("This receipt was already recorded."))
        delivery.receipt_signed_at = now
        delivery.receipt_recorded_by = by
        delivery.status = DeliveryStatus.DELIVERED
        delivery.sent_at = delivery.sent_at or now
        delivery.save(
            update_fields=["receipt_signed_at", "receipt_recorded_by", "status", "sent_at"]
        )
        data = {"unit": delivery.unit_id, "code": code}
        if delivery.addressee:
            data = {"addressee": delivery.addressee, "purpose": delivery.purpose, "code": code}
        record_audit(actor=by, verb="notice.receipt", target=delivery.notice, data=data)
    return delivery


class ReportRefused(Exception):
    """A delivery report that is malformed or names a message we never sent."""


def _report_item(item):
    if not isinstance(item, dict):
        raise ReportRefused("an entry is not an object")
    biz_id, success = item.get("biz_id"), item.get("success")
    if not isinstance(biz_id, str) or not biz_id or not isinstance(success, bool):
        raise ReportRefused("an entry lacks biz_id or success")
    tag = item.get("out_id")
    tag = tag if isinstance(tag, str) else ""
    reason = f"{item.get('err_code', '')} {item.get('err_msg', '')}".strip()
    return biz_id, tag, success, reason[:200]


def _by_out_id(tags):
    """Records by the OutId their SMS carried (those settled by a gateway look-up after their
    sender died know no BizId)."""
    pks = {int(t[2:]): t for t in tags if t.startswith("gy") and t[2:].isdigit()}
    return {
        pks[d.pk]: d
        for d in Delivery.objects.select_for_update().filter(
            channel=DeliveryChannel.SMS, pk__in=pks, provider_message_id=""
        )
    }


def record_sms_report(payload, now=None):
    """Apply the gateway's delivery reports (a JSON list of {biz_id, success, err_code,
    err_msg, out_id, ...}). All or nothing: a malformed entry or an unknown message id refuses
    the whole report and changes nothing. Returns the number of records updated."""
    if not isinstance(payload, list) or not payload:
        raise ReportRefused("the report is not a non-empty list")
    items = [_report_item(item) for item in payload]
    now = now or timezone.now()
    with transaction.atomic():
        known = {
            d.provider_message_id: d
            for d in Delivery.objects.select_for_update().filter(
                channel=DeliveryChannel.SMS, provider_message_id__in={i[0] for i in items}
            )
        }
        tagged = _by_out_id({tag for biz_id, tag, _, _ in items if biz_id not in known and tag})
        unknown = sorted(
            {biz_id for biz_id, tag, _, _ in items if biz_id not in known and tag not in tagged}
        )
        if unknown:
            raise ReportRefused(f"unknown message ids: {', '.join(unknown)[:200]}")
        for biz_id, tag, success, reason in items:
            delivery = known.get(biz_id) or tagged[tag]
            delivery.provider_message_id = biz_id
            delivery.status = DeliveryStatus.DELIVERED if success else DeliveryStatus.FAILED
            delivery.reason = "" if success else reason
            delivery.provider_status_at = now
            delivery.save(
                update_fields=["provider_message_id", "status", "reason", "provider_status_at"]
            )
    return len(items)
