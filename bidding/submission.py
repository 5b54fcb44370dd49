"""Submitting and withdrawing sealed bids.

The platform never sees a bid's contents here: it checks who signed the sealed bytes and
whether they may bid now, stores the envelope, and signs a receipt. A submission is two
statements after the signature's check: one reads everything it is decided on, with the
authoritative clock (submission_rows.submission_read); the other stores the bid, its
receipt, the superseding of the bid it replaces and its audit event, only if what was read
still holds (bid_store). Nothing is locked between the two, so a deadline's thousands of
submissions do not queue behind each other; when a concurrent one of the same company for
the same lot got in between, the submission is read and decided anew.
"""

import hashlib
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from accounts.models import Role
from accounts.tokens import TokenClaim, claimed_user
from core import clock
from core.audit import audit_head_ensure, audit_record, sealed_stream
from esign.authority import fingerprint
from esign.detached import DetachedSignatureError, DetachedSigner, detached_signer
from esign.models import Certificate, CertificateStatus
from esign.validation import certificate_check_cached
from procurement.models import Tender, TenderStatus
from suppliers.models import Supplier
from suppliers.selectors import supplier_refusals

from . import submission_rows as rows
from .envelope import ENC_LENGTH, MAX_SEALED_BYTES, TAG_LENGTH, withdrawal_statement
from .exceptions import (
    BidConflict,
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
# How often a submission is read and decided anew when a concurrent one of the same company
# for the same lot changed what it read (each time, one of them is stored).
STORE_ATTEMPTS = 3


@dataclass(frozen=True)
class Accepted:
    bid: Bid
    receipt: Receipt
    replayed: bool = False  # an earlier request with the same Idempotency-Key


# The statuses a tender passes through until its envelopes are opened.
CLOSES_AT_DEADLINE = (TenderStatus.NOTICE, TenderStatus.BIDDING, TenderStatus.OPENING)


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
    # Past the deadline, the deadline is what a bidder needs to hear, whether or not the
    # tender's clock has closed bidding yet.
    if tender.status in CLOSES_AT_DEADLINE and now >= tender.bid_close_at:
        raise BidTooLate(
            _("The bid deadline has passed (%(deadline)s).")
            % {"deadline": utc_text(tender.bid_close_at)},
            code="deadline",
        )
    if tender.status not in (TenderStatus.NOTICE, TenderStatus.BIDDING):
        raise BidTooLate(
            _("This tender takes no bids (status: %(status)s).")
            % {"status": tender.get_status_display()},
            code="not_bidding",
        )
    if now < tender.bid_open_at:
        raise BidTooLate(_("Bidding has not opened yet."), code="not_open")


def envelope_sha256_of(sealed: bytes, signer: DetachedSigner | None = None) -> str:
    """The envelope's SHA-256 (hex). An envelope may be 20 MiB: when its signature's check
    hashed it with SHA-256 already, that digest serves the request's digest and the receipt
    too."""
    if signer is not None and signer.digest_algorithm == "sha256":
        return signer.content_digest.hex()
    return hashlib.sha256(sealed).hexdigest()


def _request_digest(tender_id: int, lot_number: int, envelope_sha256: str, signature: bytes) -> str:
    parts = (str(tender_id), str(lot_number), envelope_sha256)
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
    actor=None,
    token: TokenClaim | None = None,
    idempotency_key: str = "",
) -> Accepted:
    """Store a sealed envelope for a lot of the published tender `tender_id` and return its
    receipt.

    Preconditions: `signature` is a detached CMS over `sealed` made with an active, trusted
    certificate the platform holds for `actor`, for a supplier `actor` bids for; that
    supplier is registered for the tender, verified and not suspended; the authoritative
    clock is inside the bid window. The supplier's earlier envelope for the lot, if any,
    is replaced. A retry with the same `idempotency_key` returns the first receipt.

    Instead of `actor`, `token` (PostgreSQL): the API token sent, not yet checked. The
    submission's read checks it with the rest; a refusal made before that read checks it
    first, so a caller without a valid token is told that (AuthenticationFailed) and
    nothing else.
    """
    try:
        sent = _sent(
            tender_id=tender_id,
            lot_number=lot_number,
            sealed=sealed,
            signature=signature,
            actor=actor,
            token=token,
            idempotency_key=idempotency_key,
        )
    except BidRefused:
        if actor is None:
            claimed_user(token)  # AuthenticationFailed, unless the token is good
        raise
    if isinstance(sent, Accepted):
        return sent
    for attempt in range(1, STORE_ATTEMPTS + 1):
        try:
            with rows.submission_scope():
                accepted = _attempt(sent)
        except IntegrityError:
            # The same company's first envelope for the lot, or the same key, sent twice at
            # once: the other one won; read again and decide as if this came after it.
            if attempt == STORE_ATTEMPTS:
                raise
            continue
        if accepted is not None:
            return accepted
    raise BidConflict(
        _("Your company's envelope for this lot changed while this one was stored: send it again."),
        code="concurrent",
    )


def _sent(
    *, tender_id, lot_number, sealed, signature, actor, token, idempotency_key
) -> "Sent | Accepted":
    """The submission's checks that need no database, its signature's among them; an
    Accepted when a retry with a bad signature is answered as its first request was."""
    if len(sealed) > MAX_SEALED_BYTES:
        raise EnvelopeTooLarge(_("The envelope is larger than 20 MiB."), code="envelope_size")
    if len(sealed) < ENC_LENGTH + TAG_LENGTH:
        raise BidRefused(_("The envelope is too short to be sealed."), code="envelope")
    if len(idempotency_key) > MAX_IDEMPOTENCY_KEY:
        raise BidRefused(_("The Idempotency-Key is too long."), code="idempotency_key")
    try:
        signer = detached_signer(signature, sealed)
    except DetachedSignatureError as error:
        # A retry is answered as the first request was, whatever this one's signature.
        if idempotency_key:
            envelope_sha256 = envelope_sha256_of(sealed)
            digest = _request_digest(tender_id, lot_number, envelope_sha256, signature)
            actor = actor or claimed_user(token)
            if replay := _replayed(actor, idempotency_key, digest):
                return replay
        raise BidRefused(
            _("The signature over the envelope does not hold: %(why)s") % {"why": error},
            code=error.code,
        ) from error
    envelope_sha256 = envelope_sha256_of(sealed, signer)
    return Sent(
        tender_id=tender_id,
        lot_number=lot_number,
        sealed=sealed,
        signature=signature,
        signer=signer,
        actor=actor,
        token=token,
        idempotency_key=idempotency_key,
        digest=_request_digest(tender_id, lot_number, envelope_sha256, signature),
        envelope_sha256=envelope_sha256,
    )


@dataclass(frozen=True)
class Sent:
    """A submission as sent, its signature checked: what each attempt decides on again."""

    tender_id: int
    lot_number: int
    sealed: bytes
    signature: bytes
    signer: DetachedSigner
    actor: object | None  # None: `token`'s user, whom each attempt's read checks
    token: TokenClaim | None
    idempotency_key: str
    digest: str
    envelope_sha256: str


def _attempt(sent: Sent) -> Accepted | None:
    """Read, decide, sign the receipt and store; None when what was read changed before the
    write (a concurrent submission or withdrawal of the same company for the lot, the
    opening), and nothing was stored."""
    actor, key, digest = sent.actor, sent.idempotency_key, sent.digest
    found = rows.submission_read(
        fingerprint=fingerprint(sent.signer.certificate),
        actor_id=actor.pk if actor is not None else None,
        token=sent.token if actor is None else None,
        tender_id=sent.tender_id,
        lot_number=sent.lot_number,
        idempotency_key=key,
    )
    if actor is None:
        actor = found.actor
        if actor is None:  # nobody's token, or a revoked one: the usual answer, nothing read
            claimed_user(sent.token)
            return None  # it became good since the read (a person reactivated): read anew
    if found.tender is None:
        raise TenderNotFound(_("No tender matches the given query."), code="not_found")
    if found.key_used and (replay := _replayed(actor, key, digest)):
        return replay
    record = _certificate_checked(found.certificate, sent.signer, actor, now=found.now)
    if found.supplier is None:
        raise BidForbidden(
            _("You do not bid for a supplier with this certificate."), code="not_a_bidder"
        )
    lot = found.lot
    if lot is None:
        raise BidRefused(_("The tender has no such lot."), code="lot")
    if not found.registered:
        raise BidForbidden(
            _("%(company)s is not registered for this tender.")
            % {"company": record.organisation.name},
            code="not_registered",
        )
    tender, supplier, now = found.tender, found.supplier, found.now
    _window_check(tender, now)
    # The read found whether a licence in the tender's categories is valid today; only a
    # refusal needs the categories themselves (it names them, and makes the check again).
    categories = list(tender.categories.all()) if found.licence_missing(now) else []
    refusals = supplier_refusals(supplier, categories=categories, now=now)
    if refusals:
        raise BidForbidden(" ".join(refusals), code="supplier")
    stream = sealed_stream(tender.ocid)
    if not found.chained:
        audit_head_ensure(stream)  # the tender's first sealed event: registrations make it
    previous, replaces = found.previous, found.previous_receipt
    if previous is not None:
        previous.supersede(now=now)  # stored with the new bid, below
    sealed = sent.sealed
    envelope_sha256 = sent.envelope_sha256
    number = receipt_number()
    signed = receipt_sign(
        {
            "kind": ReceiptKind.BID.value,
            "receipt": number,
            "tender": tender.ocid,
            "lot": lot.number,
            "supplier": supplier.organisation.code,
            "submitted_by": actor.get_username(),
            "signer_certificate": record.fingerprint,
            "envelope_sha256": envelope_sha256,
            "envelope_size": len(sealed),
            "received_at": utc_text(now),
            "replaces": replaces,
        },
        keys=found.receipt_keys,
        at=now,
    )
    bid = Bid(
        pk=found.bid_id,
        tender=tender,
        lot=lot,
        supplier=supplier,
        submitted_by=actor,
        certificate=record,
        sealed=sealed,
        outer_signature=sent.signature,
        sha256=envelope_sha256,
        size=len(sealed),
        received_at=now,
        idempotency_key=key,
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
    event = {
        "stream": stream,
        "kind": "bid.submitted",
        "actor": actor,
        "data": {
            "lot": lot.number,
            "supplier": supplier.organisation.code,
            "envelope_sha256": envelope_sha256,
            "receipt": number,
            "received_at": utc_text(now),
            "replaces": replaces,
        },
    }
    if not rows.bid_store(bid, receipt, superseding=previous, event=event):
        return None
    return Accepted(bid, receipt)


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
            },
            at=now,
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
