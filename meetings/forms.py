"""Forms for every input: the meeting pages, and one form per websocket room command."""

import json

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from accounts.phone import CN_MOBILE, normalise_phone
from deliberation.models import Topic, VoteMatter
from meetings.models import (
    HEARING_ORDER,
    EntryKind,
    LiveChoice,
    Meeting,
    Rsvp,
    SeatRole,
)

MAX_MESSAGE_CHARS = 4096
# Keys the htmx ws extension adds to every message; ignored.
TRANSPORT_KEYS = {"HEADERS", "command", "csrfmiddlewaretoken"}


# ---------------------------------------------------------------- room commands


class CommandForm(forms.Form):
    """Base of the room commands: `run(service_module, meeting, user)` calls the service."""

    def run(self, services, meeting, user):
        raise NotImplementedError


def _id(label=None, required=True):
    return forms.IntegerField(min_value=1, max_value=2**31 - 1, required=required, label=label)


class OpenMeetingForm(CommandForm):
    # Before the noticed date: the chair's confirmation and reason (the service checks them).
    early_reason = forms.CharField(
        max_length=500, required=False, label=_("Reason for opening before the noticed date")
    )
    confirm_early = forms.BooleanField(
        required=False, label=_("I confirm opening before the noticed date")
    )

    def clean(self):
        data = super().clean()
        if data.get("early_reason", "").strip() and not data.get("confirm_early"):
            raise forms.ValidationError(
                _("Tick the confirmation to open the meeting before the noticed date.")
            )
        return data

    def run(self, services, meeting, user):
        data = self.cleaned_data
        reason = data.get("early_reason", "") if data.get("confirm_early") else ""
        return services.open_meeting(meeting, by=user, early_reason=reason)


class CloseMeetingForm(CommandForm):
    def run(self, services, meeting, user):
        return services.close_meeting(meeting, by=user)


class CheckInForm(CommandForm):
    participant = _id(_("participant"), required=False)

    def run(self, services, meeting, user):
        return services.check_in(meeting, by=user, participant_id=self.cleaned_data["participant"])


class ItemForm(CommandForm):
    item = _id(_("agenda item"))


class OpenItemForm(ItemForm):
    def run(self, services, meeting, user):
        return services.open_item(meeting, by=user, item_id=self.cleaned_data["item"])


class CloseItemForm(ItemForm):
    def run(self, services, meeting, user):
        return services.close_item(meeting, by=user, item_id=self.cleaned_data["item"])


class RaiseHandForm(ItemForm):
    def run(self, services, meeting, user):
        return services.raise_hand(meeting, by=user, item_id=self.cleaned_data["item"])


class NextItemForm(CommandForm):
    current = forms.IntegerField(min_value=0, max_value=2**31 - 1, required=False)

    def run(self, services, meeting, user):
        return services.next_item(meeting, by=user, current_id=self.cleaned_data["current"])


class HandForm(CommandForm):
    request = _id(_("request to speak"))


class LowerHandForm(ItemForm):
    def run(self, services, meeting, user):
        return services.lower_hand(meeting, by=user, item_id=self.cleaned_data["item"])


class GrantFloorForm(HandForm):
    def run(self, services, meeting, user):
        return services.grant_floor(meeting, by=user, request_id=self.cleaned_data["request"])


class EndFloorForm(HandForm):
    def run(self, services, meeting, user):
        return services.end_floor(meeting, by=user, request_id=self.cleaned_data["request"])


class SkipSpeakerForm(HandForm):
    def run(self, services, meeting, user):
        return services.end_floor(
            meeting, by=user, request_id=self.cleaned_data["request"], skip=True
        )


class MoveSpeakerForm(HandForm):
    position = forms.IntegerField(min_value=1, max_value=500, label=_("new place in the queue"))

    def run(self, services, meeting, user):
        data = self.cleaned_data
        return services.move_speaker(
            meeting, by=user, request_id=data["request"], position=data["position"]
        )


class SpeechSummaryForm(HandForm):
    summary = forms.CharField(max_length=1000, label=_("summary of the speech"))

    def run(self, services, meeting, user):
        data = self.cleaned_data
        return services.record_speech(
            meeting, by=user, request_id=data["request"], summary=data["summary"]
        )


class StageForm(CommandForm):
    stage = forms.ChoiceField(choices=[(s.value, s.label) for s in HEARING_ORDER], label=_("stage"))
    minutes = forms.IntegerField(min_value=0, max_value=240, required=False, label=_("minutes"))

    def run(self, services, meeting, user):
        data = self.cleaned_data
        return services.set_hearing_stage(
            meeting, by=user, stage=data["stage"], minutes=data["minutes"] or 0
        )


class OpenVoteForm(ItemForm):
    question = forms.CharField(max_length=200, label=_("question"))

    def run(self, services, meeting, user):
        data = self.cleaned_data
        return services.open_live_vote(
            meeting, by=user, item_id=data["item"], question=data["question"]
        )


class VoteRefForm(CommandForm):
    vote = _id(_("vote"))


class CastVoteForm(VoteRefForm):
    choice = forms.ChoiceField(choices=LiveChoice.choices, label=_("your vote"))

    def run(self, services, meeting, user):
        data = self.cleaned_data
        return services.cast_live_vote(
            meeting, by=user, vote_id=data["vote"], choice=data["choice"]
        )


class CloseVoteForm(VoteRefForm):
    def run(self, services, meeting, user):
        return services.close_live_vote(meeting, by=user, vote_id=self.cleaned_data["vote"])


class MinutesEntryForm(CommandForm):
    text = forms.CharField(
        max_length=2000, widget=forms.Textarea(attrs={"rows": 3}), label=_("record")
    )
    item = _id(_("agenda item"), required=False)
    kind = forms.ChoiceField(
        choices=[(EntryKind.NOTE, _("Note")), (EntryKind.DECISION, _("Decision"))],
        initial=EntryKind.NOTE,
        required=False,
        label=_("kind"),
    )

    def run(self, services, meeting, user):
        data = self.cleaned_data
        return services.add_minutes_entry(
            meeting,
            by=user,
            text=data["text"],
            item_id=data["item"],
            kind=data["kind"] or EntryKind.NOTE,
        )


COMMANDS = {
    "open_meeting": OpenMeetingForm,
    "close_meeting": CloseMeetingForm,
    "check_in": CheckInForm,
    "open_item": OpenItemForm,
    "close_item": CloseItemForm,
    "next_item": NextItemForm,
    "raise_hand": RaiseHandForm,
    "lower_hand": LowerHandForm,
    "grant_floor": GrantFloorForm,
    "end_floor": EndFloorForm,
    "skip_speaker": SkipSpeakerForm,
    "move_speaker": MoveSpeakerForm,
    "set_stage": StageForm,
    "record_speech": SpeechSummaryForm,
    "open_vote": OpenVoteForm,
    "cast_vote": CastVoteForm,
    "close_vote": CloseVoteForm,
    "add_minutes": MinutesEntryForm,
}


class BadMessage(Exception):
    """A message that is not a command: wrong shape, unknown type or unexpected fields."""


def command_form(data):
    """The bound form for a decoded message, or BadMessage for a wrong shape."""
    if not isinstance(data, dict):
        raise BadMessage(_("The message is not a command."))
    name = data.get("command")
    form_class = COMMANDS.get(name) if isinstance(name, str) else None
    if form_class is None:
        raise BadMessage(_("Unknown command."))
    unexpected = set(data) - set(form_class.base_fields) - TRANSPORT_KEYS
    if unexpected:
        raise BadMessage(_("Unexpected fields in the command."))
    for key, value in data.items():
        if key != "HEADERS" and not isinstance(value, str | int | type(None)):
            raise BadMessage(_("Unexpected fields in the command."))
    return form_class({k: v for k, v in data.items() if k not in TRANSPORT_KEYS})


def parse_command(text):
    """Decode one websocket text frame into a bound command form (or raise BadMessage)."""
    try:
        data = json.loads(text)
    except (ValueError, RecursionError) as exc:
        # RecursionError: nesting deeper than the interpreter's limit ("[" * 4000 fits in
        # one frame); a command is never nested more than two levels.
        raise BadMessage(_("The message is not a command.")) from exc
    return command_form(data)


# ---------------------------------------------------------------- meeting pages


class MeetingForm(forms.ModelForm):
    starts_at = forms.DateTimeField(
        label=_("starts at"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
    )

    class Meta:
        model = Meeting
        fields = [
            "kind",
            "title",
            "estate",
            "chair",
            "secretary",
            "place",
            "online",
            "public_watch",
            "starts_at",
            "speaking_time_s",
        ]

    def __init__(self, *args, community, estates=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.community = community
        people = User.objects.filter(memberships__community=community).distinct()
        self.fields["chair"].queryset = people
        self.fields["secretary"].queryset = people
        self.fields["estate"].queryset = community.estates.all()
        if estates is not None:
            # Offer only the estates the person may convene in; another is refused (403).
            self.fields["estate"].widget.choices = [("", "---------")] + [
                (e.pk, str(e)) for e in estates
            ]
        self.fields["speaking_time_s"].initial = community.speaking_time_limit_s
        self.fields["speaking_time_s"].min_value = 30

    def clean(self):
        data = super().clean()
        if data.get("kind") == "owners_session" and not data.get("estate"):
            self.add_error("estate", _("An owners' assembly session belongs to one estate."))
        if not data.get("place") and not data.get("online"):
            self.add_error("place", _("Give a place, or hold the meeting online."))
        starts = data.get("starts_at")
        if starts and starts < timezone.now():
            self.add_error("starts_at", _("The meeting cannot start in the past."))
        return data


class AgendaItemForm(forms.Form):
    title = forms.CharField(max_length=200, label=_("title"))
    topic = forms.ModelChoiceField(queryset=Topic.objects.none(), required=False, label=_("topic"))
    minutes_allowed = forms.IntegerField(
        min_value=1, max_value=600, required=False, label=_("minutes allowed")
    )
    speaking_time_s = forms.IntegerField(
        min_value=30, max_value=3600, required=False, label=_("speaking time per person (seconds)")
    )

    vote_matter = forms.ModelChoiceField(
        queryset=VoteMatter.objects.none(),
        required=False,
        label=_("matter of the owners' vote"),
        help_text=_("In an owners' assembly session, the ballot in the room is cast on it."),
    )

    def __init__(self, *args, meeting, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["topic"].queryset = Topic.objects.filter(community=meeting.community)
        if meeting.is_owners_session and meeting.estate_id:
            self.fields["vote_matter"].queryset = VoteMatter.objects.filter(
                vote__estate_id=meeting.estate_id
            ).select_related("vote")
        else:
            del self.fields["vote_matter"]


class InviteForm(forms.Form):
    phone = forms.CharField(
        max_length=20,
        required=False,
        label=_("mobile number"),
        help_text=_(
            "Finds their account. For someone without one, give their name and, if they "
            "have one, their number: invitations and minutes then go by SMS."
        ),
    )
    name = forms.CharField(max_length=100, required=False, label=_("name"))
    role = forms.ChoiceField(choices=SeatRole.choices, label=_("role in the meeting"))
    organisation = forms.CharField(max_length=100, required=False, label=_("unit or department"))

    def clean(self):
        data = super().clean()
        phone = data.get("phone")
        data["user"] = None
        if phone:
            try:
                normalised = normalise_phone(phone)
            except Exception:  # noqa: BLE001 - any parse failure is the same mistake to the user
                normalised = None
            data["user"] = User.objects.filter(phone=normalised).first() if normalised else None
            mobile = bool(normalised) and bool(CN_MOBILE.match(normalised.removeprefix("+86")))
            if data["user"] is None and mobile and data.get("name"):
                # Someone without an account: invited by name, told by SMS at this number.
                data["phone"] = normalised
            elif data["user"] is None:
                self.add_error(
                    "phone",
                    _(
                        "No account has this mobile number. To invite someone without an "
                        "account, give their name too: they are told by SMS."
                    ),
                )
        elif not data.get("name"):
            self.add_error("name", _("Give a mobile number or a name."))
        return data


class RsvpForm(forms.Form):
    rsvp = forms.ChoiceField(
        choices=[(Rsvp.YES, Rsvp.YES.label), (Rsvp.NO, Rsvp.NO.label)],
        widget=forms.RadioSelect,
        label=_("Will you attend?"),
    )


class MoveChairForm(forms.Form):
    chair = forms.ModelChoiceField(queryset=User.objects.none(), label=_("new chair"))

    def __init__(self, *args, meeting, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["chair"].queryset = (
            User.objects.filter(memberships__community=meeting.community)
            .exclude(pk=meeting.chair_id)
            .distinct()
        )


class CorrectionForm(forms.Form):
    text = forms.CharField(
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        label=_("What should be corrected?"),
    )


class ResolveCorrectionForm(forms.Form):
    correction = forms.IntegerField(min_value=1, widget=forms.HiddenInput)
    accept = forms.TypedChoiceField(
        choices=[("1", _("Accept")), ("0", _("Decline"))],
        coerce=lambda v: v == "1",
        label=_("decision"),
    )
    response = forms.CharField(max_length=500, required=False, label=_("response"))


class PaperSignatureForm(forms.Form):
    participant = forms.IntegerField(min_value=1, widget=forms.HiddenInput)
    refused = forms.BooleanField(required=False, label=_("refused to sign"))
    note = forms.CharField(max_length=300, required=False, label=_("note"))
