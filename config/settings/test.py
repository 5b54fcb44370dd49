"""Tests: the base settings with only speed and isolation changes."""

import os

from .base import *  # noqa: F403
from .base import DATABASES, VAR_DIR, env

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
CLOCK_MODE = env.str("JANGTEO_CLOCK", default="off")  # tests drive the clock themselves
CELERY_TASK_ALWAYS_EAGER = True
MEDIA_ROOT = VAR_DIR / "test-media"
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # One file per test run, so two runs on one machine never share a database; the test
    # servers a run starts inherit the name through the environment.
    os.environ.setdefault("JANGTEO_TEST_SQLITE", str(VAR_DIR / f"test-{os.getpid()}.sqlite3"))
    DATABASES["default"]["NAME"] = os.environ["JANGTEO_TEST_SQLITE"]
    DATABASES["default"]["TEST"] = {"NAME": os.environ["JANGTEO_TEST_SQLITE"]}
else:
    # One connection per test thread; the pool would keep test transactions apart.
    DATABASES["default"]["OPTIONS"].pop("pool", None)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
