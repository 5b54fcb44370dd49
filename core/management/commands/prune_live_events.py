from django.conf import settings
from django.core.management.base import BaseCommand

from core.maintenance import live_events_prune


class Command(BaseCommand):
    help = "Delete public live events older than the retention (clients resync by snapshot)."

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=settings.LIVE_EVENT_RETENTION_DAYS)

    def handle(self, *args, days: int, **options):
        self.stdout.write(f"deleted {live_events_prune(older_than_days=days)} live event(s)")
