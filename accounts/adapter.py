from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context
from allauth.core.exceptions import ImmediateHttpResponse
from django.conf import settings
from django.core.cache import cache
from django.shortcuts import render
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.phone import MobileField, normalise_phone
from accounts.sms import send_template_sms


class AccountAdapter(DefaultAccountAdapter):
    """Stores the mobile number on the user and sends codes through accounts.sms."""

    def phone_form_field(self, **kwargs):
        return MobileField(**kwargs)

    def clean_phone(self, phone):
        return normalise_phone(phone)

    def send_verification_code_sms(self, user, phone, code, **kwargs):
        refuse_if_sms_throttled(phone)
        # Gateways send verification codes through a template of their own kind (Alibaba
        # Cloud's 验证码 templates), never as free text.
        send_template_sms(
            phone,
            template="verification_code",
            params={"code": code},
            text=_("Your Gongyi verification code is %(code)s.") % {"code": code},
        )

    def set_phone(self, user, phone, verified):
        user.phone = phone
        user.phone_verified = verified
        user.save(update_fields=["phone", "phone_verified"])

    def get_phone(self, user):
        return (user.phone, user.phone_verified) if user.phone else None

    def set_phone_verified(self, user, phone):
        self.set_phone(user, phone, True)

    def get_user_by_phone(self, phone):
        return User.objects.filter(phone=normalise_phone(phone)).order_by("pk").first()

    def _get_login_attempts_cache_key(self, request, **credentials):
        """The failed-login counter's key: one per account, whichever way it is named.

        allauth builds it from the e-mail or username only, which is blank for a login by
        mobile number: every phone login shared one counter, and five wrong passwords for any
        number locked everybody out. Here a login that names an account (by number or e-mail)
        counts against that account, so the same person typed as 138 0000 0001, +86138…, or by
        e-mail shares one lockout; a login naming nobody counts against its normalised text.
        """
        return login_attempts_key(credentials)


def login_attempts_key(credentials):
    phone = normalise_phone(credentials.get("phone") or "")
    email = (credentials.get("email") or credentials.get("username") or "").strip().lower()
    user = None
    if phone:
        user = User.objects.filter(phone=phone).order_by("pk").only("pk").first()
    elif email:
        user = User.objects.filter(email__iexact=email).order_by("pk").only("pk").first()
    if user is not None:
        return f"login:user:{user.pk}"
    if phone:
        return f"login:phone:{phone}"
    return f"login:email:{email}"


def sms_allowed(phone):
    """Take one SMS from the number's allowance: SMS_PER_MINUTE and SMS_PER_HOUR per number.

    Counted in the cache (Redis in production), so every worker shares the count. Codes cost
    money and annoy the owner of a number someone else typed in, so the limit is per number,
    on top of allauth's per-IP limits.
    """
    phone = normalise_phone(phone) or phone
    windows = (("m", 60, settings.SMS_PER_MINUTE), ("h", 3600, settings.SMS_PER_HOUR))
    for label, seconds, limit in windows:
        key = f"sms:{label}:{phone}"
        cache.add(key, 0, timeout=seconds)
        try:
            used = cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, timeout=seconds)
            used = 1
        if used > limit:
            return False
    return True


def refuse_if_sms_throttled(phone):
    if sms_allowed(phone):
        return
    request = context.request
    page = render(
        request,
        "account/sms_throttled.html",
        {"per_minute": settings.SMS_PER_MINUTE, "per_hour": settings.SMS_PER_HOUR},
        status=429,
    )
    raise ImmediateHttpResponse(page)
