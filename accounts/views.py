from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from accounts.context_processors import SESSION_TEXT_SIZE, TEXT_SIZE_COOKIE
from accounts.middleware import SESSION_LANGUAGE
from accounts.models import TextSize


class PreferencesForm(forms.Form):
    language = forms.ChoiceField(
        label=gettext_lazy("Language"), choices=settings.LANGUAGES, required=False
    )
    text_size = forms.ChoiceField(label=gettext_lazy("Text size"), choices=TextSize, required=False)


def _safe_next(request):
    target = request.POST.get("next") or request.META.get("HTTP_REFERER") or "/"
    if url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return "/"


def remember_on_device(request, response, *, language="", size=""):
    """Keep the choice for this browser: the session, and a cookie for the next visits."""
    cookie = {
        "max_age": settings.LANGUAGE_COOKIE_AGE,
        "samesite": "Lax",
        "secure": settings.LANGUAGE_COOKIE_SECURE,
    }
    if language:
        translation.activate(language)
        request.session[SESSION_LANGUAGE] = language
        response.set_cookie(settings.LANGUAGE_COOKIE_NAME, language, **cookie)
    if size:
        request.session[SESSION_TEXT_SIZE] = size
        response.set_cookie(TEXT_SIZE_COOKIE, size, **cookie)


@require_POST
def set_preferences(request):
    """Switches language and text size for this browser only.

    Several people may share one login; the choice saved for the account is made on the
    profile page.
    """
    form = PreferencesForm(request.POST)
    response = redirect(_safe_next(request))
    if not form.is_valid():
        messages.error(request, _("That choice is not available."))
        return response
    remember_on_device(
        request,
        response,
        language=form.cleaned_data["language"],
        size=form.cleaned_data["text_size"],
    )
    return response


class ProfileForm(forms.Form):
    real_name = forms.CharField(label=gettext_lazy("Real name"), max_length=60, required=False)
    language = forms.ChoiceField(
        label=gettext_lazy("Language"),
        choices=[("", gettext_lazy("As the browser asks"))] + list(settings.LANGUAGES),
        required=False,
        help_text=gettext_lazy("Used each time you log in on a new device."),
    )
    text_size = forms.ChoiceField(label=gettext_lazy("Text size"), choices=TextSize)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def profile(request):
    user = request.user
    initial = {"real_name": user.real_name, "language": user.language, "text_size": user.text_size}
    form = ProfileForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        user.real_name = form.cleaned_data["real_name"].strip()
        user.language = form.cleaned_data["language"]
        user.text_size = form.cleaned_data["text_size"]
        user.save(update_fields=["real_name", "language", "text_size"])
        response = redirect("profile")
        remember_on_device(request, response, language=user.language, size=user.text_size)
        messages.success(request, _("Your profile was saved."))
        return response
    return render(request, "account/profile.html", {"form": form})
