"""The tender clock: moves tenders on when their time comes.

Safe with several instances running: each tender is moved in its own transaction on a row
taken with `SKIP LOCKED` (PostgreSQL), and its status is re-checked under that lock, so two
instances never move the same tender twice. SQLite serialises writers instead.
Deadlines are also enforced by the use cases themselves: the clock only makes the state
visible, a late bid is refused by the submission whatever the clock has done.
"""

import logging
import time
from dataclasses import dataclass

from django.conf import settings
from django.db import close_old_connections, transaction
from django.db.models import Q
from django.utils.module_loading import import_string

from core import clock
from core.audit import audit_record, tender_stream
from core.maintenance import live_events_prune
from esign.external import external_crls_refresh
from esign.services import certificates_expire
from suppliers.services import supplier_debarments_lift

from . import events
from .models import Tender, TenderStatus

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Moved:
    ocid: str
    source: str
    target: str


def _due(now):
    return Q(status=TenderStatus.NOTICE, bid_open_at__lte=now) | Q(
        status=TenderStatus.BIDDING, bid_close_at__lte=now
    )


def _move_one(now) -> Moved | None:
    with transaction.atomic():
        tender = (
            Tender.objects.select_for_update(skip_locked=True)
            .filter(_due(now))
            .order_by("id")
            .first()
        )
        if tender is None:
            return None
        source = tender.status
        if source == TenderStatus.NOTICE:
            tender.open_bidding()
            kind = events.TENDER_BIDDING_OPENED
        else:
            tender.close_bidding()
            kind = events.TENDER_BIDDING_CLOSED
        tender.save()
        audit_record(
            stream=tender_stream(tender.ocid),
            kind=kind,
            obj=tender,
            data={"from": source, "to": tender.status, "at": now.isoformat()},
        )
        events.tender_changed(tender, kind)
        return Moved(tender.ocid, source, tender.status)


def platform_housekeeping() -> dict[str, int]:
    """The slow time-driven work, run by the clock about once a minute: lift debarments
    whose end has passed, mark certificates past their end as expired, fetch the CRLs of
    external CAs that are due, drop live events older than the retention (clients that far
    behind get a snapshot)."""
    return {
        "debarments_lifted": len(supplier_debarments_lift()),
        "certificates_expired": certificates_expire(),
        "external_crls_refreshed": external_crls_refresh(),
        "live_events_pruned": live_events_prune(older_than_days=settings.LIVE_EVENT_RETENTION_DAYS),
    }


def clock_jobs_run() -> None:
    """The time-driven work of other apps (settings.CLOCK_JOBS), e.g. resuming openings
    whose key was rebuilt: each runs every tick and must be cheap when there is nothing
    to do."""
    for path in settings.CLOCK_JOBS:
        try:
            import_string(path)()
        except Exception:
            log.exception("clock job %s failed", path)


def clock_tick(limit: int = 1000) -> list[Moved]:
    """Move every tender whose time has come, one transaction each; return what moved."""
    now = clock.now()
    moved = []
    while len(moved) < limit:
        step = _move_one(now)
        if step is None:
            break
        log.info("clock moved %s %s -> %s", step.ocid, step.source, step.target)
        moved.append(step)
    return moved


class ClockRunner:
    """One running clock instance (a `run_clock` process, or the loop inside `serve`): each
    step moves due tenders, runs the clock jobs (unless `jobs=False`: `serve` runs them on a
    thread of their own, so a long opening never holds up requests), and, about once a
    minute, does the housekeeping. A failed step
    is logged and the next one goes on: one bad tick must not stop the clock."""

    def __init__(self, *, jobs: bool = True) -> None:
        self.housekeeping_due = 0.0
        self.jobs = jobs

    def step(self) -> list[Moved]:
        try:
            moved = clock_tick()
            if self.jobs:
                clock_jobs_run()
            if time.monotonic() >= self.housekeeping_due:
                self.housekeeping_due = time.monotonic() + settings.HOUSEKEEPING_SECONDS
                platform_housekeeping()
            return moved
        except Exception:
            log.exception("clock step failed")
            return []
        finally:
            close_old_connections()
