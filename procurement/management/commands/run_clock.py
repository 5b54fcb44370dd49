import logging
import time

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import close_old_connections

from procurement.clock import clock_tick

log = logging.getLogger(__name__)


class Command(BaseCommand):
    help = (
        "Run the tender clock: move tenders on when their deadlines pass. Several may "
        "run at once (rows are taken with SKIP LOCKED)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--interval", type=float, default=settings.CLOCK_INTERVAL_SECONDS)
        parser.add_argument("--once", action="store_true", help="one tick, then exit")

    def handle(self, *args, interval: float, once: bool, **options):
        if not once:
            self.stdout.write(f"clock running, every {interval} s")
            self.stdout.flush()
        while True:
            try:
                moved = clock_tick()
                if moved and options["verbosity"] > 1:
                    self.stdout.write(f"moved {len(moved)} tender(s)")
            except Exception:  # keep ticking: one failed tick must not stop the clock
                log.exception("clock tick failed")
            finally:
                close_old_connections()
            if once:
                return
            time.sleep(interval)
