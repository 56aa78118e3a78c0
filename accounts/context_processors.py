from accounts.models import TextSize

TEXT_SIZE_COOKIE = "gy_text"


def text_size(request):
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return user.text_size
    value = request.COOKIES.get(TEXT_SIZE_COOKIE, TextSize.NORMAL)
    return value if value in TextSize.values else TextSize.NORMAL


def preferences(request):
    return {"large_text": text_size(request) == TextSize.LARGE}
