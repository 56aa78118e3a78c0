"""Forms of the opinion map: a statement, and the reason for hiding one."""

from django import forms
from django.utils.translation import gettext_lazy as _

from deliberation.messages import lazy_format
from deliberation.models.opinion import STATEMENT_MAX_LENGTH


class StatementForm(forms.Form):
    text = forms.CharField(
        label=_("Your statement"),
        max_length=STATEMENT_MAX_LENGTH,
        # Formatted when shown: the form is built once, and the reader's language varies.
        help_text=lazy_format(
            _(
                "One idea in a short sentence, up to %(limit)d characters. A worker checks "
                "it before others answer it."
            ),
            limit=STATEMENT_MAX_LENGTH,
        ),
        error_messages={
            "required": _("Please write your statement."),
            "max_length": _(
                "A statement can be at most %(limit_value)d characters; yours has %(show_value)d."
            ),
        },
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def clean_text(self):
        text = " ".join(self.cleaned_data["text"].split())
        if not text:
            raise forms.ValidationError(_("Please write your statement."), code="required")
        return text


class HideStatementForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for hiding"),
        max_length=300,
        error_messages={"required": _("Please give the reason for hiding the statement.")},
    )
