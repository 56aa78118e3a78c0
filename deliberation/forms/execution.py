"""Forms for 办 and 评: every input is checked here before a service sees it."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from deliberation.messages import lazy_format
from deliberation.models import (
    PartnerKind,
    PartnerUnit,
    RatingLevel,
    Responsible,
    Route,
    VisitChannel,
    VisitOutcome,
)
from deliberation.services.execution import MAX_PHOTOS


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class PhotosField(forms.FileField):
    """Up to MAX_PHOTOS photos, each checked and re-encoded by deliberation.uploads."""

    widget = MultipleFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"})

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("label", gettext_lazy("Photos"))
        kwargs.setdefault(
            "help_text",
            lazy_format(gettext_lazy("Up to %(n)s photos (JPEG, PNG or WebP)."), n=MAX_PHOTOS),
        )
        super().__init__(**kwargs)

    def clean(self, data, initial=None):
        from deliberation.uploads import validate_image

        files = [f for f in (data if isinstance(data, list | tuple) else [data]) if f]
        if len(files) > MAX_PHOTOS:
            raise ValidationError(_("Choose at most %(n)s photos.") % {"n": MAX_PHOTOS})
        return [validate_image(f) for f in files]


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class TaskForm(forms.Form):
    title = forms.CharField(label=gettext_lazy("What is to be done"), max_length=200)
    description = forms.CharField(
        label=gettext_lazy("Details"),
        max_length=3000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    responsible = forms.ChoiceField(
        label=gettext_lazy("Responsible party"), choices=Responsible.choices
    )
    assignee = forms.ModelChoiceField(
        label=gettext_lazy("Person in charge"),
        queryset=None,
        required=False,
        help_text=gettext_lazy("Optional: a named worker of the community."),
    )
    route = forms.ChoiceField(
        label=gettext_lazy("Route"),
        choices=Route.choices,
        initial=Route.IMMEDIATE,
        help_text=gettext_lazy("即办 on the spot, 申办 to a higher level, 转办 to a department."),
    )
    due_date = forms.DateField(label=gettext_lazy("Due date"), widget=DateInput(), required=False)
    due_reason = forms.CharField(
        label=gettext_lazy("Reason for another date"), max_length=300, required=False
    )

    def __init__(self, *args, workers, default_due, may_set_due, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = workers
        self.fields["assignee"].label_from_instance = lambda u: u.display_name
        self.default_due = default_due
        self.fields["due_date"].initial = default_due
        self.fields["due_date"].help_text = _("Default: %(d)s.") % {"d": date_format(default_due)}
        if not may_set_due:
            del self.fields["due_date"]
            del self.fields["due_reason"]

    def clean_due_date(self):
        due = self.cleaned_data.get("due_date")
        if due and due < timezone.localdate():
            raise ValidationError(_("The due date is in the past. Choose today or later."))
        return due

    def clean(self):
        data = super().clean()
        due = data.get("due_date")
        if due and due != self.default_due and not (data.get("due_reason") or "").strip():
            self.add_error("due_reason", _("Say why the task needs a date other than the default."))
        return data


class ProgressForm(forms.Form):
    text = forms.CharField(
        label=gettext_lazy("What was done"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    percent = forms.IntegerField(label=gettext_lazy("Progress (%)"), min_value=0, max_value=99)
    photos = PhotosField()


class CompleteForm(forms.Form):
    text = forms.CharField(
        label=gettext_lazy("Evidence: what was done"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    photos = PhotosField()


class DispatchForm(forms.Form):
    unit = forms.ModelChoiceField(
        label=gettext_lazy("Co-building unit"), queryset=PartnerUnit.objects.none()
    )
    note = forms.CharField(
        label=gettext_lazy("Message to the unit"), max_length=300, required=False
    )

    def __init__(self, *args, units, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units


class AnswerForm(forms.Form):
    answer = forms.ChoiceField(
        label=gettext_lazy("Your answer"),
        choices=[
            ("accept", gettext_lazy("Accept the task")),
            ("decline", gettext_lazy("Decline the task")),
        ],
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(
        label=gettext_lazy("Reason"),
        max_length=300,
        required=False,
        help_text=gettext_lazy("Needed when you decline."),
    )

    def clean(self):
        data = super().clean()
        if data.get("answer") == "decline" and not (data.get("reason") or "").strip():
            self.add_error("reason", _("Please give a reason for declining."))
        return data


class SupervisionForm(forms.Form):
    text = forms.CharField(
        label=gettext_lazy("Supervision note"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class RatingForm(forms.Form):
    level = forms.ChoiceField(
        label=gettext_lazy("How satisfied are you with the result?"),
        choices=RatingLevel.choices,
        widget=forms.RadioSelect,
    )
    tasks = forms.TypedMultipleChoiceField(
        label=gettext_lazy("If you are dissatisfied: which work is not right?"),
        help_text=gettext_lazy(
            "Tick the work that should be redone. Leave empty if it is all of it."
        ),
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    comment = forms.CharField(
        label=gettext_lazy("Comment"),
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, tasks=(), **kwargs):
        super().__init__(*args, **kwargs)
        if len(tasks) > 1:
            self.fields["tasks"].choices = [(t.pk, t.title) for t in tasks]
        else:  # one task: a dissatisfied rating is about it
            del self.fields["tasks"]


class ReopenForm(forms.Form):
    """The worker sends a result back: which of the round's tasks are redone."""

    tasks = forms.TypedMultipleChoiceField(
        label=gettext_lazy("Work to redo"),
        help_text=gettext_lazy(
            "Every task of this round is listed; the ones residents rated as not right are ticked."
        ),
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": gettext_lazy("Choose at least one task to redo.")},
    )
    note = forms.CharField(
        label=gettext_lazy("What must be done differently"),
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("Posted on the notice board with the reopening."),
    )

    def __init__(self, *args, tasks=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["tasks"].choices = [(t.pk, task_label(t)) for t in tasks]


def task_label(task):
    who = task.partner_unit.name if task.partner_unit_id else task.get_responsible_display()
    label = f"{task.title} ({who})"
    if task.complaints:
        label += " · " + ngettext(
            "named as not right in %(n)s dissatisfied rating",
            "named as not right in %(n)s dissatisfied ratings",
            task.complaints,
        ) % {"n": task.complaints}
    return label


class VisitForm(forms.Form):
    visited_on = forms.DateField(label=gettext_lazy("Date of the visit"), widget=DateInput())
    channel = forms.ChoiceField(label=gettext_lazy("How"), choices=VisitChannel.choices)
    outcome = forms.ChoiceField(label=gettext_lazy("Outcome"), choices=VisitOutcome.choices)
    resident_rating = forms.ChoiceField(
        label=gettext_lazy("The resident's own rating"),
        choices=[("", gettext_lazy("Not given (they rate in the app)")), *RatingLevel.choices],
        required=False,
    )
    notes = forms.CharField(
        label=gettext_lazy("Notes"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def clean_visited_on(self):
        day = self.cleaned_data["visited_on"]
        if day > timezone.localdate():
            raise ValidationError(_("The visit date cannot be in the future."))
        return day


class PartnerForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=100)
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=PartnerKind.choices)
    description = forms.CharField(
        label=gettext_lazy("About the unit"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    contacts = forms.ModelMultipleChoiceField(
        label=gettext_lazy("Contacts"),
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, contacts, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["contacts"].queryset = contacts
        self.fields["contacts"].label_from_instance = lambda u: u.display_name


class OfferingForm(forms.Form):
    unit = forms.ModelChoiceField(label=gettext_lazy("Unit"), queryset=PartnerUnit.objects.none())
    title = forms.CharField(label=gettext_lazy("What you offer"), max_length=120)
    description = forms.CharField(
        label=gettext_lazy("Details"),
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, units, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units


class OrderForm(forms.Form):
    """点单: what a resident tells the unit about the service they need."""

    details = forms.CharField(
        label=gettext_lazy("What do you need, and when?"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=gettext_lazy("For example: two people, any weekday morning next week."),
        error_messages={"required": gettext_lazy("Please say what you need, and when.")},
    )
    location = forms.CharField(
        label=gettext_lazy("Where (building and flat, or a place)"),
        max_length=200,
        required=False,
    )


class PeriodForm(forms.Form):
    """The dashboard's period: whole months, from and to (inclusive)."""

    start = forms.DateField(
        label=gettext_lazy("From month"),
        required=False,
        input_formats=["%Y-%m"],
        widget=forms.DateInput(attrs={"type": "month"}, format="%Y-%m"),
    )
    end = forms.DateField(
        label=gettext_lazy("To month"),
        required=False,
        input_formats=["%Y-%m"],
        widget=forms.DateInput(attrs={"type": "month"}, format="%Y-%m"),
    )

    def clean(self):
        data = super().clean()
        if data.get("start") and data.get("end") and data["start"] > data["end"]:
            raise ValidationError(_("The first month must come before the last."))
        return data
