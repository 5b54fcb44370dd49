"""Settings shared by every environment, read from the environment.

With no DATABASE_URL / REDIS_URL the platform runs on the embedded default: SQLite, the
in-memory channel layer, tasks run in-process and the tender clock runs inside the web
process. Secrets may also be given as files (`<NAME>_FILE`), as container platforms do.
"""

from pathlib import Path

import environ
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
VAR_DIR.mkdir(exist_ok=True)


def secret(name: str, default: str | None = None) -> str | None:
    """A secret from `NAME`, or from the file named by `NAME_FILE`."""
    path = env.str(f"{name}_FILE", default="")
    if path:
        return Path(path).read_text().strip()
    return env.str(name, default=default)


DEBUG = env.bool("DJANGO_DEBUG", default=False)
SECRET_KEY = secret("DJANGO_SECRET_KEY", "insecure-development-key-only-for-the-embedded-demo")
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "servestatic.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "channels",
    "rest_framework",
    "drf_spectacular",
    "django_fsm",
    "csp",
    # The workflow, in the order a tender lives (each imports only those above it).
    "core",
    "accounts",
    "esign",
    "suppliers",
    "procurement",
    "bidding",
    "evaluation",
    "contracts",
    "payments",
    "notifications",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "config.static_files.StaticFilesMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "config.content_security.ContentSecurityPolicyMiddleware",
]
# The API's requests that carry an API token (`Authorization: Bearer`) come from programs:
# the token authenticates them or refuses them, never a session. They are served by the
# middleware above without what only a browser's session needs (config/http_handler.py);
# the security headers, the language and the error answers are the same.
BROWSER_SESSION_MIDDLEWARE = (
    "config.static_files.StaticFilesMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
)

ROOT_URLCONF = "config.urls"
ASGI_APPLICATION = "config.asgi.application"
# Threads per server process for HTTP requests' synchronous work (config/http_handler.py);
# each holds a database connection of the pool while it serves a request.
HTTP_THREADS = env.int("JANGTEO_HTTP_THREADS", default=4)
WSGI_APPLICATION = None

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
                "core.context_processors.platform",
                "accounts.context_processors.roles",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
DATABASE_URL = env.str("DATABASE_URL", default="")
if DATABASE_URL:
    DATABASES = {"default": env.db_url_config(DATABASE_URL)}
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        DATABASES["default"]["ENGINE"] = "django.db.backends.postgresql"
        DATABASES["default"].setdefault("OPTIONS", {})
        if env.bool("DATABASE_POOL", default=True):
            DATABASES["default"]["OPTIONS"]["pool"] = {
                "min_size": env.int("DATABASE_POOL_MIN", default=2),
                "max_size": env.int("DATABASE_POOL_MAX", default=20),
                "timeout": 10,
            }
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": env.str("SQLITE_PATH", default=str(VAR_DIR / "jangteo.sqlite3")),
            # IMMEDIATE takes the write lock at BEGIN, so two writers never both read a
            # stream head and then collide at their first write.
            # Keep the connection between requests: opening a SQLite connection costs more
            # than most of the queries made on it.
            "CONN_MAX_AGE": 600,
            "CONN_HEALTH_CHECKS": True,
            "OPTIONS": {
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            },
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
USES_POSTGRES = DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"

# --- Redis: channel layer, cache, task broker -------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            # Pub/sub: one publish per group reaches every process; public pushes are
            # best-effort anyway (clients resync by sequence number).
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {
                "hosts": [{"address": REDIS_URL, "max_connections": 500}],
                "prefix": env.str("CHANNELS_PREFIX", default="jangteo"),
            },
        }
    }
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env.str("CACHE_PREFIX", default="jangteo"),
        }
    }
    CELERY_BROKER_URL = REDIS_URL
    CELERY_TASK_ALWAYS_EAGER = False
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    CELERY_BROKER_URL = "memory://"
    CELERY_TASK_ALWAYS_EAGER = True

CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TIMEZONE = "UTC"

# Where the tender clock runs: "inprocess" (a thread of the web process, the embedded
# default), "external" (a `manage.py run_clock` process or Celery beat), or "off".
CLOCK_MODE = env.str("JANGTEO_CLOCK", default="inprocess")
CLOCK_INTERVAL_SECONDS = env.float("JANGTEO_CLOCK_INTERVAL", default=0.5)
# How often the clock also does its slow work (debarments, certificate expiry, pruning).
HOUSEKEEPING_SECONDS = env.float("JANGTEO_HOUSEKEEPING_INTERVAL", default=60)
# Whose clock decides deadlines: "local" (this host's, NTP-synchronised) or "database" (the
# PostgreSQL server's, one clock for every web host whatever their drift).
AUTHORITATIVE_CLOCK = env.str("JANGTEO_AUTHORITATIVE_CLOCK", default="local")
CELERY_BEAT_SCHEDULE = {
    "tender-clock": {"task": "procurement.tasks.clock_tick", "schedule": CLOCK_INTERVAL_SECONDS},
    "housekeeping": {"task": "procurement.tasks.housekeeping", "schedule": 60.0},
}

# --- Auth -------------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["accounts.backends.ThrottledModelBackend"]
# Behind a load balancer every client has the balancer's address: with this on, `serve` takes
# the client's address (and scheme) from X-Forwarded-For / X-Forwarded-Proto, which the
# balancer must set, not append to.
PROXY_HEADERS = env.bool("JANGTEO_PROXY_HEADERS", default=False)
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "accounts:dashboard"
LOGOUT_REDIRECT_URL = "procurement:board"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Failed logins allowed per window, per account and per client address.
LOGIN_RATE_LIMIT = env.int("LOGIN_RATE_LIMIT", default=5)
LOGIN_RATE_WINDOW_SECONDS = env.int("LOGIN_RATE_WINDOW", default=300)

# --- Internationalisation ---------------------------------------------------------------------
LANGUAGE_CODE = "ko"
LANGUAGES = [("ko", _("Korean")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Seoul"
USE_I18N = True
USE_TZ = True

# --- Static and uploaded files ----------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(VAR_DIR / "static")))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
# Without a collected static tree (the embedded demo, tests) serve straight from the sources.
SERVESTATIC_USE_FINDERS = env.bool("SERVESTATIC_USE_FINDERS", default=True)
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(VAR_DIR / "media")))
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
TENDER_DOCUMENT_MAX_BYTES = env.int("TENDER_DOCUMENT_MAX_BYTES", default=20 * 1024 * 1024)

# --- Security defaults (production.py tightens further) ----------------------------------------
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "connect-src": ["'self'", "ws:", "wss:"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    }
}

# --- API --------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.tokens.BearerTokenAuthentication",
        "accounts.session_auth.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.LimitOffsetPagination",
    "DEFAULT_THROTTLE_RATES": {
        "supplier_registration": env.str("JANGTEO_SUPPLIER_REGISTRATION_RATE", default="20/hour")
    },
    "PAGE_SIZE": 50,
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Jangteo API",
    "DESCRIPTION": "Public and authenticated interfaces of the Jangteo e-procurement platform.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "ENUM_NAME_OVERRIDES": {
        "TenderStatusEnum": "procurement.models.TenderStatus",
        "CertificateStatusEnum": "esign.models.CertificateStatus",
        "RevocationReasonEnum": "esign.models.RevocationReason",
    },
}

# --- Platform ---------------------------------------------------------------------------------
# --- PKI ------------------------------------------------------------------------------------
# Protects the platform CA keys at rest. The embedded demo has a fixed one; production must
# set its own (production.py refuses to start without it).
PKI_PASSPHRASE = secret("JANGTEO_PKI_PASSPHRASE", "embedded-demo-pki-passphrase")
# Where certificates point relying parties for the CRL and the issuing CA certificate.
PUBLIC_BASE_URL = env.str("JANGTEO_PUBLIC_URL", default="http://127.0.0.1:8000").rstrip("/")
PKI_PERSON_CERT_DAYS = env.int("JANGTEO_PERSON_CERT_DAYS", default=730)
PKI_CRL_HOURS = env.int("JANGTEO_CRL_HOURS", default=24)
# Other CAs whose certificates people may import (PEM files), when the subject maps to
# their organisation's registration number.
PKI_TRUSTED_CA_FILES = env.list("JANGTEO_TRUSTED_CA_FILES", default=[])
# CRLs of those CAs are fetched from the distribution points their certificates name.
PKI_EXTERNAL_CRL_REFRESH_MINUTES = env.int("JANGTEO_EXTERNAL_CRL_REFRESH_MINUTES", default=60)
PKI_CRL_FETCH_TIMEOUT = env.float("JANGTEO_CRL_FETCH_TIMEOUT", default=10)
PKI_CRL_MAX_BYTES = 20 * 1024 * 1024
# An external RFC 3161 time-stamping authority; empty: the platform's own TSA signs.
TSA_URL = env.str("JANGTEO_TSA_URL", default="")
TSA_AUTHORIZATION = secret("JANGTEO_TSA_AUTHORIZATION", "")
# Who decides whether an organisation's people may hold signing certificates.
PKI_ENROLLMENT_POLICY = "suppliers.enrollment.signing_refusal"

# Prepares a tender's sealing when it is published (its opening key, the shares for its
# opening officers, sealed reserve prices): bidding does it, procurement only calls it.
TENDER_SEALING_PREPARE = "bidding.publication.tender_sealing_prepare"
# Starts a lot's evaluation when its tender's opening completes (evaluation ranks the bids
# by the tender's method); procurement only calls it, in the opening's transaction.
LOT_EVALUATION_START = "evaluation.services.evaluation_start"
# Run by the tender clock on every tick: resume openings whose key was rebuilt (a runner
# that died, or the embedded platform, which has no Celery worker),
# erase the shares entered for a tender cancelled before its opening, and finalise awards
# whose standstill has ended with no complaint pending.
CLOCK_JOBS = [
    "bidding.opening.openings_resume",
    "bidding.opening.cancelled_shares_forget",
    "evaluation.complaints.awards_finalise_due",
]

# OCDS publisher prefix: every contracting process is `<prefix>-<number>`.
OCDS_PREFIX = env.str("OCDS_PREFIX", default="ocds-jngt01")
PLATFORM_NAME = "Jangteo"
# How many missed live events a reconnecting client is replayed before it gets a snapshot.
LIVE_REPLAY_LIMIT = env.int("LIVE_REPLAY_LIMIT", default=200)
LIVE_EVENT_RETENTION_DAYS = env.int("LIVE_EVENT_RETENTION_DAYS", default=30)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"daphne": {"level": "WARNING"}, "django.channels.server": {"level": "WARNING"}},
}
