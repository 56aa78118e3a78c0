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

from accounts.context_processors import TEXT_SIZE_COOKIE
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


@require_POST
def set_preferences(request):
    """Remembers language and text size: on the account when signed in, and on the device."""
    form = PreferencesForm(request.POST)
    response = redirect(_safe_next(request))
    if not form.is_valid():
        messages.error(request, _("That choice is not available."))
        return response
    language = form.cleaned_data["language"]
    size = form.cleaned_data["text_size"]
    user = request.user
    if language:
        translation.activate(language)
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            language,
            max_age=settings.LANGUAGE_COOKIE_AGE,
            samesite="Lax",
            secure=settings.LANGUAGE_COOKIE_SECURE,
        )
        if user.is_authenticated:
            user.language = language
            user.save(update_fields=["language"])
    if size:
        response.set_cookie(
            TEXT_SIZE_COOKIE,
            size,
            max_age=settings.LANGUAGE_COOKIE_AGE,
            samesite="Lax",
            secure=settings.LANGUAGE_COOKIE_SECURE,
        )
        if user.is_authenticated:
            user.text_size = size
            user.save(update_fields=["text_size"])
    return response


class ProfileForm(forms.Form):
    real_name = forms.CharField(label=gettext_lazy("Real name"), max_length=60, required=False)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def profile(request):
    form = ProfileForm(request.POST or None, initial={"real_name": request.user.real_name})
    if request.method == "POST" and form.is_valid():
        request.user.real_name = form.cleaned_data["real_name"].strip()
        request.user.save(update_fields=["real_name"])
        messages.success(request, _("Your profile was saved."))
        return redirect("profile")
    return render(request, "account/profile.html", {"form": form})
