"""Forms for owners' assembly votes: every input is checked here before a service runs."""

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from accounts.phone import normalise_phone
from deliberation.models import (
    BallotChoice,
    Candidate,
    ConvenedBy,
    ElectorateEntry,
    Holder,
    MatterKind,
    SelectionMethod,
    Topic,
)
from deliberation.models.vote import MATTER_CODES
from deliberation.uploads import validate_image, validate_pdf

DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
ORDINARY = [
    (BallotChoice.YES, BallotChoice.YES.label),
    (BallotChoice.NO, BallotChoice.NO.label),
    (BallotChoice.ABSTAIN, BallotChoice.ABSTAIN.label),
]
MATTER_CHOICES = MATTER_CODES
PDF_MAGIC = b"%PDF-"


class WindowForm(forms.Form):
    opens_at = forms.DateTimeField(label=_("Voting opens"), widget=DATETIME)
    closes_at = forms.DateTimeField(label=_("Voting closes"), widget=DATETIME)

    def clean(self):
        data = super().clean()
        if data.get("opens_at") and data.get("closes_at"):
            if data["closes_at"] <= data["opens_at"]:
                raise ValidationError(_("Voting must close after it opens."))
        return data


def offer_estates(field, community, estates):
    """Offer only `estates` (those the person may act for) but accept any of the community's:
    a request naming another estate reaches the service, which refuses it (403)."""
    field.queryset = community.estates.order_by("name")
    if estates is not None:
        field.widget.choices = [(e.pk, str(e)) for e in estates]


class ConveneForm(WindowForm):
    estate = forms.ModelChoiceField(label=_("Estate"), queryset=None, empty_label=None)
    title = forms.CharField(label=_("Title"), max_length=150)
    description = forms.CharField(
        label=_("Description"), max_length=5000, required=False, widget=forms.Textarea
    )
    convened_by = forms.ChoiceField(label=_("Convened by"), choices=ConvenedBy.choices)
    allow_change = forms.BooleanField(
        label=_("Owners may change their ballot before closing"), required=False
    )
    topic = forms.ModelChoiceField(
        label=_("Topic this vote decides"), queryset=None, required=False
    )

    field_order = ["estate", "title", "description", "convened_by", "opens_at", "closes_at"]

    def __init__(self, *args, community, estates=None, **kwargs):
        super().__init__(*args, **kwargs)
        offer_estates(self.fields["estate"], community, estates)
        self.fields["topic"].queryset = Topic.objects.filter(
            community=community, needs_owner_vote=True
        ).order_by("-created_at")


class MatterForm(forms.Form):
    code = forms.ChoiceField(label=_("Matter (Civil Code art. 278)"), choices=MATTER_CHOICES)
    kind = forms.ChoiceField(label=_("Kind"), choices=MatterKind.choices)
    title = forms.CharField(label=_("Title"), max_length=150)
    text = forms.CharField(label=_("Text"), max_length=10000, required=False, widget=forms.Textarea)
    seats = forms.IntegerField(
        label=_("Seats (committee elections)"), min_value=1, max_value=11, initial=1
    )


class PhoneUserField(forms.CharField):
    """A registered user, found by mobile number."""

    def clean(self, value):
        value = super().clean(value)
        if not value:
            return None
        phone = normalise_phone(value)
        user = User.objects.filter(phone=phone).first() if phone else None
        if user is None:
            raise ValidationError(_("Nobody is registered with this mobile number."))
        return user


class TellerForm(forms.Form):
    user = PhoneUserField(label=_("Teller's mobile number"), max_length=20)


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=2000, widget=forms.Textarea)

    def clean_reason(self):
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise ValidationError(_("Give a reason."))
        return reason


class CandidateForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    nominated_by = forms.ChoiceField(
        label=_("Nominated by"),
        choices=[
            (c, label)
            for c, label in Candidate.Nomination.choices
            if c not in ("self", "selection")
        ],
    )
    nominators = forms.IntegerField(
        label=_("Number of nominating owners"), min_value=0, initial=0, required=False
    )
    party_member = forms.BooleanField(label=_("Party member"), required=False)
    profile = forms.CharField(
        label=_("Profile"), max_length=3000, required=False, widget=forms.Textarea
    )

    def __init__(self, *args, community, **kwargs):
        super().__init__(*args, **kwargs)
        # The threshold is a local rule of the community, so the hint reads it from there.
        self.fields["nominators"].help_text = gettext(
            "A nomination by owners needs at least %(n)s owners."
        ) % {"n": community.owner_nominators_needed}


class VetForm(forms.Form):
    result = forms.ChoiceField(
        label=_("Vetting result"),
        choices=[(c, label) for c, label in Candidate.Vetting.choices if c != "pending"],
        widget=forms.RadioSelect,
    )
    reasons = forms.CharField(
        label=_("Reasons"), max_length=2000, required=False, widget=forms.Textarea
    )
    party_opinion = forms.CharField(
        label=_("Opinion of the Party organisation"),
        max_length=2000,
        required=False,
        widget=forms.Textarea,
    )


def _candidate_choices(matter):
    approved = getattr(matter, "approved", None)  # prefetched by the vote page
    if approved is None:
        approved = matter.candidates.filter(vetting_result=Candidate.Vetting.APPROVED).order_by(
            "pk"
        )
    return [(str(c.pk), c.name) for c in approved]


# The online ballot's own box for "none of these candidates": a blank election ballot.
BLANK = "blank"


class BallotForm(forms.Form):
    """One field per matter of the notice: agree/oppose/abstain, or candidates to approve."""

    def __init__(self, *args, matters, paper=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.matters = list(matters)
        self.paper = paper
        for matter in self.matters:
            name = f"m{matter.pk}"
            if matter.is_election:
                self.fields[name] = forms.MultipleChoiceField(
                    label=matter.title,
                    choices=_candidate_choices(matter),
                    required=False,
                    widget=forms.CheckboxSelectMultiple,
                    help_text=_("Mark up to %(n)s.") % {"n": matter.seats},
                )
                if paper:
                    self.fields[f"{name}_spoiled"] = forms.BooleanField(
                        label=_("Spoiled (unreadable or not signed)"), required=False
                    )
                else:
                    # A blank ballot still takes part; it is cast only when the owner says so,
                    # never by pressing the button with nothing ticked.
                    self.fields[name].choices = [
                        *self.fields[name].choices,
                        (BLANK, _("I approve none of these candidates (a blank ballot)")),
                    ]
            else:
                choices = ORDINARY + (
                    [(BallotChoice.SPOILED, BallotChoice.SPOILED.label)] if paper else []
                )
                self.fields[name] = forms.ChoiceField(
                    label=matter.title,
                    choices=choices,
                    widget=forms.RadioSelect,
                    error_messages={"required": _("Choose agree, oppose or abstain.")},
                )

    def clean(self):
        data = super().clean()
        for matter in self.matters:
            name = f"m{matter.pk}"
            picked = data.get(name)
            blank = matter.is_election and BLANK in (picked or [])
            if matter.is_election:
                picked = [value for value in picked or [] if value != BLANK]
            if matter.is_election and picked and len(picked) > matter.seats and not self.paper:
                self.add_error(name, _("Mark at most %(n)s candidates.") % {"n": matter.seats})
            if matter.is_election and not self.paper:
                if not picked and not blank:
                    self.add_error(
                        name,
                        _(
                            "Tick the candidates you approve, or tick “I approve none of these "
                            "candidates” to cast a blank ballot."
                        ),
                    )
                elif picked and blank:
                    self.add_error(
                        name,
                        _("You ticked candidates and a blank ballot. Choose one or the other."),
                    )
        return data

    def choices(self):
        """{matter: choice or [candidate ids]} for the services."""
        out = {}
        for matter in self.matters:
            value = self.cleaned_data.get(f"m{matter.pk}")
            if matter.is_election:
                if self.cleaned_data.get(f"m{matter.pk}_spoiled"):
                    out[matter] = BallotChoice.SPOILED
                else:
                    out[matter] = [int(v) for v in value or [] if v != BLANK]
            else:
                out[matter] = value
        return out


class UnitField(forms.CharField):
    """A unit of the vote's frozen electorate, by its label (e.g. 1号楼-1单元-101)."""

    def __init__(self, *args, vote=None, **kwargs):
        self.vote = vote
        super().__init__(*args, **kwargs)

    def clean(self, value):
        value = super().clean(value).strip()
        entry = (
            ElectorateEntry.objects.filter(vote=self.vote, unit_label=value)
            .select_related("holder")
            .first()
        )
        if entry is None:
            raise ValidationError(
                _("No unit “%(label)s” in this vote's register. Write it as on the ballot.")
                % {"label": value}
            )
        return entry


class PaperBallotForm(BallotForm):
    """One teller's reading of one paper ballot: when it was handed in, and each matter still
    to be entered for its flat (`matters`; all of the vote's when the flat is not known yet)."""

    def __init__(self, *args, vote, matters=None, **kwargs):
        if matters is None:
            matters = vote.matters.order_by("position")
        super().__init__(*args, matters=matters, paper=True, **kwargs)
        self.fields["unit"] = UnitField(
            label=_("Unit on the ballot"), max_length=80, vote=vote, widget=forms.HiddenInput
        )
        self.fields["collected_at"] = forms.DateTimeField(
            label=_("Handed in at"),
            widget=DATETIME,
            help_text=_(
                "As in the collection log or on the envelope. Only ballots handed in before "
                "voting closed are entered."
            ),
        )
        self.order_fields(["unit", "collected_at"])


class FindBallotForm(forms.Form):
    ballot = forms.CharField(
        label=_("Code on the ballot, or the unit"),
        max_length=300,
        help_text=_(
            "Scan the QR code, or type the entry code printed under it (e.g. ABCD-EFGH) or "
            "the unit as written on the ballot."
        ),
    )


def validate_document(upload, wrong_type=None):
    """A signed mandate or another document: a PDF or a photo, within the size limit.

    Returns (bytes, type); the type is sniffed from the content. A PDF must open in a PDF
    parser (deliberation.uploads.validate_pdf), a photo is re-encoded; anything else is
    refused. `wrong_type` is the message for a file that is neither (the default speaks of the
    signed mandate).
    """
    limit = settings.UPLOAD_MAX_BYTES
    too_large = ValidationError(
        _("The file is too large: the limit is %(mb)s MB.") % {"mb": limit // 2**20},
        code="too_large",
    )
    wrong = ValidationError(
        wrong_type or _("Upload the signed mandate as a PDF or a photo (JPEG or PNG)."),
        code="not_document",
    )
    if upload.size is not None and upload.size > limit:
        raise too_large
    head = upload.read(len(PDF_MAGIC))
    upload.seek(0)
    if head == PDF_MAGIC:
        data = upload.read(limit + 1)
        if len(data) > limit:
            raise too_large
        return validate_pdf(data), "application/pdf"
    try:
        return validate_image(upload)
    except ValidationError as error:
        if error.code == "too_large":
            raise too_large from None
        raise wrong from None


class AttachmentForm(forms.Form):
    """A document for one matter of the notice (a repair quote, a plan, a drawing)."""

    document = forms.FileField(label=_("Document for this matter (PDF or photo)"))

    def clean_document(self):
        return validate_document(
            self.cleaned_data["document"],
            wrong_type=_("Attach the document as a PDF or a photo (JPEG or PNG)."),
        )


class MandateForm(forms.Form):
    agent = PhoneUserField(label=_("Agent's mobile number"), max_length=20)
    document = forms.FileField(label=_("Signed written mandate (PDF or photo)"))

    def __init__(self, *args, vote, **kwargs):
        super().__init__(*args, **kwargs)
        self.vote = vote
        self.fields["unit"] = UnitField(label=_("Owner's unit"), max_length=80, vote=vote)
        self.matters = list(vote.matters.order_by("position"))
        for matter in self.matters:
            name = f"m{matter.pk}"
            if matter.is_election:
                self.fields[name] = forms.MultipleChoiceField(
                    label=_("Instruction: %(title)s") % {"title": matter.title},
                    choices=_candidate_choices(matter),
                    required=False,
                    widget=forms.CheckboxSelectMultiple,
                )
            else:
                self.fields[name] = forms.ChoiceField(
                    label=_("Instruction: %(title)s") % {"title": matter.title},
                    choices=[("", _("Not covered by the mandate")), *ORDINARY],
                    required=False,
                )
        self.order_fields(["unit", "agent"])

    def clean_document(self):
        return validate_document(self.cleaned_data["document"])

    def instructions(self):
        out = {}
        for matter in self.matters:
            value = self.cleaned_data.get(f"m{matter.pk}")
            if matter.is_election and value:
                out[matter] = [int(v) for v in value]
            elif value:
                out[matter] = value
        return out

    def clean(self):
        data = super().clean()
        if not self.errors and not self.instructions():
            raise ValidationError(_("Give the owner's instruction for at least one matter."))
        return data


class AmendForm(forms.Form):
    area = forms.DecimalField(
        label=_("Corrected area (m²)"),
        max_digits=10,
        decimal_places=2,
        min_value=0.01,
        required=False,
    )
    holder_phone = forms.CharField(
        label=_("New holder's mobile number (after a sale)"), max_length=20, required=False
    )
    reason = forms.CharField(label=_("Reason"), max_length=2000, widget=forms.Textarea)

    def __init__(self, *args, vote, **kwargs):
        super().__init__(*args, **kwargs)
        self.vote = vote
        self.fields["unit"] = UnitField(label=_("Unit"), max_length=80, vote=vote)
        self.order_fields(["unit", "area", "holder_phone", "reason"])

    def clean_reason(self):
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise ValidationError(_("An amendment needs a reason."))
        return reason

    def clean_holder_phone(self):
        raw = self.cleaned_data["holder_phone"].strip()
        if not raw:
            return None
        holder = Holder.objects.filter(
            community_id=self.vote.community_id, phone__in={raw, normalise_phone(raw) or raw}
        ).first()
        if holder is None:
            raise ValidationError(_("No holder in this community has this mobile number."))
        return holder

    def clean(self):
        data = super().clean()
        if not self.errors and data.get("area") is None and data.get("holder_phone") is None:
            raise ValidationError(_("Give the corrected area or the new holder."))
        return data


class ReceiptForm(forms.Form):
    code = forms.CharField(label=_("Receipt code"), max_length=20, min_length=10)


class PlanForm(forms.Form):
    estate = forms.ModelChoiceField(label=_("Estate"), queryset=None, empty_label=None)
    title = forms.CharField(label=_("Title"), max_length=150)
    scope = forms.CharField(label=_("Scope of service"), max_length=3000, widget=forms.Textarea)
    service_standard = forms.CharField(
        label=_("Service standard"), max_length=3000, widget=forms.Textarea
    )
    price_min = forms.DecimalField(
        label=_("Lowest price (yuan/m²/month)"), max_digits=6, decimal_places=2, min_value=0
    )
    price_max = forms.DecimalField(
        label=_("Highest price (yuan/m²/month)"), max_digits=6, decimal_places=2, min_value=0
    )
    method = forms.ChoiceField(label=_("Method"), choices=SelectionMethod.choices)

    def __init__(self, *args, community, estates=None, **kwargs):
        super().__init__(*args, **kwargs)
        offer_estates(self.fields["estate"], community, estates)

    def clean(self):
        data = super().clean()
        low, high = data.get("price_min"), data.get("price_max")
        if low is not None and high is not None and high < low:
            raise ValidationError(_("The highest price must not be below the lowest."))
        return data


class ApplicationForm(forms.Form):
    company_name = forms.CharField(label=_("Company"), max_length=150)
    licence = forms.CharField(label=_("Business licence number"), max_length=60)
    price = forms.DecimalField(
        label=_("Price (yuan/m²/month)"), max_digits=6, decimal_places=2, min_value=0
    )
    service_plan = forms.CharField(label=_("Service plan"), max_length=5000, widget=forms.Textarea)
    attachment = forms.FileField(label=_("Attachment (PDF or photo)"), required=False)

    def clean_attachment(self):
        upload = self.cleaned_data.get("attachment")
        return validate_document(upload) if upload else None


class ShortlistForm(forms.Form):
    shortlisted = forms.TypedChoiceField(
        label=_("Decision"),
        choices=[("1", _("Shortlist")), ("0", _("Exclude"))],
        coerce=lambda v: v == "1",
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(label=_("Reason"), max_length=2000, widget=forms.Textarea)


class ApproveForm(forms.Form):
    basis = forms.CharField(
        label=_("Approved by (the assembly decision or committee minutes)"), max_length=500
    )
