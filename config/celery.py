"""The Celery app: background jobs and the beat schedule (which includes the tender clock)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")

app = Celery("jangteo")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
