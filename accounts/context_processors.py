from accounts.models import TextSize

TEXT_SIZE_COOKIE = "gy_text"
SESSION_TEXT_SIZE = "gy_text"


def text_size(request):
    """This session's choice, else this device's cookie, else the profile's."""
    session = getattr(request, "session", None)
    value = session.get(SESSION_TEXT_SIZE) if session is not None else None
    if value is None:
        value = request.COOKIES.get(TEXT_SIZE_COOKIE)
    if value is None:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            value = user.text_size
    return value if value in TextSize.values else TextSize.NORMAL


def preferences(request):
    return {"large_text": text_size(request) == TextSize.LARGE}
