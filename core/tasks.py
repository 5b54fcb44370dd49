from celery import shared_task
from django.conf import settings

from .maintenance import live_events_prune


@shared_task(name="core.tasks.prune_live_events", ignore_result=True)
def prune_live_events() -> int:
    return live_events_prune(older_than_days=settings.LIVE_EVENT_RETENTION_DAYS)
