"""Lots after the opening: each moves on its own (evaluation → awarded → contracting …, or
unsuccessful, or cancelled), and the tender follows them. Later stages (evaluation) move a
lot only through these services.

Every service locks the tender and then the lot, in that order everywhere (the opening and
a cancellation hold the tender first too), makes the lot's transition, re-derives the
tender's status from all its lots, writes the audit event and publishes the live event, all
in one transaction. The public payloads carry the lot's number, status and reason only.
"""

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _
from django_fsm import can_proceed, has_transition_perm

from core.audit import audit_record, tender_stream

from . import events
from .exceptions import TenderError
from .models import LOT_PROGRESS, Lot, LotStatus, Tender, TenderStatus


def tender_status_of_lots(statuses: list[str]) -> str:
    """The tender's status after the opening: that of its least advanced lot still alive,
    or unsuccessful when no lot is."""
    alive = [status for status in statuses if status in LOT_PROGRESS]
    if not alive:
        return TenderStatus.UNSUCCESSFUL
    return TenderStatus(str(min(alive, key=LOT_PROGRESS.index)))


def _locked(lot: Lot) -> tuple[Tender, Lot]:
    tender = Tender.objects.select_for_update().get(pk=lot.tender_id)
    return tender, Lot.objects.select_for_update().select_related("tender").get(pk=lot.pk)


def _require(method, actor) -> None:
    lot = method.__self__
    if not can_proceed(method):
        raise TenderError(
            _("Lot %(n)s is “%(status)s”: this cannot be done now.")
            % {"n": lot.number, "status": lot.get_status_display()},
            code="state",
        )
    if not has_transition_perm(method, actor):
        raise PermissionDenied(_("You may not do this for this lot."))


def _changed(tender: Tender, lot: Lot, kind: str, actor, data: dict | None = None) -> Lot:
    lot.save(update_fields=["status", "status_reason"])
    derived = tender_status_of_lots(list(tender.lots.values_list("status", flat=True)))
    if derived != tender.status and tender.status != TenderStatus.CANCELLED:
        tender.follow_lots(derived)
        tender.save(update_fields=["status"])
    audit_record(
        stream=tender_stream(tender.ocid),
        kind=kind,
        actor=actor,
        obj=lot,
        data={"lot": lot.number, "status": lot.status, **(data or {})},
    )
    events.tender_changed(
        tender,
        kind,
        extra={"lot": {"number": lot.number, "status": lot.status, "reason": lot.status_reason}},
    )
    return lot


def lots_evaluation_start(*, tender: Tender) -> None:
    """At the end of the opening (the caller holds the tender's lock): every lot goes to
    evaluation. The tender itself moves with the opening's own transition."""
    start = import_string(settings.LOT_EVALUATION_START)
    for lot in Lot.objects.select_for_update().filter(tender=tender, status=LotStatus.PENDING):
        lot.evaluation_start()
        lot.save(update_fields=["status"])
        start(lot=lot)


def lot_award(*, lot: Lot, actor, data: dict | None = None) -> Lot:
    """The buyer's procurement officer awards the lot (the evaluation decided to whom)."""
    with transaction.atomic():
        tender, lot = _locked(lot)
        _require(lot.award, actor)
        lot.award()
        return _changed(tender, lot, "lot.awarded", actor, data)


def lot_award_cancel(*, lot: Lot, reason: str, data: dict | None = None) -> Lot:
    """The platform takes an award back (an upheld complaint): evaluation resumes."""
    with transaction.atomic():
        tender, lot = _locked(lot)
        _require(lot.award_cancel, None)
        lot.award_cancel(reason=reason)
        return _changed(
            tender, lot, "lot.award_cancelled", None, {"reason": reason, **(data or {})}
        )


def lot_contracting_start(*, lot: Lot, data: dict | None = None) -> Lot:
    """The standstill ended clean: the platform moves the lot on to its contract."""
    with transaction.atomic():
        tender, lot = _locked(lot)
        _require(lot.contracting_start, None)
        lot.contracting_start()
        return _changed(tender, lot, "lot.contracting", None, data)


def lot_fail(*, lot: Lot, actor, reason: str) -> Lot:
    """No bid of the lot remains: the officer (or the platform, `actor` None, when the
    evaluation finds none at all) declares it unsuccessful, with the reason."""
    if not reason.strip():
        raise TenderError(_("Say why the lot is unsuccessful."), code="reason")
    with transaction.atomic():
        tender, lot = _locked(lot)
        _require(lot.fail, actor)
        lot.fail(reason=reason.strip())
        return _changed(tender, lot, "lot.unsuccessful", actor, {"reason": lot.status_reason})


def lots_cancel(*, tender: Tender, reason: str) -> None:
    """With the tender's cancellation (the caller holds its lock): every lot not yet past
    its award is cancelled."""
    for lot in Lot.objects.select_for_update().filter(
        tender=tender, status__in=[LotStatus.PENDING, LotStatus.EVALUATION, LotStatus.AWARDED]
    ):
        lot.cancel(reason=reason)
        lot.save(update_fields=["status", "status_reason"])
