"""Before the meeting: create it, its agenda, the invitations, the notice, the answers to the
invitations, and the chair handed to someone else."""

from datetime import timedelta

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop

from deliberation.access import require, roles_in_estate
from deliberation.audit import record_audit
from deliberation.delivery import queue_delivery
from deliberation.messages import Message
from deliberation.models import NoticeKind
from deliberation.notices import notify, publish_notice
from deliberation.permissions import may
from meetings import delivery
from meetings.models import (
    AgendaItem,
    Kind,
    Meeting,
    Participant,
    Status,
)

# ---------------------------------------------------------------- before the meeting
from meetings.services.commands import (
    AGENDA,
    ALL_SECTIONS,
    ATTENDANCE,
    RoomError,
    _command,
    _commit,
    _seat,
)
from meetings.signals import seats_changed


def create_meeting(*, community, by, **fields):
    """Create a draft meeting; the creator must be staff or a committee member there. A
    meeting of one estate (an owners' session, an estate committee's meeting) is convened by
    that estate's committee only, or by staff."""
    require(by, community, "meeting.create")
    estate = fields.get("estate")
    if estate is not None and not may(roles_in_estate(by, community, estate), "meeting.create"):
        raise PermissionDenied
    with transaction.atomic():
        fields.setdefault("speaking_time_s", community.speaking_time_limit_s)
        meeting = Meeting.objects.create(community=community, created_by=by, **fields)
        record_audit(actor=by, verb="meeting.create", target=meeting, data={"kind": meeting.kind})
    return meeting


def add_agenda_item(meeting, *, by, title, topic=None, vote_matter=None, **limits):
    with _command(meeting, by, "meeting.edit") as meeting:
        if topic is not None and topic.community_id != meeting.community_id:
            raise RoomError(_("That topic belongs to another community."))
        last = meeting.items.aggregate(m=Max("position"))["m"] or 0
        item = AgendaItem.objects.create(
            meeting=meeting,
            position=last + 1,
            title=title,
            topic=topic,
            vote_matter=vote_matter,
            **limits,
        )
        _commit(meeting, by, "add_item", {"item": item.pk, "title": title}, (AGENDA,))
    return item


def invite_participant(
    meeting, *, by, role, user=None, name="", organisation="", holder=None, phone=""
):
    with _command(meeting, by, "meeting.edit") as meeting:
        if user is not None and meeting.participants.filter(user=user).exists():
            raise RoomError(_("This person is already invited."))
        if holder is None and user is not None and meeting.is_owners_session:
            holder = user.holdings.filter(
                community=meeting.community, ownerships__isnull=False
            ).first()
        participant = Participant.objects.create(
            meeting=meeting,
            user=user,
            name=name or (user.display_name if user else ""),
            role=role,
            organisation=organisation,
            holder=holder,
            phone="" if user is not None else phone,
        )
        _commit(meeting, by, "invite", {"participant": participant.pk}, (ATTENDANCE,))
        if meeting.status == Status.NOTICED and delivery.serves_participants(meeting):
            # Served the invitation like those invited before the notice, with proof.
            delivery.serve_invitation(meeting, by=by, participants=[participant])
        elif user is not None and meeting.status == Status.NOTICED:
            notify(
                [user],
                Message(gettext_noop("You are invited to %(title)s."), title=meeting.title),
                meeting.get_absolute_url(),
            )
    return participant


def publish_meeting_notice(meeting, *, by, now=None):
    """Post the notice on the board and invite everyone; it must respect the notice period."""
    now = now or timezone.now()
    with _command(meeting, by, "meeting.notice") as meeting:
        days = meeting.notice_days()
        if meeting.starts_at < now + timedelta(days=days):
            raise RoomError(
                _(
                    "This kind of meeting needs %(days)s days' notice: "
                    "start it on %(date)s or later."
                )
                % {
                    "days": days,
                    "date": date_format(timezone.localdate(now + timedelta(days=days))),
                }
            )
        if not meeting.items.exists():
            raise RoomError(_("Add at least one agenda item before publishing the notice."))
        items = "\n".join(f"{i.position}. {i.title}" for i in meeting.items.all())
        body = [
            Message(
                gettext_noop("%(kind)s on %(when)s at %(place)s.\nAgenda:\n%(items)s"),
                kind=Kind(meeting.kind).label,
                when=meeting.starts_at,
                place=meeting.place or gettext_lazy("online"),
                items=items,
            )
        ]
        days_posted = max(days, (meeting.starts_at - now).days + 1)
        notice = publish_notice(
            community=meeting.community,
            kind=NoticeKind.MEETING,
            title=meeting.title,
            body=body,
            by=by,
            days=days_posted,
            source=meeting,
        )
        meeting.notice = notice
        meeting.status = Status.NOTICED
        meeting.save(update_fields=["notice", "status"])
        _commit(meeting, by, "notice", {"notice": notice.pk})
        users = [p.user for p in meeting.participants.exclude(user=None).select_related("user")]
        if delivery.serves_participants(meeting):
            # Each participant is served the invitation, with proof (the bell is one channel).
            delivery.serve_invitation(meeting, by=by)
            users = []
        notify(
            users + [meeting.secretary],
            Message(gettext_noop("You are invited to %(title)s."), title=meeting.title),
            meeting.get_absolute_url(),
        )
        if meeting.is_owners_session and meeting.estate_id:
            # Every owner of the estate must be told of an assembly (物业管理条例 art. 14):
            # served to each household like an assembly vote's notice, with proof.
            # (deliberation.delivery.households_for: the units of its estate).
            queue_delivery(notice, by=by)
    return notice


def answer_invitation(meeting, *, by, rsvp):
    with _command(meeting, by, "meeting.rsvp") as meeting:
        participant = _seat(by, meeting)
        participant.rsvp = rsvp
        participant.save(update_fields=["rsvp"])
        _commit(meeting, by, "rsvp", {"participant": participant.pk, "rsvp": rsvp}, (ATTENDANCE,))
    return participant


def move_chair(meeting, *, by, to):
    """Hand the chair to someone else; the old chair's console stops working at once."""
    with _command(meeting, by, "meeting.move_chair") as meeting:
        old = meeting.chair_id
        meeting.chair = to
        meeting.save(update_fields=["chair"])
        _commit(meeting, by, "move_chair", {"from": old, "to": to.pk}, ALL_SECTIONS)
        meeting_id = meeting.pk
        transaction.on_commit(lambda: seats_changed.send(Meeting, meeting_id=meeting_id))
    return meeting
