"""DealDesk settings: one module, driven by the environment.

Every value has an embedded default that runs on a laptop with nothing installed
(SQLite and Celery's filesystem broker under ``var/``). Production overrides them with
environment variables; the README lists every one. A malformed value stops start-up
with ``ImproperlyConfigured`` rather than being silently read as something else.
"""

from pathlib import Path
from zoneinfo import available_timezones

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_bool(name: str, default: bool) -> bool:
    """A strict boolean: django-environ reads any unknown word as False, we refuse it."""
    raw = env.str(name, default=None)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name}={raw!r} is not a boolean (use true/false, 1/0, yes/no).")


def env_int(name: str, default: int, minimum: int = 0) -> int:
    raw = env.str(name, default=None)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not a whole number.") from None
    if value < minimum:
        raise ImproperlyConfigured(f"{name}={raw!r} must be at least {minimum}.")
    return value


def env_url(name: str, default: str, schemes: tuple[str, ...]) -> str:
    value = env.str(name, default=default)
    scheme = value.split("://", 1)[0] if "://" in value else ""
    if scheme not in schemes:
        raise ImproperlyConfigured(
            f"{name}={value!r} must be a URL starting with one of: "
            + ", ".join(f"{s}://" for s in schemes)
        )
    return value


DEBUG = env_bool("DEBUG", default=True)

SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    # Laptop-only key; never used with DEBUG off (see above).
    SECRET_KEY = "dev-only-insecure-key-dealdesk-0000000000000000000000000000000000"  # noqa: S105

ALLOWED_HOSTS = env.list(
    "ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"] if DEBUG else []
)
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "stakeholders",
    "deals",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # After auth: a signed-in user's saved language and time zone beat the browser's.
    "stakeholders.middleware.UserPreferencesMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "dealdesk.urls"
WSGI_APPLICATION = "dealdesk.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.tz",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "deals.context_processors.notifications",
            ],
        },
    },
]

# --- Data -----------------------------------------------------------------------------

VAR_DIR.mkdir(exist_ok=True)
DATABASE_URL = env_url(
    "DATABASE_URL",
    default=f"sqlite:///{VAR_DIR / 'dealdesk.sqlite3'}",
    schemes=("sqlite", "postgres", "postgresql", "pgsql"),
)
try:
    DATABASES = {"default": environ.Env.db_url_config(DATABASE_URL)}
except (ValueError, KeyError) as exc:
    raise ImproperlyConfigured(f"DATABASE_URL is not a database URL: {exc}") from None
_db = DATABASES["default"]
if _db["ENGINE"] == "django.db.backends.sqlite3":
    # The web process, the worker and beat share the file: WAL lets readers run beside
    # a writer, and IMMEDIATE transactions wait for the lock instead of failing mid-way.
    _db.setdefault("OPTIONS", {}).update(
        {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
else:
    _db["CONN_MAX_AGE"] = env_int("CONN_MAX_AGE", default=60)
    _db["CONN_HEALTH_CHECKS"] = True
_db["TEST"] = {"NAME": env.str("TEST_DATABASE_NAME", default=None)}
_db["ATOMIC_REQUESTS"] = False

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    env_url("REDIS_URL", REDIS_URL, ("redis", "rediss"))
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "dealdesk",
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

SESSION_ENGINE = "django.contrib.sessions.backends.db"

# --- Auth -----------------------------------------------------------------------------

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- Locale ---------------------------------------------------------------------------

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = env.str("TIME_ZONE", default="Asia/Shanghai")
if TIME_ZONE not in available_timezones():
    raise ImproperlyConfigured(f"TIME_ZONE={TIME_ZONE!r} is not an IANA time zone.")
DEFAULT_CURRENCY = "CNY"

# --- Static ---------------------------------------------------------------------------

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "staticfiles")
# gunicorn serves our static files through WhiteNoise: from the app folders on a laptop
# (DEBUG), from collectstatic's compressed, cache-busted copies in production.
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# --- Security -------------------------------------------------------------------------

# Strict CSP: our own files plus nonce'd inline scripts; htmx is configured in
# _base.html not to need eval or inject styles, so neither unsafe-* is allowed.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "connect-src": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "object-src": [CSP.NONE],
}

SECURE_PROXY_SSL_HEADER = (
    ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("BEHIND_TLS_PROXY", default=False) else None
)
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", default=not DEBUG)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=not DEBUG)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", default=not DEBUG)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = 60 * 60 * 24 * 14
LANGUAGE_COOKIE_SECURE = SESSION_COOKIE_SECURE
LANGUAGE_COOKIE_SAMESITE = "Lax"

# --- Email ----------------------------------------------------------------------------

try:
    _email = env.email_url("EMAIL_URL", default="consolemail://")
except (ValueError, KeyError) as exc:
    raise ImproperlyConfigured(f"EMAIL_URL is not an email URL: {exc}") from None
_mailer: dict = {"BACKEND": _email["EMAIL_BACKEND"]}
if _email["EMAIL_BACKEND"].endswith("smtp.EmailBackend"):
    _mailer["OPTIONS"] = {
        "host": _email.get("EMAIL_HOST") or "localhost",
        "port": _email.get("EMAIL_PORT") or 25,
        "username": _email.get("EMAIL_HOST_USER") or "",
        "password": _email.get("EMAIL_HOST_PASSWORD") or "",
        "use_tls": bool(_email.get("EMAIL_USE_TLS")),
        "use_ssl": bool(_email.get("EMAIL_USE_SSL")),
        # A stuck mail server must not hold a worker: fail, record, retry later.
        "timeout": env_int("EMAIL_TIMEOUT", default=10, minimum=1),
    }
MAILERS = {"default": _mailer}
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="DealDesk <dealdesk@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Celery ---------------------------------------------------------------------------

CELERY_BROKER_URL = env_url(
    "CELERY_BROKER_URL", default="filesystem://", schemes=("filesystem", "redis", "rediss")
)
if CELERY_BROKER_URL.startswith("filesystem://"):
    # Kombu's filesystem transport: one folder for both directions so the web process,
    # the worker and beat on one machine see the same messages; processed ones are
    # deleted rather than kept, so var/ does not grow without bound.
    _broker_dir = VAR_DIR / "celery" / "broker"
    _control_dir = VAR_DIR / "celery" / "control"
    for _folder in (_broker_dir, _control_dir):
        _folder.mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir),
        "data_folder_out": str(_broker_dir),
        "control_folder": str(_control_dir),
        "store_processed": False,
    }
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_TASK_IGNORE_RESULT = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_ENABLE_UTC = True
# A task that runs away is killed rather than holding a worker slot forever.
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", default=120, minimum=1)
CELERY_TASK_SOFT_TIME_LIMIT = env_int("CELERY_TASK_SOFT_TIME_LIMIT", default=100, minimum=1)
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_TASK_ALWAYS_EAGER = False
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")

# Every periodic job lives here, each with why it runs at that interval.
CELERY_BEAT_SCHEDULE = {
    # A breach must reach people within a minute; sweeping twice a minute leaves half of
    # that minute for the senders. Each run drains everything due, so runs never pile up.
    "escalation-sweep": {
        "task": "deals.tasks.escalation_sweep",
        "schedule": 30.0,
        "options": {"expires": 25},
    },
    # Sessions live in the database; expired rows only cost space, so daily is plenty.
    "clear-expired-sessions": {
        "task": "stakeholders.tasks.clear_expired_sessions",
        "schedule": 60 * 60 * 24,
    },
    # Monday 09:00 in each manager's own time zone: a quarter-hour tick catches every zone's 09:00.
    "send-manager-digests": {
        "task": "deals.tasks.send_manager_digests",
        "schedule": 60 * 15,
        "options": {"expires": 60 * 14},
    },
}

# --- Logging --------------------------------------------------------------------------

LOG_LEVEL = env.str("LOG_LEVEL", default="INFO").upper()
if LOG_LEVEL not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
    raise ImproperlyConfigured(f"LOG_LEVEL={LOG_LEVEL!r} is not a logging level.")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}

# --- DealDesk -------------------------------------------------------------------------

# Links in emails and chat messages point here.
DEALDESK_BASE_URL = env_url(
    "DEALDESK_BASE_URL", default="http://127.0.0.1:8000", schemes=("http", "https")
)
# An email or chat message that fails this many times is marked failed and shown.
DEALDESK_DELIVERY_MAX_ATTEMPTS = env_int("DEALDESK_DELIVERY_MAX_ATTEMPTS", default=6, minimum=1)
# A sender holds a delivery this long; past it, a dead worker's delivery is sent again.
DEALDESK_DELIVERY_LEASE_SECONDS = env_int("DEALDESK_DELIVERY_LEASE_SECONDS", default=120, minimum=1)
# A delivery handed to Celery but still pending after this long was lost on the way
# (broker down, worker gone): the sweep hands it over again.
DEALDESK_REQUEUE_AFTER_SECONDS = env_int("DEALDESK_REQUEUE_AFTER_SECONDS", default=120, minimum=1)
# Sweepers that drain a backlog together (the sweep task brings in helpers when its first
# batch is full); match the worker's concurrency.
DEALDESK_SWEEP_PARALLELISM = env_int(
    "DEALDESK_SWEEP_PARALLELISM", default=env_int("WORKER_CONCURRENCY", default=2), minimum=1
)
# Chat webhooks may point into private networks (loopback, 10.x, …) only when this is
# on: a laptop or a test, never a server where it would let users probe the network.
DEALDESK_WEBHOOK_ALLOW_PRIVATE = env_bool("DEALDESK_WEBHOOK_ALLOW_PRIVATE", default=DEBUG)
# Chat webhooks: seconds to connect and to wait for each read.
DEALDESK_WEBHOOK_CONNECT_TIMEOUT = env_int("DEALDESK_WEBHOOK_CONNECT_TIMEOUT", default=5, minimum=1)
DEALDESK_WEBHOOK_READ_TIMEOUT = env_int("DEALDESK_WEBHOOK_READ_TIMEOUT", default=10, minimum=1)

# Demo logins (seed_demo) share this password; they exist only when DEBUG is on.
DEMO_PASSWORD = "dealdesk-demo"  # noqa: S105
