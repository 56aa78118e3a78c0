from django.conf import settings
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.utils import translation

# The language chosen in this browser session. A language belongs to the person at the
# screen, not to the account: a family or a grid team may share one login, and one person's
# switch must not change the pages of everyone else signed in as the same account.
SESSION_LANGUAGE = "gy_language"


def session_language(request):
    session = getattr(request, "session", None)
    language = session.get(SESSION_LANGUAGE, "") if session is not None else ""
    return language if translation.check_for_language(language or "") else ""


class PreferencesMiddleware:
    """Applies the language chosen in this browser session over the browser's guess.

    Order of precedence: this session's choice, then this device's cookie and the browser's
    languages (Django's LocaleMiddleware), and at login the language saved in the profile.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        language = session_language(request)
        if language:
            translation.activate(language)
            request.LANGUAGE_CODE = language
        return self.get_response(request)


@receiver(user_logged_in, dispatch_uid="gongyi-profile-language-at-login")
def apply_profile_language(sender, request, user, **kwargs):
    """At login, the language saved in the profile applies to this session, unless this
    device has already been switched to a language of its own."""
    if request is None or not getattr(user, "language", ""):
        return
    if request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME):
        return
    if translation.check_for_language(user.language):
        request.session[SESSION_LANGUAGE] = user.language
