"""Complaints against an award during its standstill, and the end of the standstill.

A bidder of the lot (a company whose bid was opened or rejected there) may file a complaint
with documents until the standstill ends. The platform's review body (operators) accepts it
for review or rejects it as inadmissible, then upholds or dismisses it, always with reasons.
While a complaint is pending the award cannot become final; upheld, the award is cancelled,
the bid goes back under review and evaluation resumes. The clock finalises every award whose
standstill has ended with no complaint pending, and the lot moves on to its contract.
"""

import hashlib

from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils.translation import gettext as _
from django_fsm import can_proceed

from accounts.models import Role
from accounts.permissions import organisations_where
from bidding.models import Bid, BidStatus
from core import clock
from procurement import lots
from suppliers.models import Supplier

from . import events, selectors
from .exceptions import EvaluationError
from .models import (
    COMPLAINT_PENDING,
    Award,
    AwardStatus,
    Complaint,
    ComplaintDocument,
)
from .services import lot_audit

MAX_DOCUMENTS = 10
MAX_DOCUMENT_BYTES = 20 * 1024 * 1024


def complaint_file(
    *, award: Award, supplier: Supplier, actor, text: str, documents=()
) -> Complaint:
    """`actor`, a bidder or administrator of `supplier`, files a complaint against `award`.
    `documents` are (name, bytes) pairs."""
    if not text.strip():
        raise EvaluationError(_("State the grounds of the complaint."), code="text")
    documents = list(documents)
    if len(documents) > MAX_DOCUMENTS or any(
        len(content) > MAX_DOCUMENT_BYTES or not 0 < len(name) <= 200 for name, content in documents
    ):
        raise EvaluationError(
            _("At most 10 documents of 20 MiB each, with names of up to 200 characters."),
            code="documents",
        )
    if (
        not organisations_where(actor, Role.BIDDER, Role.SUPPLIER_ADMIN)
        .filter(pk=supplier.organisation_id)
        .exists()
    ):
        raise PermissionDenied(_("You do not act for this company."))
    with transaction.atomic():
        award = Award.objects.select_for_update().select_related("lot__tender").get(pk=award.pk)
        now = clock.now()
        if award.status != AwardStatus.PENDING or now >= award.standstill_until:
            raise EvaluationError(_("The standstill of this award has ended."), code="closed")
        if not Bid.objects.filter(
            lot=award.lot, supplier=supplier, status__in=[BidStatus.OPENED, BidStatus.REJECTED]
        ).exists():
            raise PermissionDenied(_("Only bidders of this lot may complain about its award."))
        complaint = Complaint.objects.create(
            award=award, supplier=supplier, filed_by=actor, filed_at=now, text=text.strip()
        )
        for name, content in documents:
            ComplaintDocument.objects.create(
                complaint=complaint,
                name=name,
                file=ContentFile(content, name=name),
                sha256=hashlib.sha256(content).hexdigest(),
                size=len(content),
            )
        lot_audit(
            award.lot, "complaint.filed", actor, events.complaint_payload(complaint), complaint
        )
        events.complaint_changed(complaint)
    return complaint


def _locked(complaint: Complaint) -> Complaint:
    return (
        Complaint.objects.select_for_update(of=("self",))
        .select_related("award__lot__tender", "supplier__organisation")
        .get(pk=complaint.pk)
    )


def _require_reviewer(actor) -> None:
    if not selectors.is_review_body(actor):
        raise PermissionDenied(_("Only the platform's review body decides complaints."))


def _require_reason(reason: str) -> str:
    if not reason.strip():
        raise EvaluationError(_("Give the reasons of the decision."), code="reason")
    return reason.strip()


def _state(complaint: Complaint, method) -> None:
    if not can_proceed(method):
        raise EvaluationError(
            _("The complaint is “%(status)s”: this cannot be done now.")
            % {"status": complaint.get_status_display()},
            code="state",
        )


def _recorded(complaint: Complaint, kind: str, actor) -> Complaint:
    complaint.save()
    lot_audit(complaint.award.lot, kind, actor, events.complaint_payload(complaint), complaint)
    events.complaint_changed(complaint)
    return complaint


def complaint_accept(*, complaint: Complaint, actor) -> Complaint:
    _require_reviewer(actor)
    with transaction.atomic():
        complaint = _locked(complaint)
        _state(complaint, complaint.accept)
        complaint.accept(reviewer=actor, now=clock.now())
        return _recorded(complaint, "complaint.accepted", actor)


def complaint_reject(*, complaint: Complaint, actor, reason: str) -> Complaint:
    """Inadmissible: dismissed without review, with the reasons."""
    _require_reviewer(actor)
    reason = _require_reason(reason)
    with transaction.atomic():
        complaint = _locked(complaint)
        _state(complaint, complaint.reject)
        complaint.reject(reviewer=actor, now=clock.now(), reason=reason)
        return _recorded(complaint, "complaint.rejected", actor)


def complaint_decide(*, complaint: Complaint, actor, upheld: bool, reason: str) -> Complaint:
    """Upheld: the award is cancelled and its bid is under review again. Dismissed: the
    award stands (and becomes final at the end of its standstill)."""
    _require_reviewer(actor)
    reason = _require_reason(reason)
    with transaction.atomic():
        complaint = _locked(complaint)
        method = complaint.uphold if upheld else complaint.dismiss
        _state(complaint, method)
        now = clock.now()
        method(now=now, reason=reason)
        _recorded(complaint, "complaint.upheld" if upheld else "complaint.dismissed", actor)
        if upheld:
            _award_cancel(complaint.award, now=now, reason=reason)
    return complaint


def complaint_withdraw(*, complaint: Complaint, actor) -> Complaint:
    with transaction.atomic():
        complaint = _locked(complaint)
        if (
            not organisations_where(actor, Role.BIDDER, Role.SUPPLIER_ADMIN)
            .filter(pk=complaint.supplier.organisation_id)
            .exists()
        ):
            raise PermissionDenied(_("Only the company that complained may withdraw it."))
        _state(complaint, complaint.withdraw)
        complaint.withdraw(now=clock.now())
        return _recorded(complaint, "complaint.withdrawn", actor)


def _award_cancel(award: Award, *, now, reason: str) -> None:
    award = Award.objects.select_for_update().select_related("review", "lot").get(pk=award.pk)
    award.cancel(now=now, reason=reason)
    award.save()
    review = award.review
    review.reopen()
    review.save()
    lots.lot_award_cancel(lot=award.lot, reason=reason, data={"award": award.pk})
    lot_audit(award.lot, "award.cancelled", None, events.award_payload(award), award)
    events.award_changed(award)
    events.review_changed(review)


# --- the end of the standstill ---------------------------------------------------------------


def awards_finalise_due() -> int:
    """The clock: every pending award whose standstill has ended with no complaint pending
    becomes final and its lot moves on to contracting. Cheap when there is nothing to do."""
    now = clock.now()
    due = (
        Award.objects.filter(status=AwardStatus.PENDING, standstill_until__lte=now)
        .exclude(complaints__status__in=COMPLAINT_PENDING)
        .values_list("pk", flat=True)
    )
    done = 0
    for award_id in list(due):
        with transaction.atomic():
            award = Award.objects.select_for_update(skip_locked=True).filter(pk=award_id).first()
            if (
                award is None
                or award.status != AwardStatus.PENDING
                or award.complaints.filter(status__in=COMPLAINT_PENDING).exists()
            ):
                continue
            award.finalise(now=now)
            award.save()
            lots.lot_contracting_start(lot=award.lot, data={"award": award.pk})
            lot_audit(award.lot, "award.final", None, events.award_payload(award), award)
            events.award_changed(award)
            done += 1
    return done
