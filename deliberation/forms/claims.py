"""Forms for claiming a flat in the owners' register and for answering a claim."""

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from deliberation.models import Building, Unit


def _building_choices():
    """Buildings grouped by community, each named with its estate (two estates may both
    have a 1号楼), for the person to find their own."""
    groups = {}
    buildings = Building.objects.select_related("estate__community").order_by(
        "estate__community__name", "estate__name", "name"
    )
    for b in buildings:
        groups.setdefault(b.estate.community.name, []).append((b.pk, f"{b.estate.name} {b.name}"))
    return [("", "—")] + list(groups.items())


def _stairwell_spellings(value):
    """People write 2, 2单元 or 二单元 for the register's 2单元."""
    value = value.replace(" ", "")
    bare = value.removesuffix("单元")
    return {value, bare, bare + "单元"}


class FlatClaimForm(forms.Form):
    building = forms.TypedChoiceField(label=gettext_lazy("Building"), coerce=int)
    stairwell = forms.CharField(
        label=gettext_lazy("Stairwell (optional)"),
        max_length=20,
        required=False,
        help_text=gettext_lazy("Needed where several stairwells have the same flat number."),
    )
    number = forms.CharField(
        label=gettext_lazy("Flat number"),
        max_length=30,
        help_text=gettext_lazy("As on the property certificate, e.g. 301."),
    )
    name = forms.CharField(
        label=gettext_lazy("Owner's name"),
        max_length=100,
        help_text=gettext_lazy("As in the owners' register, usually as on the identity card."),
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    id_last4 = forms.CharField(
        label=gettext_lazy("Last four characters of the identity card number"),
        max_length=4,
        required=False,
        help_text=gettext_lazy("Not needed when you ask a community worker to check."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "size": 4}),
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.fields["building"].choices = _building_choices()
        self.unit = None

    def clean_id_last4(self):
        value = self.cleaned_data["id_last4"].strip().upper()
        if value and (len(value) != 4 or not value.isalnum()):
            raise forms.ValidationError(_("Enter exactly four digits (the last may be X)."))
        return value

    def clean(self):
        cleaned = super().clean()
        building, number = cleaned.get("building"), (cleaned.get("number") or "").strip()
        stairwell = (cleaned.get("stairwell") or "").strip()
        if building and number:
            units = Unit.objects.filter(building_id=building, number__iexact=number)
            if stairwell:
                units = units.filter(stairwell__in=_stairwell_spellings(stairwell))
            units = list(units.select_related("building__estate")[:2])
            if not units:
                self.add_error("number", _("This building has no flat with that number."))
            elif len(units) > 1:
                self.add_error(
                    "stairwell",
                    _("Several stairwells have this flat number: say which stairwell."),
                )
            else:
                self.unit = units[0]
        return cleaned

    def require_last4(self):
        if not self.cleaned_data.get("id_last4"):
            self.add_error(
                "id_last4",
                _("Enter the last four characters, or ask a community worker to check."),
            )
            return False
        return True


class ClaimAnswerForm(forms.Form):
    """Confirm (with the holder whose papers were seen) or decline (with the reason); the
    pressed button names the action."""

    holder = forms.TypedChoiceField(
        label=gettext_lazy("Owner in the register"), coerce=int, required=False, empty_value=None
    )
    reason = forms.CharField(label=gettext_lazy("Reason"), max_length=300, required=False)

    def __init__(self, *args, holders=(), action=None, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.action = action
        self.fields["holder"].choices = [("", "—")] + [(h.pk, h.name) for h in holders]

    def clean(self):
        cleaned = super().clean()
        if self.action not in ("confirm", "decline"):
            raise forms.ValidationError(_("Press Confirm and link, or Refuse the link."))
        if self.action == "confirm" and not cleaned.get("holder"):
            self.add_error("holder", _("Choose the owner whose papers you have seen."))
        if self.action == "decline" and not (cleaned.get("reason") or "").strip():
            self.add_error("reason", _("Say why, so the person knows what to bring."))
        return cleaned
