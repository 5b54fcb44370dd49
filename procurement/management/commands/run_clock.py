import time

from django.conf import settings
from django.core.management.base import BaseCommand

from procurement.clock import ClockRunner


class Command(BaseCommand):
    help = (
        "Run the tender clock: move tenders on when their deadlines pass, and about once a "
        "minute lift ended debarments, expire certificates and prune old live events. Several "
        "may run at once (rows are taken with SKIP LOCKED)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--interval", type=float, default=settings.CLOCK_INTERVAL_SECONDS)
        parser.add_argument("--once", action="store_true", help="one step, then exit")

    def handle(self, *args, interval: float, once: bool, **options):
        runner = ClockRunner()
        if not once:
            self.stdout.write(f"clock running, every {interval} s")
            self.stdout.flush()
        while True:
            moved = runner.step()
            if moved and options["verbosity"] > 1:
                self.stdout.write(f"moved {len(moved)} tender(s)")
            if once:
                return
            time.sleep(interval)
