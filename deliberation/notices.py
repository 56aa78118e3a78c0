"""Publishing to the notice board (公示), masking personal data, and personal notifications."""

import re
from datetime import timedelta

from django.core import mail
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from accounts.models import User
from deliberation.access import roles_of
from deliberation.audit import record_audit
from deliberation.messages import Message, line_data, text_of
from deliberation.models import Follow, Membership, Notice, Notification, Objection
from deliberation.permissions import ALLOWED, STAFF, may
from plumbing import fragments

PHONE_RE = re.compile(r"(?<!\d)(1[3-9]\d)\d{4}(\d{4})(?!\d)")
ID_RE = re.compile(r"(?<![0-9A-Za-z])(\d{4})\d{10}(\d{3}[\dXx])(?![0-9A-Za-z])")


def mask_name(name):
    """Reduce a person's name to surname + 某 (张三 → 张某; Li Wei → L. W.)."""
    name = (name or "").strip()
    if not name:
        return ""
    if name.isascii():
        return " ".join(part[0] + "." for part in name.split())
    return name[0] + "某"


def mask_text(text):
    """Hide mobile and identity numbers inside free text."""
    text = PHONE_RE.sub(r"\1****\2", text or "")
    return ID_RE.sub(r"\1**********\2", text)


def _masked_data(data):
    """A stored message with mobile and identity numbers hidden in its words."""
    if isinstance(data, str):
        return mask_text(data)
    if isinstance(data, list):
        return [_masked_data(v) for v in data]
    if isinstance(data, dict):
        return {k: (v if k in ("m", "msgid") else _masked_data(v)) for k, v in data.items()}
    return data


def _generated(title, body):
    """The message data of a notice whose title or lines the platform wrote."""
    lines = body if isinstance(body, (list, tuple)) else None
    if not isinstance(title, Message) and not any(isinstance(x, Message) for x in lines or ()):
        return {}
    data = {}
    if isinstance(title, Message):
        data["title"] = title.as_data()
    if lines is not None:
        data["body"] = [line_data(line) for line in lines]
    return _masked_data(data)


def publish_notice(*, community, kind, title, body, by=None, days=None, source=None, url=""):
    """Post a notice for `days` (the community's publicity period by default).

    `title` is a str or a deliberation.messages.Message; `body` a str, or a list of lines
    (each a Message, or words kept as written), so each reader gets the platform's words in
    their own language. The stored title and body are in the site's language.
    """
    days = community.publicity_period_days if days is None else days
    message = _generated(title, body)
    if isinstance(body, (list, tuple)):
        body = "\n".join(text_of(line) for line in body)
    title = text_of(title)
    now = timezone.now()
    source_type, source_id = ("", "")
    if source is not None:
        source_type, source_id = source._meta.label_lower, str(source.pk)
        url = url or getattr(source, "get_absolute_url", lambda: "")()
    with transaction.atomic():
        notice = Notice.objects.create(
            community=community,
            kind=kind,
            title=mask_text(title),
            body=mask_text(body),
            message=message,
            source_type=source_type,
            source_id=source_id,
            source_url=url,
            published_at=now,
            ends_at=now + timedelta(days=days),
            published_by=by,
        )
        record_audit(actor=by, verb="notice.publish", target=notice, data={"title": notice.title})
        fragments.bump("notices", community.pk)
    return notice


def supersede_notice(old, *, title, body, by=None, days=None):
    with transaction.atomic():
        notice = publish_notice(
            community=old.community,
            kind=old.kind,
            title=title,
            body=body,
            by=by,
            days=days if days is not None else old.period_days,
            url=old.source_url,
        )
        notice.supersedes = old
        notice.source_type, notice.source_id = old.source_type, old.source_id
        notice.save(allow_update=True)
        record_audit(actor=by, verb="notice.supersede", target=old, data={"by": notice.pk})
        fragments.bump("notices", old.community_id)
    return notice


def file_objection(notice, *, by, text):
    """异议: a resident or owner objects in writing while the notice is posted. Recorded,
    audited, counted on the notice, and sent to those who answer."""
    text = (text or "").strip()
    with transaction.atomic():
        notice = Notice.objects.select_for_update().get(pk=notice.pk)
        if not may(roles_of(by, notice.community_id), "notice.object", notice.kind):
            raise PermissionDenied
        if not notice.is_posted():
            raise ValidationError(
                _("The notice period has ended: objections are no longer accepted.")
            )
        if not text:
            raise ValidationError(_("Write what you object to."))
        objection = Objection.objects.create(
            notice=notice, author=by, text=mask_text(text), created_at=timezone.now()
        )
        record_audit(
            actor=by,
            verb="notice.object",
            target=objection,
            community=notice.community_id,
            data={"notice": notice.pk},
        )
        fragments.bump("notices", notice.community_id)
        _tell_answerers(notice)
    return objection


def _tell_answerers(notice):
    answerers = User.objects.filter(
        memberships__community_id=notice.community_id,
        memberships__role__in=ALLOWED["notice.answer"]["*"],
    ).values_list("pk", flat=True)
    text = Message(
        gettext_noop("An objection was filed against the notice “%(title)s”."), title=notice.title
    )
    notify(set(answerers), text, notice.get_absolute_url())


def answer_objection(objection, *, by, text):
    """The committee or a community worker answers an objection, once; the author is told."""
    text = (text or "").strip()
    with transaction.atomic():
        objection = (
            Objection.objects.select_for_update().select_related("notice").get(pk=objection.pk)
        )
        notice = objection.notice
        if not may(roles_of(by, notice.community_id), "notice.answer", notice.kind):
            raise PermissionDenied
        if objection.answered_at is not None:
            raise ValidationError(_("This objection has already been answered."))
        if not text:
            raise ValidationError(_("Write the answer."))
        objection.answer = mask_text(text)
        objection.answered_by = by
        objection.answered_at = timezone.now()
        objection.save(update_fields=["answer", "answered_by", "answered_at"])
        record_audit(
            actor=by,
            verb="notice.answer_objection",
            target=objection,
            community=notice.community_id,
            data={"notice": notice.pk},
        )
        fragments.bump("notices", notice.community_id)
        message = Message(
            gettext_noop("Your objection to “%(title)s” was answered."), title=notice.title
        )
        notify([objection.author_id], message, notice.get_absolute_url())
    return objection


# The bell's unread count is cached per user (notification_tags); whoever adds or reads
# notifications drops it. The timeout bounds a count read just before a change and stored
# just after it was dropped.
UNREAD_TIMEOUT = 120


def unread_key(user_id):
    return f"unread:{user_id}"


def forget_unread(user_ids):
    cache.delete_many([unread_key(uid) for uid in user_ids])


def notify(users, text, url=""):
    """In-app notification for each user (deduplicated), created after the change commits.

    `text` is a deliberation.messages.Message, shown in each reader's language, or a str
    shown as it is.
    """
    user_ids = {getattr(u, "pk", u) for u in users if u is not None}
    message = text.as_data() if isinstance(text, Message) else {}
    plain = text_of(text)[:300]

    def create():
        Notification.objects.bulk_create(
            [
                Notification(user_id=uid, text=plain, message=message, url=url)
                for uid in sorted(user_ids)
            ]
        )
        forget_unread(user_ids)

    transaction.on_commit(create)


# --- telling the people of a topic ----------------------------------------------------------


def followers_of(topic):
    """User ids told about a topic's changes: its followers, proposer and filer."""
    ids = set(Follow.objects.filter(topic=topic).values_list("user_id", flat=True))
    ids.add(topic.proposer_id)
    if topic.filed_by_id:
        ids.add(topic.filed_by_id)
    return ids


def staff_of(community):
    return set(
        Membership.objects.filter(community=community, role__in=STAFF).values_list(
            "user_id", flat=True
        )
    )


def tell(user_ids, text, url=""):
    """In-app notification for each user, and an email to those with an address, after commit."""
    user_ids = {getattr(u, "pk", u) for u in user_ids if u is not None}
    if not user_ids:
        return
    notify(user_ids, text, url)

    def send():
        addresses = list(
            User.objects.filter(pk__in=user_ids).exclude(email="").values_list("email", flat=True)
        )
        plain = text_of(text)
        # A subject is one line: a note's line breaks would make the message unsendable.
        subject = " ".join(plain.split())[:120]
        messages = [
            mail.EmailMessage(subject=subject, body=f"{plain}\n\n{url}", to=[address])
            for address in addresses
        ]
        if messages:
            mail.get_connection(fail_silently=True).send_messages(messages)

    transaction.on_commit(send)
