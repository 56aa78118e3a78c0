from allauth.account.adapter import DefaultAccountAdapter
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.phone import MobileField, normalise_phone
from accounts.sms import send_sms


class AccountAdapter(DefaultAccountAdapter):
    """Stores the mobile number on the user and sends codes through accounts.sms."""

    def phone_form_field(self, **kwargs):
        return MobileField(**kwargs)

    def clean_phone(self, phone):
        return normalise_phone(phone)

    def send_verification_code_sms(self, user, phone, code, **kwargs):
        send_sms(phone, _("Your Gongyi verification code is %(code)s.") % {"code": code})

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
