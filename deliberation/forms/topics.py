"""Forms for topics, discussion, triage and decisions: every input is checked here first."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from deliberation.messages import lazy_format
from deliberation.models import (
    Building,
    Category,
    Channel,
    DecidingBody,
    Estate,
    Grid,
    Membership,
    Phase,
    Reaction,
    Role,
    Scope,
    Stance,
    Topic,
)
from deliberation.services.topics import MAX_PHOTOS, MERGE_REFUSED, Outcome
from deliberation.uploads import validate_image

TITLE_MAX = 120
TEXT_MAX = 5000
COMMENT_MAX = 2000


def _clean_text(value, *, required=True):
    value = (value or "").strip()
    if required and not value:
        raise ValidationError(_("This field cannot be empty."), code="required")
    return value


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class PhotosField(forms.FileField):
    """Several photos at once; each is sniffed, re-encoded and size-checked."""

    widget = MultipleFileInput

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)
        self.widget.attrs.setdefault("accept", "image/jpeg,image/png,image/webp")

    def clean(self, data, initial=None):
        files = data if isinstance(data, list | tuple) else ([data] if data else [])
        if len(files) > MAX_PHOTOS:
            raise ValidationError(
                _("Please attach at most %(n)s photos.") % {"n": MAX_PHOTOS}, code="too_many"
            )
        cleaned = []
        for upload in files:
            cleaned.append(validate_image(upload))
        return cleaned


class VersionForm(forms.Form):
    """A stale form (someone moved the topic meanwhile) is refused by the services."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)


class TopicForm(forms.Form):
    title = forms.CharField(
        label=_("Title"),
        max_length=TITLE_MAX,
        help_text=_(
            "In a few words: what is the matter? For example: the lift in building 3 is broken."
        ),
    )
    description = forms.CharField(
        label=_("Description"),
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("What happens, since when, and whom it affects."),
    )
    category = forms.ChoiceField(label=_("Category"), choices=Category.choices)
    scope = forms.ChoiceField(label=_("Concerns"), choices=Scope.choices, initial=Scope.COMMUNITY)
    estate = forms.ModelChoiceField(
        label=_("Estate"), queryset=Estate.objects.none(), required=False
    )
    building = forms.ModelChoiceField(
        label=_("Building"), queryset=Building.objects.none(), required=False
    )
    grid = forms.ModelChoiceField(label=_("Grid"), queryset=Grid.objects.none(), required=False)
    location = forms.CharField(label=_("Where exactly (optional)"), max_length=200, required=False)
    photos = PhotosField(
        label=_("Photos (optional)"),
        # Interpolated when shown, so it is in the reader's language (not the start-up one's).
        help_text=lazy_format(
            _("Up to %(n)s photos. Location data in the photos is removed."), n=MAX_PHOTOS
        ),
    )

    def __init__(self, *args, community, **kwargs):
        super().__init__(*args, **kwargs)
        self.community = community
        self.fields["estate"].queryset = Estate.objects.filter(community=community).order_by("name")
        self.fields["building"].queryset = (
            Building.objects.filter(estate__community=community)
            .select_related("estate")
            .order_by("estate__name", "name")
        )
        self.fields["building"].label_from_instance = lambda b: f"{b.estate.name} {b.name}"
        self.fields["grid"].queryset = Grid.objects.filter(community=community).order_by("name")

    def clean_title(self):
        return _clean_text(self.cleaned_data.get("title"))

    def clean_description(self):
        return _clean_text(self.cleaned_data.get("description"))

    def clean_location(self):
        return _clean_text(self.cleaned_data.get("location"), required=False)

    def clean(self):
        data = super().clean()
        scope = data.get("scope")
        needed = {Scope.ESTATE: "estate", Scope.BUILDING: "building", Scope.GRID: "grid"}
        field = needed.get(scope)
        if field and not data.get(field):
            self.add_error(field, _("Please choose which one."))
        for other in ("estate", "building", "grid"):
            if other != field:
                data[other] = None
        if scope == Scope.BUILDING and data.get("building"):
            data["estate"] = data["building"].estate
        return data


class FileForResidentForm(TopicForm):
    """A grid or community worker files a matter for a resident who came or phoned (点单)."""

    proposer = forms.ModelChoiceField(
        label=_("Resident"),
        queryset=None,
        help_text=_("Who raised the matter."),
    )
    channel = forms.ChoiceField(
        label=_("How it reached you"),
        choices=[c for c in Channel.choices if c[0] != Channel.APP],
    )
    field_order = ["proposer", "channel"]

    def __init__(self, *args, community, **kwargs):
        super().__init__(*args, community=community, **kwargs)
        from accounts.models import User

        member_ids = Membership.objects.filter(community=community, role=Role.RESIDENT).values(
            "user_id"
        )
        owner_ids = community.holders.filter(user__isnull=False, ownerships__isnull=False).values(
            "user_id"
        )
        self.fields["proposer"].queryset = (
            (User.objects.filter(pk__in=member_ids) | User.objects.filter(pk__in=owner_ids))
            .distinct()
            .order_by("real_name", "pk")
        )
        self.fields["proposer"].label_from_instance = lambda u: u.display_name
        self.order_fields(self.field_order)


class CommentForm(forms.Form):
    body = forms.CharField(
        label=_("Your comment"),
        max_length=COMMENT_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Comments are shown with your name."),
    )
    stance = forms.ChoiceField(
        label=_("Your view"),
        choices=Stance.choices,
        initial=Stance.NEUTRAL,
        widget=forms.RadioSelect,
    )
    parent = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1)

    def clean_body(self):
        return _clean_text(self.cleaned_data.get("body"))


class ReactForm(forms.Form):
    kind = forms.ChoiceField(choices=Reaction.choices)


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"), max_length=300, widget=forms.Textarea(attrs={"rows": 2})
    )

    def clean_reason(self):
        return _clean_text(self.cleaned_data.get("reason"))


class WithdrawForm(VersionForm):
    reason = forms.CharField(
        label=_("Reason (optional)"),
        max_length=300,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class SimpleProposalForm(forms.Form):
    """Simple mode: a matter in a title and a few sentences; nothing else to choose."""

    community = forms.ModelChoiceField(
        label=_("Community"), queryset=None, empty_label=None, widget=forms.RadioSelect
    )
    title = forms.CharField(
        label=_("In a few words, what is the matter?"),
        max_length=TITLE_MAX,
        help_text=_("For example: the stairwell light on the 3rd floor is broken."),
    )
    description = forms.CharField(
        label=_("Tell us more"),
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Where it is, since when, and who it affects."),
    )

    def __init__(self, *args, communities, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["community"].queryset = communities
        if len(communities) == 1:  # nothing to choose: the one community is filled in
            self.fields["community"].initial = communities[0].pk
            self.fields["community"].widget = forms.HiddenInput()

    def clean_title(self):
        return _clean_text(self.cleaned_data.get("title"))

    def clean_description(self):
        return _clean_text(self.cleaned_data.get("description"))


class TriageForm(VersionForm):
    outcome = forms.ChoiceField(
        label=_("Outcome"),
        widget=forms.RadioSelect,
        choices=[
            (Outcome.ACCEPT, _("Accept as a community matter")),
            (Outcome.ASSEMBLY, _("Accept and put it to the owners' assembly")),
            (Outcome.MERGE, _("Merge into an existing topic")),
            (Outcome.DECLINE, _("Decline")),
        ],
    )
    merge_into = forms.ModelChoiceField(
        label=_("Merge into"), queryset=Topic.objects.none(), required=False
    )
    is_major = forms.BooleanField(
        label=_("Major or difficult matter (30 days to carry out)"), required=False
    )
    reason = forms.CharField(
        label=_("Reason or note"),
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Required when declining or merging; it is published."),
    )

    def __init__(self, *args, topic, **kwargs):
        super().__init__(*args, **kwargs)
        if topic.service_offering_id:
            # 点单: a resident's service order is dispatched to the unit, or declined.
            unit = topic.service_offering.unit.name
            self.fields["outcome"].choices = [
                (Outcome.ORDER, _("Dispatch the order to %(unit)s (下单)") % {"unit": unit}),
                (Outcome.DECLINE, _("Decline")),
            ]
            self.fields["outcome"].initial = Outcome.ORDER
            self.fields["reason"].help_text = _(
                "When dispatching: a note for the unit. When declining: the reason, published."
            )
            del self.fields["merge_into"], self.fields["is_major"]
            return
        self.fields["merge_into"].queryset = (
            Topic.objects.filter(community_id=topic.community_id)
            .exclude(pk=topic.pk)
            .exclude(phase__in=MERGE_REFUSED)
            .order_by("-created_at", "-pk")
        )
        self.fields["merge_into"].label_from_instance = lambda t: f"#{t.pk} {t.title}"

    def clean(self):
        data = super().clean()
        outcome = data.get("outcome")
        if outcome in (Outcome.DECLINE, Outcome.MERGE) and not (data.get("reason") or "").strip():
            self.add_error("reason", _("Please give the reason; it is published with the topic."))
        if outcome == Outcome.MERGE and not data.get("merge_into"):
            self.add_error("merge_into", _("Please choose another topic to merge into."))
        return data


class DecisionForm(VersionForm):
    text = forms.CharField(
        label=_("What was decided"),
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 5}),
    )
    decided_by = forms.ChoiceField(label=_("Decided by"), choices=DecidingBody.choices)
    decided_on = forms.DateField(
        label=_("Date of the decision"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )

    def clean_text(self):
        return _clean_text(self.cleaned_data.get("text"))

    def clean_decided_on(self):
        value = self.cleaned_data["decided_on"]
        if value > timezone.localdate():
            raise ValidationError(_("The date of the decision cannot be in the future."))
        return value


class PollForm(forms.Form):
    question = forms.CharField(label=_("Question"), max_length=200)
    options = forms.CharField(
        label=_("Options, one per line"),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=2000,
    )
    multiple = forms.BooleanField(label=_("Several answers allowed"), required=False)

    def clean_question(self):
        return _clean_text(self.cleaned_data.get("question"))

    def clean_options(self):
        options = [line.strip() for line in self.cleaned_data["options"].splitlines()]
        options = [o for o in options if o]
        if len(options) < 2:
            raise ValidationError(_("A poll needs at least two options."))
        if len(options) > 10:
            raise ValidationError(_("A poll can have at most 10 options."))
        if any(len(o) > 100 for o in options):
            raise ValidationError(_("Each option can be at most 100 characters."))
        if len(set(options)) != len(options):
            raise ValidationError(_("Each option must be different."))
        return options


class PollVoteForm(forms.Form):
    def __init__(self, *args, poll, **kwargs):
        super().__init__(*args, **kwargs)
        choices = [(str(o.pk), o.text) for o in poll.options.all()]
        if poll.multiple:
            field = forms.MultipleChoiceField(widget=forms.CheckboxSelectMultiple)
        else:
            field = forms.ChoiceField(widget=forms.RadioSelect)
        field.label = _("Your answer")
        field.choices = choices
        self.fields["choice"] = field

    def clean_choice(self):
        value = self.cleaned_data["choice"]
        return [int(v) for v in (value if isinstance(value, list) else [value])]


class TopicFilterForm(forms.Form):
    MINE = [
        ("", _("All topics")),
        ("mine", _("Proposed by me")),
        ("cosigned", _("Co-signed by me")),
        ("following", _("Followed by me")),
    ]
    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    phase = forms.ChoiceField(
        label=_("Stage"),
        required=False,
        # Drafts are never listed, and a submitted topic moves on at once: neither can match.
        choices=[("", _("Any stage"))]
        + [c for c in Phase.choices if c[0] not in (Phase.DRAFT, Phase.SUBMITTED)],
    )
    category = forms.ChoiceField(
        label=_("Category"), required=False, choices=[("", _("Any category"))] + Category.choices
    )
    scope = forms.ChoiceField(
        label=_("Concerns"), required=False, choices=[("", _("Anywhere"))] + Scope.choices
    )
    mine = forms.ChoiceField(label=_("Show"), required=False, choices=MINE)
