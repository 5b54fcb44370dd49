"""The tender clock: moves tenders on when their time comes.

Safe with several instances running: each tender is moved in its own transaction on a row
taken with `SKIP LOCKED` (PostgreSQL), and its status is re-checked under that lock, so two
instances never move the same tender twice. SQLite serialises writers instead.
Deadlines are also enforced by the use cases themselves: the clock only makes the state
visible, a late bid is refused by the submission whatever the clock has done.
"""

import logging
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Q

from core import clock
from core.audit import audit_record, tender_stream

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
