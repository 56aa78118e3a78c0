from importlib import import_module

from django.conf import settings
from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.contrib.sessions.base_session import AbstractBaseSession
from django.db import models
from django.db.models import Q
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create(self, email, phone, password, **extra):
        if not email and not phone:
            raise ValueError("A user needs a mobile number or an email address.")
        user = self.model(email=self.normalize_email(email) if email else "", phone=phone, **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email=None, password=None, phone=None, **extra):
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create(email, phone, password, **extra)

    def create_superuser(self, email=None, password=None, phone=None, **extra):
        extra.update(is_staff=True, is_superuser=True)
        return self._create(email, phone, password, **extra)


class TextSize(models.TextChoices):
    NORMAL = "normal", _("Normal text")
    LARGE = "large", _("Large text")


class User(AbstractUser):
    """A person who signs in. Logs in by mobile number or email; no username."""

    username = None
    email = models.EmailField(_("email address"), blank=True, default="")
    phone = models.CharField(  # noqa: DJ001  (NULL keeps the unique constraint to real numbers)
        _("mobile number"), max_length=20, null=True, blank=True
    )
    phone_verified = models.BooleanField(_("mobile number verified"), default=False)
    real_name = models.CharField(
        _("real name"),
        max_length=60,
        blank=True,
        help_text=_("Your name as in the owners' register; needed to vote."),
    )
    language = models.CharField(_("language"), max_length=10, blank=True)
    text_size = models.CharField(
        _("text size"), max_length=10, choices=TextSize, default=TextSize.NORMAL
    )

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS = []

    objects = UserManager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["phone"], condition=Q(phone__isnull=False), name="user_phone_unique"
            ),
            models.UniqueConstraint(
                fields=["email"], condition=~Q(email=""), name="user_email_unique"
            ),
        ]

    def __str__(self):
        return self.display_name

    @cached_property
    def request_cache(self):
        """A dict that lives as long as this object, which is one request's (or one task's):
        for what other apps work out about the person once per request, each under a key of
        its own (deliberation.membership keeps the roles here). Never saved."""
        return {}

    @property
    def display_name(self):
        return self.real_name or self.phone or self.email or f"#{self.pk}"


class Session(AbstractBaseSession):
    """A database session that names its signed-in user, so the one query that reads the
    session reads the user too (accounts/sessions.py)."""

    user = models.ForeignKey(
        User, on_delete=models.CASCADE, null=True, blank=True, related_name="+", db_index=True
    )

    class Meta(AbstractBaseSession.Meta):
        db_table = "accounts_session"

    @classmethod
    def get_session_store_class(cls):
        # The engine the settings name (accounts/sessions.py), which imports this module.
        return import_module(settings.SESSION_ENGINE).SessionStore
