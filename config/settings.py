"""Gongyi settings: one module, driven by the environment.

The defaults need nothing installed.

SQLite and the in-memory channel layer by default; DATABASE_URL and REDIS_URL switch to
PostgreSQL and Redis. See docs/operations.md.
"""

import ipaddress
import json
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from config.env import env_bool, env_int, env_list, env_str, parse_database_url

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("GONGYI_VAR_DIR", str(BASE_DIR / "var")))
# Local data (the SQLite file, uploads, collected static files) lives here, outside git.
for _sub in ("", "static", "media"):
    (VAR_DIR / _sub).mkdir(parents=True, exist_ok=True)

DEBUG = env_bool("DEBUG", True)
_DEV_SECRET = "dev-only-insecure-secret-key-change-me-0123456789abcdefghijklmnopqrstuvwxyz"  # noqa: S105
SECRET_KEY = env_str("SECRET_KEY", _DEV_SECRET if DEBUG else "")
if not SECRET_KEY:
    raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
CSRF_FAILURE_VIEW = "config.errors.csrf_failure"  # in the person's language and layout

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "channels",
    "django_htmx",
    "template_partials",
    "allauth",
    "allauth.account",
    "django_tasks",
    "django_tasks_db",
    "accounts",
    "deliberation",
    "meetings",
]

MIDDLEWARE = [
    "config.proxy.ClientAddressMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "accounts.middleware.PreferencesMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "config.csp.CachedCSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "allauth.account.middleware.AccountMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "accounts.context_processors.preferences",
            ],
        },
    }
]

DATABASES = {
    "default": parse_database_url(env_str("DATABASE_URL", "sqlite:///var/db.sqlite3"), BASE_DIR)
}
# PostgreSQL: a connection pool per process (psycopg-pool), shared by the HTTP threads and the
# websocket consumers' threads (one per socket, so per-thread persistent connections,
# CONN_MAX_AGE, would pile up until PostgreSQL refuses clients); DATABASE_POOL_SIZE=0 goes back
# to them.
DATABASE_POOL_SIZE = env_int("DATABASE_POOL_SIZE", 12)
if DATABASES["default"]["ENGINE"].endswith("postgresql") and DATABASE_POOL_SIZE > 0:
    # CONN_HEALTH_CHECKS: the pool checks a connection on checkout once it has sat idle
    # (plumbing/postgresql).
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "pool": {"min_size": min(4, DATABASE_POOL_SIZE), "max_size": DATABASE_POOL_SIZE}
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Long and periodic work (django-tasks): queued in the database, SQLite or PostgreSQL alike, and
# run by `manage.py db_worker` processes, one beside `make run`, as many as wanted at scale
# (docs/operations.md). The job rows the person sees are deliberation.models.BackgroundJob.
TASKS = {"default": {"BACKEND": "django_tasks_db.backend.DatabaseBackend"}}
# A running job whose heartbeat is older than this was lost with its worker: it is queued again
# and resumes where its stored work ends (deliberation.jobs.recover_stalled_jobs).
JOB_STALL_SECONDS = env_int("JOB_STALL_SECONDS", 600)
# How often an open page asks the server again, in seconds (htmx `every`, read by the
# {% poll_every %} tag): a job's progress, an opinion map being drawn, a vote's turnout.
# Tests shorten them so a page shows what is done without waiting for the next tick.
POLL_SECONDS = {"job": 1, "opinion_map": 3, "turnout": 30}
# How often the periodic work runs (reminders, escalations, lost jobs): deliberation.periodic.
PERIODIC_SECONDS = env_int("PERIODIC_SECONDS", 300)
# Threads per process serving HTTP requests' synchronous code; more requests wait on the event
# loop. See plumbing/asgi_http.py and docs/operations.md.
ASGI_THREADS = env_int("ASGI_THREADS", 8)
# Seconds a live vote's "n votes so far" waits to go out with the casts that follow it
# (meetings.rendering.broadcast_soon).
ROOM_TALLY_WAIT_S = 0.3
# Room commands per person, over all their sockets and workers: (seconds, commands) windows
# (meetings.throttle).
ROOM_COMMAND_LIMITS = [(1, 5), (10, 20)]

REDIS_URL = env_str("REDIS_URL", "")
if REDIS_URL:
    # The pub/sub layer survives mass connect/disconnect; see ARCHITECTURE.md "Live fan-out".
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {"hosts": [REDIS_URL], "prefix": env_str("CHANNEL_PREFIX", "gongyi")},
        }
    }
    CACHES = {
        "default": {
            # Django's, reusing one client per process: Django's own opens a Redis connection
            # per request under ASGI, and browse's p99 went from 68 to 530 ms (bench/RESULTS.md).
            "BACKEND": "plumbing.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env_str("CHANNEL_PREFIX", "gongyi"),
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

AUTH_USER_MODEL = "accounts.User"
# Django's and allauth's backends, loading the signed-in user with a prepared query.
AUTHENTICATION_BACKENDS = [
    "accounts.backends.ModelBackend",
    "accounts.backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"

# django-allauth: log in by mobile number or email plus password; SMS through accounts.sms.
ACCOUNT_ADAPTER = "accounts.adapter.AccountAdapter"
ACCOUNT_FORMS = {
    "login": "accounts.forms.LoginForm",
    "signup": "accounts.forms.SignupForm",
    "verify_phone": "accounts.forms.VerifyPhoneForm",
    "change_password": "accounts.forms.ChangePasswordForm",
    "set_password": "accounts.forms.SetPasswordForm",
    "reset_password_from_key": "accounts.forms.ResetPasswordKeyForm",
}
ACCOUNT_LOGIN_METHODS = {"phone", "email"}
ACCOUNT_SIGNUP_FIELDS = ["phone*", "email", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "none"
# A new account proves its mobile number with a code by SMS before it can log in (and a
# number never verified is asked for a code at its next login). On in development too, where
# accounts.sms.LogSender writes the code to the log.
ACCOUNT_PHONE_VERIFICATION_ENABLED = env_bool("PHONE_VERIFICATION", True)
ACCOUNT_PHONE_VERIFICATION_SUPPORTS_RESEND = True
# Six digits: what people expect from an SMS code, and typed on the number pad.
ACCOUNT_PHONE_VERIFICATION_CODE_FORMAT = {"numeric": True, "length": 6, "dashed": False}
# Failed log-ins: 5 per account in 5 minutes (the key is the account, however it is named:
# accounts.adapter.login_attempts_key), and 10 a minute and 50 an hour per client address, so
# one client cannot spread guesses over many numbers. The address is the proxy's
# X-Forwarded-For only from a trusted proxy (TRUSTED_PROXIES below).
ACCOUNT_RATE_LIMITS = {
    "login": "30/m/ip",
    "login_failed": "10/m/ip,50/h/ip,5/5m/key",
    "signup": "20/m/ip",
    "reset_password": "20/m/ip,5/m/key",
    "change_phone": "1/m/user",
    "verify_phone": "3/m/key",
}
ACCOUNT_LOGOUT_ON_GET = False
ACCOUNT_SESSION_REMEMBER = True
SMS_SENDER = env_str("SMS_SENDER", "accounts.sms.LogSender")
# Verification codes per mobile number (accounts.adapter.sms_allowed), on top of the above.
SMS_PER_MINUTE = env_int("SMS_PER_MINUTE", 1)
SMS_PER_HOUR = env_int("SMS_PER_HOUR", 5)
# Notices by SMS (deliberation/delivery.py): at most this many non-urgent messages per number
# in 24 hours; more wait. The Alibaba Cloud gateway (accounts.aliyun_sms.AliyunSender) reads
# the ALIYUN_SMS_* settings; its delivery reports post to /sms/status/<SMS_CALLBACK_TOKEN>/.
NOTICE_SMS_PER_NUMBER_PER_DAY = env_int("NOTICE_SMS_PER_NUMBER_PER_DAY", 3)
# Requests to the SMS gateway (and mail server) in flight at once while a batch is sent: the
# gateway's answer, not our work, is most of each message's time.
NOTICE_SEND_THREADS = env_int("NOTICE_SEND_THREADS", 4)
ALIYUN_SMS_ENDPOINT = env_str("ALIYUN_SMS_ENDPOINT", "https://dysmsapi.aliyuncs.com/")
ALIYUN_SMS_ACCESS_KEY_ID = env_str("ALIYUN_SMS_ACCESS_KEY_ID")
ALIYUN_SMS_ACCESS_KEY_SECRET = env_str("ALIYUN_SMS_ACCESS_KEY_SECRET")
ALIYUN_SMS_SIGN_NAME = env_str("ALIYUN_SMS_SIGN_NAME", "共议")
# {"vote_notice": "SMS_...", "vote_result": "SMS_...", "notice": "SMS_...", "text": "SMS_..."}
ALIYUN_SMS_TEMPLATES = json.loads(env_str("ALIYUN_SMS_TEMPLATES", "{}"))
ALIYUN_SMS_TIMEOUT = env_int("ALIYUN_SMS_TIMEOUT", 10)
# The secret path segment of the delivery-report URL; empty turns the endpoint off (404).
SMS_CALLBACK_TOKEN = env_str("SMS_CALLBACK_TOKEN")

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600
USE_I18N = True
FORMAT_MODULE_PATH = ["config.formats"]  # one date format per language, read everywhere
TIME_ZONE = "Asia/Shanghai"
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(VAR_DIR / "static")))
WHITENOISE_USE_FINDERS = DEBUG
# Fixed with DEBUG as the settings load (WhiteNoise would read DEBUG later): where DEBUG is on,
# files are looked up when asked for, not all listed each time the middleware is built. The
# test runner turns DEBUG off after loading, and each test client builds the middleware anew.
WHITENOISE_AUTOREFRESH = DEBUG
# Uploads live outside the web root and are served through views that check permissions.
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(VAR_DIR / "media")))
MEDIA_URL = "/media-not-served-directly/"
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
UPLOAD_MAX_BYTES = env_int("UPLOAD_MAX_BYTES", 10 * 1024 * 1024)
# A whole request body: refused with 413 before it is read (plumbing/asgi_http.py). Six photos
# from a phone fit; nginx's client_max_body_size matches it (docs/operations.md).
REQUEST_MAX_BYTES = env_int("REQUEST_MAX_BYTES", 32 * 1024 * 1024)
REGISTER_MAX_BYTES = env_int("REGISTER_MAX_BYTES", 10 * 1024 * 1024)
# Registers larger than this (about 2,500 rows) are applied by a task worker, with progress.
REGISTER_BACKGROUND_BYTES = env_int("REGISTER_BACKGROUND_BYTES", 100 * 1024)

EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
# With EMAIL_BACKEND=django.core.mail.backends.filebased.EmailBackend (make run's task worker),
# each message is a file here instead of a screenful on the console.
EMAIL_FILE_PATH = env_str("EMAIL_FILE_PATH", str(BASE_DIR / "var" / "mail"))
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "noreply@gongyi.local")

# Security headers. Production turns the HTTPS switches on through the environment.
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_ENGINE = "accounts.sessions"  # database sessions, read with a prepared query
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
LANGUAGE_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Addresses or networks of the reverse proxies in front of the workers (nginx). Only from
# them are X-Forwarded-For and X-Forwarded-Proto believed; from anyone else they are dropped
# (config/proxy.py).
TRUSTED_PROXIES = env_list("TRUSTED_PROXIES")
for _proxy in TRUSTED_PROXIES:
    try:
        ipaddress.ip_network(_proxy, strict=False)
    except ValueError:
        raise ImproperlyConfigured(
            f"TRUSTED_PROXIES must list addresses or networks, got {_proxy!r}"
        ) from None
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]

# Websockets to this site's own hosts only. CSP Level 3 lets 'self' match ws(s): on the same
# host, but older WebKit (iOS before 15.4) does not, so each allowed host is also named.
_socket_hosts = [
    h
    for host in ALLOWED_HOSTS
    # CSP host sources cannot name an IPv6 literal ([::1]); 'self' covers it where it is served.
    if host != "*" and not host.startswith("[")
    for h in (host.lstrip("."),) + (("*" + host,) if host.startswith(".") else ())
]
_OWN_SOCKETS = [
    f"{scheme}://{host}{port}"
    for host in _socket_hosts
    for scheme, port in ([("ws", ":*"), ("wss", ":*")] if DEBUG else [("wss", "")])
]
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "connect-src": ["'self'", *_OWN_SOCKETS],
        "font-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    }
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        "fontTools": {"level": "WARNING"},
        "weasyprint": {"level": "ERROR"},
        "daphne": {"level": "WARNING"},
    },
}

# The audit log chains entries with this key's HMAC; see deliberation/audit.py.
AUDIT_CHAIN_SEED = env_str("AUDIT_CHAIN_SEED", "gongyi-audit-genesis")
# Identity numbers are stored as a keyed digest plus a masked form, never in clear.
IDENTITY_PEPPER = env_str("IDENTITY_PEPPER", SECRET_KEY)

# Email is the USERNAME_FIELD but may be blank for people who sign in by mobile number;
# uniqueness of non-blank emails is a conditional constraint on accounts.User.
SILENCED_SYSTEM_CHECKS = ["auth.W004"]
