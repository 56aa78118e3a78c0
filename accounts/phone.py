"""Mobile numbers as people type them (138 0000 0001) stored as E.164 (+8613800000001)."""

import re

from allauth.account.fields import PhoneField
from django.utils.translation import gettext_lazy as _

CN_MOBILE = re.compile(r"^1[3-9]\d{9}$")


def normalise_phone(value):
    """Return the E.164 form of a mobile number, or the cleaned input if it is not one."""
    value = re.sub(r"[\s\-()]", "", value or "")
    if CN_MOBILE.match(value):
        return "+86" + value
    if value.startswith("0086"):
        return "+" + value[2:]
    if value.startswith("86") and CN_MOBILE.match(value[2:]):
        return "+" + value
    return value


def local_phone(e164):
    """+8613800000001 → 13800000001, for showing to people in China."""
    return e164[3:] if e164 and e164.startswith("+86") else (e164 or "")


class MobileField(PhoneField):
    default_error_messages = {
        "invalid_phone": _("Enter an 11-digit mobile number, e.g. 13800000000."),
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.widget.attrs.update({"placeholder": "", "inputmode": "tel", "autocomplete": "tel"})
        self.label = kwargs.get("label") or _("Mobile number")

    def to_python(self, value):
        return normalise_phone(super().to_python(value))
