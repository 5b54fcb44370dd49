"""Submitting and withdrawing sealed bids.

The platform never sees a bid's contents here: it checks who signed the sealed bytes and
whether they may bid now, stores the envelope, and signs a receipt. Everything that can be
checked without a lock (sizes, the signature's mathematics, the certificate) is checked
before the transaction; inside it, the supplier's registration row is locked (one supplier's
submissions queue behind each other, different suppliers' do not), the deadline is read from
the authoritative clock, and the audit event is written last, so the tender's hot audit
stream is held only for the moment before the commit.
"""

import hashlib
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from django_fsm import ConcurrentTransition

from accounts.models import Role
from core import clock
from core.audit import audit_record, sealed_stream
from esign.authority import fingerprint
from esign.detached import DetachedSignatureError, detached_signer
from esign.models import Certificate, CertificateStatus
from esign.validation import certificate_check_cached
from procurement.models import Tender, TenderStatus
from suppliers.models import Supplier
from suppliers.selectors import supplier_refusals

from . import submission_rows as rows
from .envelope import ENC_LENGTH, MAX_SEALED_BYTES, TAG_LENGTH, withdrawal_statement
from .exceptions import (
    BidForbidden,
    BidRefused,
    BidTooLate,
    EnvelopeTooLarge,
    IdempotencyConflict,
    TenderNotFound,
)
from .models import Bid, BidStatus, Receipt, ReceiptKind, TenderRegistration
from .receipts import receipt_number, receipt_sign, utc_text

MAX_IDEMPOTENCY_KEY = 200


@dataclass(frozen=True)
class Accepted:
    bid: Bid
    receipt: Receipt
    replayed: bool = False  # an earlier request with the same Idempotency-Key


# --- checks made before any lock ------------------------------------------------------------


def _signer_certificate(*, signature: bytes, content: bytes, actor, now) -> Certificate:
    """The platform's record of the certificate that signed `content`: it must be the
    actor's own, active, and trusted now."""
    try:
        signer = detached_signer(signature, content)
    except DetachedSignatureError as error:
        raise BidRefused(
            _("The signature over the envelope does not hold: %(why)s") % {"why": error},
            code=error.code,
        ) from error
    record = (
        Certificate.objects.select_related("organisation")
        .filter(fingerprint=fingerprint(signer.certificate))
        .first()
    )
    return _certificate_checked(record, signer, actor, now=now)


def _supplier_of(record: Certificate, actor) -> Supplier:
    supplier = (
        Supplier.objects.filter(
            organisation=record.organisation,
            organisation__memberships__user=actor,
            organisation__memberships__role__in=[Role.BIDDER, Role.SUPPLIER_ADMIN],
        )
        .select_related("organisation")
        .first()
    )
    if supplier is None:
        raise BidForbidden(
            _("You do not bid for a supplier with this certificate."), code="not_a_bidder"
        )
    return supplier


def _window_check(tender: Tender, now) -> None:
    """No bid before bidding opens, none at or after the deadline: by the one clock."""
    if tender.status not in (TenderStatus.NOTICE, TenderStatus.BIDDING):
        raise BidTooLate(
            _("This tender takes no bids (status: %(status)s).")
            % {"status": tender.get_status_display()},
            code="not_bidding",
        )
    if now < tender.bid_open_at:
        raise BidTooLate(_("Bidding has not opened yet."), code="not_open")
    if now >= tender.bid_close_at:
        raise BidTooLate(
            _("The bid deadline has passed (%(deadline)s).")
            % {"deadline": utc_text(tender.bid_close_at)},
            code="deadline",
        )


def _request_digest(tender_id: int, lot_number: int, sealed: bytes, signature: bytes) -> str:
    parts = (str(tender_id), str(lot_number), hashlib.sha256(sealed).hexdigest())
    return hashlib.sha256(("|".join(parts) + "|").encode() + signature).hexdigest()


def _replayed(actor, key: str, digest: str) -> Accepted | None:
    earlier = Bid.objects.filter(submitted_by=actor, idempotency_key=key).first()
    if earlier is None:
        return None
    if earlier.request_digest != digest:
        raise IdempotencyConflict(
            _("This Idempotency-Key was already used for a different submission."),
            code="idempotency_conflict",
        )
    return Accepted(earlier, earlier.receipts.get(kind=ReceiptKind.BID), replayed=True)


# --- submission -----------------------------------------------------------------------------


def bid_submit(
    *,
    tender_id: int,
    lot_number: int,
    sealed: bytes,
    signature: bytes,
    actor,
    idempotency_key: str = "",
) -> Accepted:
    """Store a sealed envelope for a lot of the published tender `tender_id` and return its
    receipt.

    Preconditions: `signature` is a detached CMS over `sealed` made with an active, trusted
    certificate the platform holds for `actor`, for a supplier `actor` bids for; that
    supplier is registered for the tender, verified and not suspended; the authoritative
    clock is inside the bid window. The supplier's earlier envelope for the lot, if any,
    is replaced. A retry with the same `idempotency_key` returns the first receipt.
    """
    if len(sealed) > MAX_SEALED_BYTES:
        raise EnvelopeTooLarge(_("The envelope is larger than 20 MiB."), code="envelope_size")
    if len(sealed) < ENC_LENGTH + TAG_LENGTH:
        raise BidRefused(_("The envelope is too short to be sealed."), code="envelope")
    if len(idempotency_key) > MAX_IDEMPOTENCY_KEY:
        raise BidRefused(_("The Idempotency-Key is too long."), code="idempotency_key")
    digest = _request_digest(tender_id, lot_number, sealed, signature)
    try:
        signer = detached_signer(signature, sealed)
    except DetachedSignatureError as error:
        # A retry is answered as the first request was, whatever this one's signature.
        if idempotency_key and (replay := _replayed(actor, idempotency_key, digest)):
            return replay
        raise BidRefused(
            _("The signature over the envelope does not hold: %(why)s") % {"why": error},
            code=error.code,
        ) from error
    context = rows.context_read(
        fingerprint=fingerprint(signer.certificate),
        actor_id=actor.pk,
        tender_id=tender_id,
        lot_number=lot_number,
        idempotency_key=idempotency_key,
    )
    if not context.tender_published:
        raise TenderNotFound(_("No tender matches the given query."), code="not_found")
    if context.key_used and (replay := _replayed(actor, idempotency_key, digest)):
        return replay
    record = _certificate_checked(context.certificate, signer, actor, now=context.now)
    if context.supplier is None:
        raise BidForbidden(
            _("You do not bid for a supplier with this certificate."), code="not_a_bidder"
        )
    if context.lot is None:
        raise BidRefused(_("The tender has no such lot."), code="lot")
    try:
        with transaction.atomic():
            return _store(
                tender_id=tender_id,
                lot=context.lot,
                supplier=context.supplier,
                certificate=record,
                sealed=sealed,
                signature=signature,
                actor=actor,
                idempotency_key=idempotency_key,
                digest=digest,
            )
    except IntegrityError:
        # The same key sent twice at once for two companies: the first one won.
        if idempotency_key and (replay := _replayed(actor, idempotency_key, digest)):
            return replay
        raise


def _certificate_checked(record: Certificate | None, signer, actor, *, now) -> Certificate:
    """The platform's record of the signing certificate: the actor's own, active, and
    trusted now."""
    if record is None or record.holder_id != actor.pk:
        raise BidForbidden(
            _("The envelope is signed with a certificate that is not yours on this platform."),
            code="certificate_not_yours",
        )
    if record.status != CertificateStatus.ACTIVE:
        raise BidRefused(
            _("The signing certificate is %(status)s.")
            % {"status": record.get_status_display().lower()},
            code="certificate_status",
        )
    # The register's status was read just above: no need to read it again.
    check = certificate_check_cached(signer.certificate, now=now, register_read=True)
    if not check.trusted:
        raise BidRefused(check.reason, code="certificate_untrusted")
    return record


def _store(
    *, tender_id, lot, supplier, certificate, sealed, signature, actor, idempotency_key, digest
):
    # The registration locked; after the lock, the tender, the supplier and the bid to
    # replace as they are now, and the clock.
    fresh = rows.locked_read(
        tender_id=tender_id,
        supplier_id=supplier.pk,
        lot_id=lot.pk,
        actor_id=actor.pk,
        idempotency_key=idempotency_key,
    )
    if fresh is None:
        raise BidForbidden(
            _("%(company)s is not registered for this tender.")
            % {"company": certificate.organisation.name},
            code="not_registered",
        )
    if fresh.key_used and (replay := _replayed(actor, idempotency_key, digest)):
        return replay  # the first request committed while this one waited for the lock
    tender, supplier, now = fresh.tender, fresh.supplier, fresh.now
    _window_check(tender, now)
    categories = list(tender.categories.all()) if fresh.has_categories else []
    refusals = supplier_refusals(supplier, categories=categories, now=now)
    if refusals:
        raise BidForbidden(" ".join(refusals), code="supplier")
    previous, replaces = fresh.previous, fresh.previous_receipt
    if previous is not None:
        previous.supersede(now=now)  # stored with the new bid, below
    envelope_sha256 = hashlib.sha256(sealed).hexdigest()
    number = receipt_number()
    signed = receipt_sign(
        {
            "kind": ReceiptKind.BID.value,
            "receipt": number,
            "tender": tender.ocid,
            "lot": lot.number,
            "supplier": supplier.organisation.code,
            "submitted_by": actor.get_username(),
            "signer_certificate": certificate.fingerprint,
            "envelope_sha256": envelope_sha256,
            "envelope_size": len(sealed),
            "received_at": utc_text(now),
            "replaces": replaces,
        },
        keys=fresh.receipt_keys,
        at=now,
    )
    bid = Bid(
        tender=tender,
        lot=lot,
        supplier=supplier,
        submitted_by=actor,
        certificate=certificate,
        sealed=sealed,
        outer_signature=signature,
        sha256=envelope_sha256,
        size=len(sealed),
        received_at=now,
        idempotency_key=idempotency_key,
        request_digest=digest,
    )
    receipt = Receipt(
        number=signed.number,
        kind=ReceiptKind.BID,
        body=signed.body,
        signature=signed.signature,
        timestamp=signed.timestamp,
        issued_at=now,
    )
    if not rows.bid_and_receipt_insert(bid, receipt, superseding=previous):
        raise ConcurrentTransition("the bid to replace is no longer sealed")
    audit_record(
        stream=sealed_stream(tender.ocid),
        kind="bid.submitted",
        actor=actor,
        obj=bid,
        data={
            "lot": lot.number,
            "supplier": supplier.organisation.code,
            "envelope_sha256": envelope_sha256,
            "receipt": number,
            "received_at": utc_text(now),
            "replaces": replaces,
        },
    )
    return Accepted(bid, receipt)


def _receipt_store(bid: Bid, kind: str, signed, now) -> Receipt:
    return Receipt.objects.create(
        number=signed.number,
        kind=kind,
        bid=bid,
        body=signed.body,
        signature=signed.signature,
        timestamp=signed.timestamp,
        issued_at=now,
    )


# --- withdrawal -----------------------------------------------------------------------------


def bid_withdraw(*, bid: Bid, statement: bytes, signature: bytes, actor) -> Receipt:
    """Withdraw a sealed envelope before the deadline, with the bidder's signature over
    `withdrawal_statement` for it; returns the withdrawal receipt (the same one again when
    the same withdrawal is retried). The supplier may bid again afterwards."""
    expected = withdrawal_statement(
        tender=bid.tender.ocid,
        lot=bid.lot.number,
        supplier=bid.supplier.organisation.code,
        envelope_sha256=bid.sha256,
    )
    if statement != expected:
        raise BidRefused(
            _("The withdrawal statement does not name this envelope exactly."),
            code="statement",
        )
    record = _signer_certificate(
        signature=signature, content=statement, actor=actor, now=clock.now()
    )
    if _supplier_of(record, actor).pk != bid.supplier_id:
        raise BidForbidden(_("This envelope is another company's."), code="not_yours")
    with transaction.atomic():
        TenderRegistration.objects.select_for_update().filter(
            tender_id=bid.tender_id, supplier_id=bid.supplier_id
        ).first()
        bid = (
            Bid.objects.select_for_update(of=("self",))
            .select_related("tender", "lot")
            .get(pk=bid.pk)
        )
        if bid.status == BidStatus.WITHDRAWN and bytes(bid.withdrawal) == statement:
            return bid.receipts.get(kind=ReceiptKind.WITHDRAWAL)
        if bid.status != BidStatus.SEALED:
            raise BidRefused(
                _("Only the current sealed envelope can be withdrawn (this one is %(status)s).")
                % {"status": bid.get_status_display().lower()},
                code="state",
            )
        now = clock.now()
        _window_check(bid.tender, now)
        bid.withdraw(now=now, statement=statement, signature=signature)
        bid.save(update_fields=["status", "closed_at", "withdrawal", "withdrawal_signature"])
        bid_receipt = bid.receipts.get(kind=ReceiptKind.BID).number
        signed = receipt_sign(
            {
                "kind": ReceiptKind.WITHDRAWAL.value,
                "receipt": receipt_number(),
                "tender": bid.tender.ocid,
                "lot": bid.lot.number,
                "supplier": bid.supplier.organisation.code,
                "submitted_by": actor.get_username(),
                "signer_certificate": record.fingerprint,
                "envelope_sha256": bid.sha256,
                "withdrawal_sha256": hashlib.sha256(statement).hexdigest(),
                "received_at": utc_text(now),
                "withdraws": bid_receipt,
            }
        )
        receipt = _receipt_store(bid, ReceiptKind.WITHDRAWAL, signed, now)
        audit_record(
            stream=sealed_stream(bid.tender.ocid),
            kind="bid.withdrawn",
            actor=actor,
            obj=bid,
            data={
                "lot": bid.lot.number,
                "supplier": bid.supplier.organisation.code,
                "envelope_sha256": bid.sha256,
                "receipt": signed.number,
                "withdraws": bid_receipt,
                "received_at": utc_text(now),
            },
        )
    return receipt
