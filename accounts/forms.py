"""allauth's forms, shaped for people signing in on a phone."""

from allauth.account.forms import ChangePasswordForm as AllauthChangePasswordForm
from allauth.account.forms import LoginForm as AllauthLoginForm
from allauth.account.forms import ResetPasswordKeyForm as AllauthResetPasswordKeyForm
from allauth.account.forms import SetPasswordForm as AllauthSetPasswordForm
from allauth.account.forms import SignupForm as AllauthSignupForm
from allauth.account.forms import VerifyPhoneForm as AllauthVerifyPhoneForm
from django.utils.translation import gettext_lazy as _

# The login box takes a mobile number or an email address. On a phone the number pad is what
# most people need (11 digits), but a pad has no letters or "@": whoever signs in by email
# follows a plain link to the same form with an email keyboard (?by=email), which works with
# or without script.
BY_EMAIL = "email"


def login_mode(request):
    if request is None:
        return "phone"
    chosen = request.POST.get("by") or request.GET.get("by")
    return BY_EMAIL if chosen == BY_EMAIL else "phone"


def password_reveal_attrs():
    """Attributes static/js/password.js reads to add a show/hide button after the input."""
    return {
        "data-password-reveal": "",
        "data-show-label": _("Show password"),
        "data-hide-label": _("Hide password"),
    }


class LoginForm(AllauthLoginForm):
    """Mobile number (number pad) or email, then the password; the reset link goes below it."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.mode = login_mode(self.request)
        login = self.fields["login"]
        attrs = {
            "autocomplete": "username",
            "autocapitalize": "none",
            "spellcheck": "false",
            "placeholder": "",
        }
        if self.mode == BY_EMAIL:
            login.label = _("Email address")
            attrs["inputmode"] = "email"
        else:
            login.label = _("Mobile number")
            login.help_text = _("11 digits, e.g. 13800000000")
            attrs["inputmode"] = "tel"
        login.widget.input_type = "text"
        login.widget.attrs.update(attrs)
        password = self.fields["password"]
        password.help_text = ""  # "Forgot your password?" sits under the field, in the page
        password.widget.attrs.update(password_reveal_attrs())
        password.widget.attrs.pop("placeholder", None)


class RevealPasswordsMixin:
    """The show-password button on every password box of the form; labels without a colon."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        for name in ("oldpassword", "password1", "password2"):
            if name in self.fields:
                self.fields[name].widget.attrs.update(password_reveal_attrs())
                self.fields[name].widget.attrs.pop("placeholder", None)


class SignupForm(RevealPasswordsMixin, AllauthSignupForm):
    """allauth's sign-up, with the show-password button on both password boxes."""


class ChangePasswordForm(RevealPasswordsMixin, AllauthChangePasswordForm):
    pass


class SetPasswordForm(RevealPasswordsMixin, AllauthSetPasswordForm):
    pass


class ResetPasswordKeyForm(RevealPasswordsMixin, AllauthResetPasswordKeyForm):
    pass


class VerifyPhoneForm(AllauthVerifyPhoneForm):
    """The SMS code: six digits, typed on the number pad (or filled in by the phone)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        code = self.fields["code"]
        code.label = _("Code from the SMS")
        code.widget.attrs.pop("placeholder", None)
        code.widget.attrs.update(
            {"inputmode": "numeric", "autocomplete": "one-time-code", "maxlength": "6"}
        )
