"""Forms for the notice board: an objection (异议) and its answer."""

from django import forms
from django.utils.translation import gettext_lazy as _


class ObjectionForm(forms.Form):
    text = forms.CharField(
        label=_("Your objection"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Say what you object to and why. It is recorded and answered in writing."),
        error_messages={"required": _("Write what you object to.")},
    )


class AnswerObjectionForm(forms.Form):
    objection = forms.IntegerField(widget=forms.HiddenInput)
    answer = forms.CharField(
        label=_("Answer"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("Write the answer.")},
    )


class ReceiptForm(forms.Form):
    code = forms.CharField(
        label=_("Code on the signed receipt slip"),
        max_length=20,
        help_text=_("Type the 8 characters printed on the slip the household signed."),
    )
