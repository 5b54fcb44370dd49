"""Production: the base settings plus hardening only. Everything secret comes from the
environment (or `*_FILE`); starting without a real secret key is refused."""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import env, secret

DEBUG = False
SECRET_KEY = secret("DJANGO_SECRET_KEY")
if not SECRET_KEY or SECRET_KEY.startswith("insecure") or len(SECRET_KEY) < 50:
    raise ImproperlyConfigured(
        "DJANGO_SECRET_KEY (or DJANGO_SECRET_KEY_FILE) must be set "
        "to a random value of at least 50 characters"
    )

# One clock for every web host: the database's decides deadlines (base: each host's own).
AUTHORITATIVE_CLOCK = env.str("JANGTEO_AUTHORITATIVE_CLOCK", default="database")
SERVESTATIC_USE_FINDERS = False  # serve the collected, hashed files only
PKI_PASSPHRASE = secret("JANGTEO_PKI_PASSPHRASE")
if not PKI_PASSPHRASE or PKI_PASSPHRASE.startswith("embedded-demo") or len(PKI_PASSPHRASE) < 16:
    raise ImproperlyConfigured(
        "JANGTEO_PKI_PASSPHRASE (or _FILE) must be set to a secret of at least 16 characters"
    )
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = env.int("DJANGO_HSTS_SECONDS", default=31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
CSRF_COOKIE_HTTPONLY = True
SESSION_COOKIE_NAME = "__Host-sessionid"
CSRF_COOKIE_NAME = "__Host-csrftoken"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "servestatic.storage.CompressedManifestStaticFilesStorage"},
}
