"""Service of notice (送达): send a notice to every household and keep the proof.

`deliver_notice` creates one `Delivery` per household (unit of the register), notice and
channel — in the app, SMS, e-mail where the person gave one, and paper with a receipt code —
and sends what is due now. It is idempotent: the unique (notice, unit, channel) constraint
means a second call, or a call per batch from a worker, never creates or sends a message twice.
Records are claimed (pending → sending, with a token) in batches of `BATCH` by one conditional
UPDATE before they are sent, and their outcomes are written with one commit per batch; a worker
that dies mid-batch leaves that batch "sending": shown as not served, never sent again by itself.

Texts are template codes with parameters rendered in the recipient's language; the records keep
the code, the parameters and the language. Quiet hours, a per-number daily cap and opt-outs hold
back non-urgent SMS (docs/rules.md, "Service of notice").
"""

import logging
import secrets
from datetime import datetime, time, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from accounts import sms
from deliberation.audit import record_audit
from deliberation.messages import Message
from deliberation.models import (
    AssemblyVote,
    Delivery,
    DeliveryChannel,
    DeliveryStatus,
    ElectorateEntry,
    NoticeKind,
    Notification,
    Ownership,
    ServiceRule,
    SmsOptOut,
    Unit,
)
from deliberation.notices import forget_unread

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
}

RECEIPT_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
QUIET_START, QUIET_END = time(22, 0), time(8, 0)
# Records claimed and settled together. A worker killed mid-batch leaves at most this many
# records "sending": never sent again, shown as not served, their outcome unknown.
BATCH = 50


def render(template, params, language):
    with translation.override(language):
        return _(TEMPLATES[template]) % params


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
        params.update(title=vote.title, opens=local.strftime("%Y-%m-%d %H:%M"))
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


def deliver_notice(notice, *, units=None, urgent=False, now=None):
    """Create the records of every household of `notice` and send what is due. Returns the
    number of messages sent by this call. `units`: the households, when the caller knows them
    better than `households()` (an owners' session of one estate); pass the same on a re-run."""
    now = now or timezone.now()
    template, params = _template_for(notice)
    units = households(notice) if units is None else units
    unit_ids = list(units.values_list("pk", flat=True))
    voters = {
        o.unit_id: o.holder
        for o in Ownership.objects.filter(unit_id__in=unit_ids, is_designated_voter=True)
        .select_related("holder__user")
        .order_by()
    }
    existing = set(
        Delivery.objects.filter(notice=notice).values_list("unit_id", "channel").order_by()
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
        )
        wanted = {DeliveryChannel.PAPER: ""}
        if user is not None:
            wanted[DeliveryChannel.APP] = str(user.pk)
            if user.email:
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
    return send_due(notice=notice, now=now)


def send_due(*, notice=None, now=None):
    """Send every pending record (and every deferred one whose time has come), in batches."""
    now = now or timezone.now()
    due = _due(now)
    if notice is not None:
        due = due.filter(notice=notice)
    ids = list(due.order_by("pk").values_list("pk", flat=True))
    sent = 0
    for start in range(0, len(ids), BATCH):
        sent += _send_batch(ids[start : start + BATCH], now)
    return sent


def _due(now):
    return Delivery.objects.filter(
        Q(status=DeliveryStatus.PENDING)
        | Q(status=DeliveryStatus.DEFERRED, deferred_until__lte=now)
    ).exclude(channel=DeliveryChannel.PAPER)


def _settle(delivery, status, **fields):
    Delivery.objects.filter(pk=delivery.pk).update(status=status, **fields)


def _send_batch(ids, now):
    """Claim a batch with one UPDATE (a token marks what this call took, so two workers never
    send the same record), send each message, and record the outcomes with one commit."""
    candidates = list(_due(now).filter(pk__in=ids).select_related("notice"))
    ready = [
        d
        for d in candidates
        if d.channel != DeliveryChannel.SMS or d.urgent or _sms_hold(d, now) is None
    ]
    token = secrets.token_hex(8)
    _due(now).filter(pk__in=[d.pk for d in ready]).update(
        status=DeliveryStatus.SENDING, claim=token
    )
    claimed = list(
        Delivery.objects.filter(claim=token, status=DeliveryStatus.SENDING)
        .select_related("notice")
        .order_by("pk")
    )
    sent = 0
    for delivery in claimed:
        text = render(delivery.template, delivery.params, delivery.language)
        try:
            message_id = _send(delivery, text)
        except Exception as error:  # noqa: BLE001  (a failure is recorded, never retried blindly)
            logger.warning("delivery %s failed: %s", delivery.pk, error)
            delivery.status, delivery.reason = DeliveryStatus.FAILED, str(error)[:200]
            continue
        delivery.status, delivery.sent_at = DeliveryStatus.SENT, now
        delivery.provider_message_id, delivery.reason = message_id or "", ""
        sent += 1
    with transaction.atomic():
        Delivery.objects.bulk_update(
            claimed, ["status", "reason", "sent_at", "provider_message_id"], batch_size=BATCH
        )
    return sent


def _sms_hold(delivery, now):
    """Hold back a non-urgent SMS: opted out (non-legal notices), quiet hours, daily cap."""
    if (
        delivery.notice.kind not in LEGAL_NOTICE_KINDS
        and SmsOptOut.objects.filter(phone=delivery.recipient).exists()
    ):
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
    if "opens" in params:
        params["opens"] = datetime.strptime(params["opens"], "%Y-%m-%d %H:%M")
    return Message(TEMPLATES[delivery.template], **params)


def _send(delivery, text):
    if delivery.channel == DeliveryChannel.APP:
        Notification.objects.create(
            user_id=delivery.user_id,
            text=text[:300],
            message=_app_message(delivery).as_data(),
            url=delivery.notice.get_absolute_url(),
        )
        forget_unread([delivery.user_id])
        return ""
    if delivery.channel == DeliveryChannel.EMAIL:
        send_mail(delivery.notice.title, text, None, [delivery.recipient])
        return ""
    return sms.send_template_sms(
        delivery.recipient, template=delivery.template, params=delivery.params, text=text
    )


def record_view(notice, user, now=None):
    """The recipient opened the notice: the first view of each of their in-app records."""
    if not user.is_authenticated:
        return 0
    return Delivery.objects.filter(
        notice=notice, channel=DeliveryChannel.APP, user=user, viewed_at__isnull=True
    ).update(viewed_at=now or timezone.now())


def served_condition(rule):
    """The records that prove service under the community's rule (docs/rules.md)."""
    paper = Q(channel=DeliveryChannel.PAPER, receipt_signed_at__isnull=False)
    viewed = Q(channel=DeliveryChannel.APP, viewed_at__isnull=False)
    sms_delivered = Q(channel=DeliveryChannel.SMS, status=DeliveryStatus.DELIVERED)
    if rule == ServiceRule.PAPER_ONLY:
        return paper
    if rule == ServiceRule.VIEW_OR_PAPER:
        return paper | viewed
    return paper | viewed | sms_delivered


def household_rows(notice):
    """The paper record of each household (one per unit), with `served` annotated."""
    proof = Delivery.objects.filter(notice=notice, unit_id=OuterRef("unit_id")).filter(
        served_condition(notice.community.service_rule)
    )
    return (
        Delivery.objects.filter(notice=notice, channel=DeliveryChannel.PAPER)
        .annotate(served=Exists(proof))
        .select_related("unit__building", "holder")
        .order_by("unit__building__name", "unit__stairwell", "unit__number")
    )


def coverage(notice):
    """(served, households) for `notice`."""
    rows = household_rows(notice)
    return rows.filter(served=True).count(), rows.count()


def record_receipt(notice, code, *, by, now=None):
    """A worker records the signed paper receipt whose code is printed on the slip."""
    code = (code or "").strip().upper().replace(" ", "").replace("-", "")
    if not code:
        raise ValidationError(_("Type the code printed on the receipt slip."))
    now = now or timezone.now()
    with transaction.atomic():
        delivery = (
            Delivery.objects.select_for_update()
            .filter(notice=notice, channel=DeliveryChannel.PAPER, receipt_code=code)
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
        record_audit(
            actor=by,
            verb="notice.receipt",
            target=notice,
            data={"unit": delivery.unit_id, "code": code},
        )
    return delivery


class ReportRefused(Exception):
    """A delivery report that is malformed or names a message we never sent."""


def _report_item(item):
    if not isinstance(item, dict):
        raise ReportRefused("an entry is not an object")
    biz_id, success = item.get("biz_id"), item.get("success")
    if not isinstance(biz_id, str) or not biz_id or not isinstance(success, bool):
        raise ReportRefused("an entry lacks biz_id or success")
    reason = f"{item.get('err_code', '')} {item.get('err_msg', '')}".strip()
    return biz_id, success, reason[:200]


def record_sms_report(payload, now=None):
    """Apply the gateway's delivery reports (a JSON list of {biz_id, success, err_code,
    err_msg, ...}). All or nothing: a malformed entry or an unknown message id refuses the
    whole report and changes nothing. Returns the number of records updated."""
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
        unknown = sorted({biz_id for biz_id, _, _ in items} - set(known))
        if unknown:
            raise ReportRefused(f"unknown message ids: {', '.join(unknown)[:200]}")
        for biz_id, success, reason in items:
            delivery = known[biz_id]
            delivery.status = DeliveryStatus.DELIVERED if success else DeliveryStatus.FAILED
            delivery.reason = "" if success else reason
            delivery.provider_status_at = now
            delivery.save(update_fields=["status", "reason", "provider_status_at"])
    return len(items)
