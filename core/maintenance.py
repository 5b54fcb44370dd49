"""Housekeeping of the kernel's tables."""

from datetime import timedelta

from . import clock
from .models import LiveEvent


def live_events_prune(*, older_than_days: int) -> int:
    """Delete live events older than the retention. A client further behind than what is
    kept gets a snapshot instead of a replay, so nothing it needs is lost."""
    cutoff = clock.now() - timedelta(days=older_than_days)
    deleted, _ = LiveEvent.objects.filter(created_at__lt=cutoff).delete()
    return deleted
