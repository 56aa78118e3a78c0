"""Meeting pages: list, create, detail and preparation, the room, check-in, minutes."""

import segno
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe
from django.views.decorators.vary import vary_on_headers

from deliberation.access import community_for, community_ids_of, estates_where, roles_of
from deliberation.delivery import record_receipt
from deliberation.forms.notices import ReceiptForm
from deliberation.models import Community
from deliberation.permissions import may
from meetings import delivery, services
from meetings.access import (
    CHAIR,
    DISPLAY,
    audience_of,
    may_in,
    meeting_for,
    participant_of,
    require_in,
)
from meetings.forms import (
    AgendaItemForm,
    BadMessage,
    CorrectionForm,
    InviteForm,
    MeetingForm,
    MinutesEntryForm,
    MoveChairForm,
    PaperSignatureForm,
    ResolveCorrectionForm,
    RsvpForm,
    command_form,
)
from meetings.models import Meeting, Status
from meetings.records import meeting_quorum
from meetings.rendering import attendance_counts, me_html, room_state


@login_required
@require_safe
def meeting_list(request):
    meetings = (
        Meeting.objects.visible_to(request.user)
        .select_related("community", "chair")
        .distinct()
        .order_by("-starts_at", "-pk")
    )
    community_id = request.GET.get("community", "")
    if community_id.isdigit():
        meetings = meetings.filter(community_id=int(community_id))
    communities = [
        c
        for c in Community.objects.filter(pk__in=community_ids_of(request.user)).order_by("pk")
        if may(roles_of(request.user, c), "meeting.create")
    ]
    return TemplateResponse(
        request, "meetings/list.html", {"meetings": meetings[:100], "communities": communities}
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def meeting_create(request, community_id):
    community = community_for(request.user, community_id, "meeting.create")
    estates = estates_where(request.user, community, "meeting.create")
    form = MeetingForm(request.POST or None, community=community, estates=estates)
    if form.is_valid():
        meeting = services.create_meeting(community=community, by=request.user, **form.cleaned_data)
        messages.success(request, _("Meeting created. Add the agenda and invite participants."))
        return redirect(meeting)
    return TemplateResponse(request, "meetings/create.html", {"form": form, "community": community})


def _detail(request, meeting, status=200, **forms):
    context = {
        "meeting": meeting,
        "items": meeting.items.select_related("topic").order_by("position"),
        "participants": meeting.participants.select_related("user").order_by("pk"),
        "seat": participant_of(request.user, meeting),
        "can_edit": may_in(request.user, meeting, "meeting.edit"),
        "can_notice": may_in(request.user, meeting, "meeting.notice"),
        "can_rsvp": may_in(request.user, meeting, "meeting.rsvp"),
        "can_move_chair": may_in(request.user, meeting, "meeting.move_chair"),
        "audience": audience_of(request.user, meeting),
        "item_form": forms.get("item_form") or AgendaItemForm(meeting=meeting),
        "invite_form": forms.get("invite_form") or InviteForm(),
        "rsvp_form": forms.get("rsvp_form") or RsvpForm(),
        "chair_form": forms.get("chair_form") or MoveChairForm(meeting=meeting),
    }
    if may_in(request.user, meeting, "meeting.delivery") and delivery.serves_participants(meeting):
        context["delivery"] = delivery.coverage(meeting)
    return TemplateResponse(request, "meetings/detail.html", context, status=status)


@login_required
@require_safe
def meeting_detail(request, meeting_id):
    meeting = meeting_for(request.user, meeting_id, "meeting.view")
    delivery.record_reading(meeting, request.user)
    return _detail(request, meeting)


def _delivery_meeting(request, meeting_id):
    meeting = meeting_for(request.user, meeting_id, "meeting.delivery")
    if not delivery.serves_participants(meeting):
        raise Http404  # an owners' session is served per household, on the vote's pages
    return meeting


def coverage_line(row):
    return _("Served %(served)s / %(total)s people; %(pending)s still to be served") % {
        "served": f"{row['served']:,}",
        "total": f"{row['total']:,}",
        "pending": f"{row['pending']:,}",
    }


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def meeting_delivery(request, meeting_id):
    """How far each message of the meeting has reached its participants, who is still to be
    served, their paper lists, and the form where a signed receipt is recorded by its code."""
    meeting = _delivery_meeting(request, meeting_id)
    form = ReceiptForm(request.POST or None)
    form.fields["code"].help_text = _(
        "Type the 8 characters printed on the slip the participant signed."
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                served = record_receipt(
                    delivery.notices_of(meeting), form.cleaned_data["code"], by=request.user
                )
            except ValidationError as error:
                form.add_error("code", error)
            else:
                messages.success(
                    request,
                    _("Receipt recorded: %(name)s is served.") % {"name": served.addressee_name},
                )
                return redirect("meeting_delivery", meeting.pk)
        status = 400
    rows = delivery.coverage(meeting)
    for row in rows:
        row["line"] = coverage_line(row)
    context = {"meeting": meeting, "rows": rows, "form": form}
    return TemplateResponse(request, "meetings/delivery.html", context, status=status)


@login_required
@require_safe
def meeting_delivery_print(request, meeting_id, message):
    """The paper delivery list of one message: a receipt slip for each person not yet served."""
    meeting = _delivery_meeting(request, meeting_id)
    row = next((r for r in delivery.coverage(meeting) if r["slug"] == message), None)
    if row is None:
        raise Http404
    return TemplateResponse(
        request, "meetings/delivery_print.html", {"meeting": meeting, "row": row}
    )


def _run_or_error(request, meeting, call):
    try:
        call()
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return False
    return True


@login_required
@require_POST
def meeting_prepare(request, meeting_id, step):
    """One POST per preparation step: add an item, invite, publish, reply, move the chair."""
    action = {
        "items": "meeting.edit",
        "invite": "meeting.edit",
        "notice": "meeting.notice",
        "rsvp": "meeting.rsvp",
        "chair": "meeting.move_chair",
    }[step]
    meeting = meeting_for(request.user, meeting_id, action)
    user = request.user
    if step == "items":
        form = AgendaItemForm(request.POST, meeting=meeting)
        if not form.is_valid():
            return _detail(request, meeting, 400, item_form=form)
        ok = _run_or_error(
            request,
            meeting,
            lambda: services.add_agenda_item(
                meeting, by=user, **{k: v for k, v in form.cleaned_data.items() if v is not None}
            ),
        )
    elif step == "invite":
        form = InviteForm(request.POST)
        if not form.is_valid():
            return _detail(request, meeting, 400, invite_form=form)
        data = form.cleaned_data
        ok = _run_or_error(
            request,
            meeting,
            lambda: services.invite_participant(
                meeting,
                by=user,
                role=data["role"],
                user=data["user"],
                name=data["name"],
                organisation=data["organisation"],
                phone=data["phone"] if data["user"] is None else "",
            ),
        )
    elif step == "rsvp":
        form = RsvpForm(request.POST)
        if not form.is_valid():
            return _detail(request, meeting, 400, rsvp_form=form)
        ok = _run_or_error(
            request,
            meeting,
            lambda: services.answer_invitation(meeting, by=user, rsvp=form.cleaned_data["rsvp"]),
        )
    elif step == "chair":
        form = MoveChairForm(request.POST, meeting=meeting)
        if not form.is_valid():
            return _detail(request, meeting, 400, chair_form=form)
        ok = _run_or_error(
            request,
            meeting,
            lambda: services.move_chair(meeting, by=user, to=form.cleaned_data["chair"]),
        )
    else:
        ok = _run_or_error(
            request, meeting, lambda: services.publish_meeting_notice(meeting, by=user)
        )
    if ok:
        messages.success(request, _("Saved."))
    return redirect(meeting)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
@vary_on_headers("HX-Request")
def meeting_room(request, meeting_id):
    """The live room. Without script, each command is a plain POST to this same URL."""
    meeting = meeting_for(request.user, meeting_id, watch=True)
    wanted = DISPLAY if request.GET.get("view") == "display" else None
    audience = audience_of(request.user, meeting, wanted)
    if audience is None:
        raise PermissionDenied
    if request.method == "POST":
        try:
            form = command_form(request.POST.dict())
        except BadMessage as exc:
            messages.error(request, str(exc.args[0]))
            return redirect(request.get_full_path())
        if not form.is_valid():
            messages.error(request, " ".join(e for errs in form.errors.values() for e in errs))
        else:
            try:
                form.run(services, meeting, request.user)
            except PermissionDenied:
                raise
            except ValidationError as exc:
                messages.error(request, " ".join(exc.messages))
        return redirect(request.get_full_path())
    state = room_state(meeting)
    context = {
        **state,
        "audience": audience,
        "is_chair": audience == CHAIR,
        "display": audience == DISPLAY,
        "ws_url": f"/ws/meetings/{meeting.pk}/" + ("?view=display" if wanted else ""),
        "language": get_language(),
        "minutes_form": MinutesEntryForm(),
        "seat": participant_of(request.user, meeting),
        "room_me": me_html(meeting.pk, request.user.pk) if audience != DISPLAY else "",
    }
    return TemplateResponse(request, "meetings/room.html", context)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def meeting_checkin(request, meeting_id, token):
    """The page the door's QR code opens: one big button to check in."""
    meeting = meeting_for(request.user, meeting_id)
    if token != meeting.checkin_token:
        raise PermissionDenied
    seat = participant_of(request.user, meeting)
    if request.method == "POST":
        require_in(request.user, meeting, "meeting.check_in")
        if _run_or_error(
            request, meeting, lambda: services.check_in(meeting, by=request.user, method="qr")
        ):
            messages.success(request, _("You are checked in. Welcome."))
            return redirect("meeting_room", meeting.pk)
        return redirect(request.path)
    return TemplateResponse(request, "meetings/checkin.html", {"meeting": meeting, "seat": seat})


ATTENDANCE_PAGE = 50
NAME_QUERY_CHARS = 50


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def meeting_attendance(request, meeting_id):
    """Everyone invited, a page at a time and found by name, for the chair and the secretary,
    with a check-in button each while the meeting is noticed or live: in a large room the
    console lists only the first not yet checked in (meetings/rendering.py)."""
    meeting = meeting_for(request.user, meeting_id)
    if audience_of(request.user, meeting) != CHAIR:
        raise PermissionDenied
    if request.method == "POST":
        require_in(request.user, meeting, "meeting.check_in_other")
        participant = request.POST.get("participant", "")
        if not participant.isdigit():
            messages.error(request, _("That person is not on the list of participants."))
        elif _run_or_error(
            request,
            meeting,
            lambda: services.check_in(meeting, by=request.user, participant_id=int(participant)),
        ):
            messages.success(request, _("Checked in."))
        return redirect(request.get_full_path())
    query = " ".join(request.GET.get("q", "").split())[:NAME_QUERY_CHARS]
    people = meeting.participants.order_by("pk")
    if query:
        people = people.filter(name__icontains=query)
    counts = attendance_counts(meeting)
    context = {
        "meeting": meeting,
        "query": query,
        "page": Paginator(people, ATTENDANCE_PAGE).get_page(request.GET.get("page")),
        "present_count": counts["present"],
        "invited_count": counts["invited"],
        "can_check_in": may_in(request.user, meeting, "meeting.check_in_other"),
    }
    return TemplateResponse(request, "meetings/attendance.html", context)


@login_required
@require_safe
def meeting_qr(request, meeting_id):
    meeting = meeting_for(request.user, meeting_id, "meeting.check_in_other")
    url = request.build_absolute_uri(
        reverse("meeting_checkin", args=[meeting.pk, meeting.checkin_token])
    )
    svg = segno.make(url, error="m").svg_inline(scale=8)
    return HttpResponse(svg, content_type="image/svg+xml")


MINUTES_ACTIONS = {
    # action: (permission, form class or None)
    "send": ("meeting.send_for_corrections", None),
    "correct": ("meeting.correct", CorrectionForm),
    "confirm": ("meeting.correct", None),
    "resolve": ("meeting.write_minutes", ResolveCorrectionForm),
    "finalise": ("meeting.finalise_minutes", None),
    "sign": ("meeting.sign", None),
    "paper": ("meeting.paper_signature", PaperSignatureForm),
    "publish": ("meeting.publish_minutes", None),
}


def _minutes_call(action, meeting, user, data):
    return {
        "send": lambda: services.send_for_corrections(meeting, by=user),
        "correct": lambda: services.submit_correction(meeting, by=user, text=data["text"]),
        "confirm": lambda: services.confirm_draft(meeting, by=user),
        "resolve": lambda: services.resolve_correction(
            meeting,
            by=user,
            correction_id=data["correction"],
            accept=data["accept"],
            response=data["response"],
        ),
        "finalise": lambda: services.finalise_minutes(meeting, by=user),
        "sign": lambda: services.sign_minutes(meeting, by=user),
        "paper": lambda: services.record_paper_signature(
            meeting,
            by=user,
            participant_id=data["participant"],
            refused=data["refused"],
            note=data["note"],
        ),
        "publish": lambda: services.publish_minutes(meeting, by=user),
    }[action]


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def meeting_minutes(request, meeting_id):
    meeting = meeting_for(request.user, meeting_id, "meeting.view")
    if request.method == "GET":
        delivery.record_reading(meeting, request.user, minutes_page=True)
    form = None
    if request.method == "POST":
        action = request.POST.get("action", "")
        if action not in MINUTES_ACTIONS:
            messages.error(request, _("Unknown action."))
            return redirect("meeting_minutes", meeting.pk)
        permission, form_class = MINUTES_ACTIONS[action]
        require_in(request.user, meeting, permission)
        form = form_class(request.POST) if form_class else None
        if form is None or form.is_valid():
            data = form.cleaned_data if form else {}
            if _run_or_error(request, meeting, _minutes_call(action, meeting, request.user, data)):
                messages.success(request, _("Saved."))
            return redirect("meeting_minutes", meeting.pk)
    record = services.minutes_context(meeting)
    context = {
        "meeting": meeting,
        "record": record,
        "quorum": meeting_quorum(meeting, record),
        "seat": participant_of(request.user, meeting),
        "open_corrections": meeting.corrections.filter(status="open").select_related("participant"),
        "unsigned": meeting.participants.exclude(
            pk__in=meeting.signatures.exclude(participant=None).values("participant")
        ),
        "correction_form": form if isinstance(form, CorrectionForm) else CorrectionForm(),
        "may": {a: may_in(request.user, meeting, p) for a, (p, _f) in MINUTES_ACTIONS.items()},
        "published": meeting.status == Status.PUBLISHED,
        "corrections_until": (
            services.period_end_text(meeting.corrections_until) if meeting.corrections_until else ""
        ),
        "corrections_open": meeting.status == Status.CORRECTIONS
        and not (meeting.corrections_until and timezone.now() >= meeting.corrections_until),
        "confirmations": (
            services.draft_confirmations(meeting) if meeting.status == Status.CORRECTIONS else []
        ),
    }
    return TemplateResponse(request, "meetings/minutes.html", context, status=400 if form else 200)


@login_required
@require_safe
def meeting_paper(request, meeting_id):
    """A printable signature page for those who cannot confirm online."""
    meeting = meeting_for(request.user, meeting_id, "meeting.paper_signature")
    return TemplateResponse(
        request,
        "meetings/paper.html",
        {"meeting": meeting, "record": services.minutes_context(meeting)},
    )
