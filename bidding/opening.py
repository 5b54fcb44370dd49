"""The opening ceremony: officers enter their shares after the deadline; at the k-th valid
share the opening key is rebuilt, and a background runner opens every envelope.

The runner is durable: the rebuilt key and each envelope's outcome are committed as it goes,
and whoever runs next (the Celery task enqueued at the k-th share, or the tender clock, which
looks for unfinished openings every tick) resumes where the last one stopped. A lease on the
opening key keeps two runners from working on one tender at once.
"""

import logging
from dataclasses import dataclass
from datetime import timedelta

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from core import clock
from core.audit import Entry, audit_record, audit_record_many, tender_stream
from core.live import live_publish, tender_topic
from procurement import events as tender_events
from procurement.lots import lots_evaluation_start
from procurement.models import Lot, Tender, TenderStatus

from . import events
from .exceptions import ShareRefused
from .models import Bid, BidStatus, OpeningKey, OpeningShare, ReservePriceSet
from .opening_key import OpeningKeyError, private_key_rebuild, share_check, share_identifier
from .opening_verify import CertificateChecks, envelope_verify
from .reserve_prices import reserve_prices_open

log = logging.getLogger(__name__)

BATCH = 50
# The clock may not have caught up with the deadline yet; the opening closes bidding itself.
OPENABLE = (TenderStatus.NOTICE, TenderStatus.BIDDING, TenderStatus.OPENING)
LEASE = timedelta(minutes=2)


@dataclass(frozen=True)
class ShareEntry:
    entered: int
    needed: int
    key_rebuilt: bool


# --- officers enter their shares ------------------------------------------------------------


def _attempt_audit(tender: Tender, actor, code: str) -> None:
    """Record a refused attempt, in its own transaction: the refusal changes nothing else."""
    with transaction.atomic():
        audit_record(
            stream=tender_stream(tender.ocid),
            kind="opening.share_refused",
            actor=actor,
            obj=tender,
            data={"reason": code},
        )


def _attempt_refused(tender: Tender, actor, code: str, message: str) -> ShareRefused:
    _attempt_audit(tender, actor, code)
    return ShareRefused(message, code=code)


def opening_share_enter(*, tender: Tender, actor, share: str) -> ShareEntry:
    """A designated opening officer enters their share, after the bid deadline.

    Every attempt is audited, refused ones too. A share is accepted only from the officer it
    was made for (its SLIP-39 identifier and member index must be theirs for this tender);
    entering it again changes nothing. At the k-th share the key is rebuilt and checked
    against the published public key, the entered shares are erased, and the opening starts.
    """
    opening_key = OpeningKey.objects.filter(tender=tender).first()
    mine = (
        OpeningShare.objects.filter(opening_key=opening_key, officer=actor).first()
        if opening_key and actor.is_authenticated
        else None
    )
    if mine is None:
        if actor.is_authenticated:
            _attempt_audit(tender, actor, "not_designated")
        raise PermissionDenied(_("You are not an opening officer of this tender."))
    now = clock.now()
    if tender.status not in OPENABLE or now < tender.bid_close_at:
        raise _attempt_refused(
            tender, actor, "too_early", _("Shares are entered only after the bid deadline.")
        )
    if opening_key.rebuilt_at is not None:
        raise _attempt_refused(tender, actor, "opened", _("The bids are already being opened."))
    try:
        normal = share_check(share)
        identifier, index = share_identifier(normal)
    except OpeningKeyError:
        raise _attempt_refused(
            tender,
            actor,
            "share",
            _("This is not a valid share: check the words (one is mistyped or missing)."),
        ) from None
    if identifier != opening_key.share_set or index != mine.member_index:
        raise _attempt_refused(
            tender, actor, "not_your_share", _("This is not your share of this tender's key.")
        )
    with transaction.atomic():
        # Lock the key first: two officers entering the last share at once must rebuild the
        # key, and start the opening, only once.
        opening_key = OpeningKey.objects.select_for_update().get(pk=opening_key.pk)
        if opening_key.rebuilt_at is not None:
            return ShareEntry(opening_key.threshold, opening_key.threshold, True)
        mine = OpeningShare.objects.select_for_update().get(pk=mine.pk)
        if mine.entered_at is None:
            mine.entered_at, mine.entered_share = now, normal
            mine.save(update_fields=["entered_at", "entered_share"])
        audit_record(
            stream=tender_stream(tender.ocid),
            kind="opening.share_entered",
            actor=actor,
            obj=tender,
            data={"member": mine.member_index},
        )
        entered = list(
            OpeningShare.objects.filter(opening_key=opening_key, entered_at__isnull=False)
        )
        rebuilt = len(entered) >= opening_key.threshold and _key_rebuild(
            tender, opening_key, entered, now
        )
        live_publish(
            topics=[tender_topic(tender.pk)],
            kind=events.OPENING_SHARE_ENTERED,
            payload={"entered": len(entered), "needed": opening_key.threshold},
        )
    return ShareEntry(len(entered), opening_key.threshold, bool(rebuilt))


def _key_rebuild(tender, opening_key: OpeningKey, entered: list[OpeningShare], now) -> bool:
    try:
        private_key = private_key_rebuild(
            tender=tender.ocid,
            shares=[share.entered_share for share in entered],
            wrapped_private_key=bytes(opening_key.wrapped_private_key),
            public_key=bytes(opening_key.public_key),
        )
    except OpeningKeyError as error:
        # Cannot happen with shares that passed the checks above, unless the stored key was
        # tampered with: say so loudly, keep the shares for the investigation.
        log.error("opening key of %s does not rebuild: %s", tender.ocid, error)
        audit_record(
            stream=tender_stream(tender.ocid),
            kind="opening.key_rebuild_failed",
            obj=tender,
            data={"reason": error.code},
        )
        return False
    opening_key.private_key = private_key.private_bytes_raw()
    opening_key.rebuilt_at = now
    opening_key.save(update_fields=["private_key", "rebuilt_at"])
    OpeningShare.objects.filter(opening_key=opening_key).update(entered_share="")
    audit_record(
        stream=tender_stream(tender.ocid),
        kind="opening.key_rebuilt",
        obj=tender,
        data={"shares": [share.member_index for share in entered]},
    )
    if not settings.CELERY_TASK_ALWAYS_EAGER:
        from .tasks import opening_run

        transaction.on_commit(lambda: opening_run.delay(tender.pk), robust=True)
    return True


def cancelled_shares_forget() -> int:
    """Erase the shares entered for an opening that will never come, the tender cancelled
    before the k-th share (the clock runs this). Fewer than k reveal nothing, but the
    platform keeps no share it has no use for. Returns how many were erased."""
    held = OpeningShare.objects.exclude(entered_share="").filter(
        opening_key__tender__status=TenderStatus.CANCELLED
    )
    erased = 0
    for key_id, ocid in set(held.values_list("opening_key_id", "opening_key__tender__ocid")):
        with transaction.atomic():
            count = (
                OpeningShare.objects.filter(opening_key_id=key_id)
                .exclude(entered_share="")
                .update(entered_share="")
            )
            if count:
                audit_record(
                    stream=tender_stream(ocid),
                    kind="opening.shares_erased",
                    object_type="bidding.openingkey",
                    object_id=str(key_id),
                    data={"shares": count, "why": "cancelled"},
                )
            erased += count
    return erased


# --- the runner -----------------------------------------------------------------------------


def openings_due():
    return OpeningKey.objects.filter(rebuilt_at__isnull=False, completed_at__isnull=True)


def openings_resume() -> int:
    """Run every opening that is due and not held by another runner (the clock calls this)."""
    done = 0
    for key_id in list(openings_due().values_list("pk", flat=True)):
        # One tender's failure must not hold up the others' openings; its own is tried
        # again at the next run (its lease runs out), and the error is logged for operators.
        try:
            opened = envelopes_open(opening_key_id=key_id)
        except Exception:
            log.exception("the opening of key %s failed; it will be tried again", key_id)
            continue
        done += opened
    return done


def _lease_take(opening_key_id: int) -> bool:
    now = clock.now()
    return bool(
        OpeningKey.objects.filter(pk=opening_key_id, completed_at__isnull=True)
        .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now))
        .update(lease_until=now + LEASE)
    )


def envelopes_open(*, opening_key_id: int) -> bool:
    """Open every sealed envelope of the tender, batch by batch; publish the results and the
    private key, and move the tender to evaluation. False when another runner holds it."""
    if not _lease_take(opening_key_id):
        return False
    opening_key = OpeningKey.objects.select_related("tender").get(pk=opening_key_id)
    tender = opening_key.tender
    _bidding_close(tender)
    private_key = X25519PrivateKey.from_private_bytes(bytes(opening_key.private_key))
    _reserve_prices_reveal(tender, private_key)
    checks = CertificateChecks()
    total = (
        Bid.objects.filter(tender=tender)
        .exclude(status__in=[BidStatus.SUPERSEDED, BidStatus.WITHDRAWN])
        .count()
    )
    while _batch_open(tender, opening_key, private_key, checks, total):
        _lease_take_again(opening_key_id)
    _complete(tender, opening_key)
    return True


def _lease_take_again(opening_key_id: int) -> None:
    OpeningKey.objects.filter(pk=opening_key_id).update(lease_until=clock.now() + LEASE)


def _bidding_close(tender: Tender) -> None:
    """Wait for every bid still committing (they hold the lots shared, see submission), and
    close bidding if the clock has not yet: from here the set of envelopes is final."""
    with transaction.atomic():
        tender = Tender.objects.select_for_update().get(pk=tender.pk)
        list(Lot.objects.select_for_update().filter(tender=tender))
        steps = [
            (TenderStatus.NOTICE, tender.open_bidding, tender_events.TENDER_BIDDING_OPENED),
            (TenderStatus.BIDDING, tender.close_bidding, tender_events.TENDER_BIDDING_CLOSED),
        ]
        for source, move, kind in steps:
            if tender.status != source:
                continue
            move()
            tender.save()
            audit_record(
                stream=tender_stream(tender.ocid),
                kind=kind,
                obj=tender,
                data={"from": source, "to": tender.status, "at": clock.now().isoformat()},
            )
            tender_events.tender_changed(tender, kind)


def _reserve_prices_reveal(tender: Tender, private_key) -> None:
    with transaction.atomic():
        for prices in (
            ReservePriceSet.objects.select_for_update(of=("self",))
            .filter(lot__tender=tender, revealed__isnull=True)
            .select_related("lot")
        ):
            plaintext, values = reserve_prices_open(
                bytes(prices.sealed),
                private_key,
                tender=tender.ocid,
                lot=prices.lot.number,
                commitment=prices.commitment,
            )
            prices.revealed, prices.prices = plaintext, values
            prices.save(update_fields=["revealed", "prices"])
            audit_record(
                stream=tender_stream(tender.ocid),
                kind="opening.reserve_prices_revealed",
                obj=prices.lot,
                data={"lot": prices.lot.number, "prices": values, "commitment": prices.commitment},
            )


# What opening or rejecting a bid changes (Bid.open, Bid.reject).
OPENING_FIELDS = (
    "status", "closed_at", "amount", "reserve_picks", "documents", "signer", "rejection_code",
    "rejection_reason",
)  # fmt: skip


def _batch_open(tender, opening_key, private_key, checks, total: int) -> bool:
    """Open up to BATCH sealed envelopes in one transaction; False when none was left."""
    with transaction.atomic():
        batch = list(
            Bid.objects.select_for_update(of=("self",))
            .filter(tender=tender, status=BidStatus.SEALED)
            .select_related("lot", "supplier__organisation")
            # newest first: see CertificateChecks
            .order_by("-received_at", "-pk")[:BATCH]
        )
        if not batch:
            return False
        now = clock.now()
        checks.read_for({bid.supplier.organisation_id for bid in batch})
        results = []
        for bid in batch:
            outcome = envelope_verify(bid, private_key, tender=tender, checks=checks)
            if outcome.opened:
                bid.open(
                    now=now,
                    amount=outcome.amount,
                    reserve_picks=outcome.reserve_picks,
                    documents=outcome.documents,
                    signer=outcome.signer,
                )
            else:
                bid.reject(now=now, code=outcome.code, reason=outcome.reason)
            # Not the envelope again: sent back, PostgreSQL would store its bytes anew.
            bid.save(update_fields=OPENING_FIELDS)
            results.append(
                Entry(
                    kind="bid.opened" if outcome.opened else "bid.rejected",
                    obj=bid,
                    data=events.bid_result(bid),
                )
            )
        audit_record_many(stream=tender_stream(tender.ocid), entries=results)
        done = Bid.objects.filter(
            tender=tender, status__in=[BidStatus.OPENED, BidStatus.REJECTED]
        ).count()
        live_publish(
            topics=[tender_topic(tender.pk)],
            kind=events.OPENING_PROGRESS,
            payload={"done": done, "total": total},
        )
    return True


def _complete(tender: Tender, opening_key: OpeningKey) -> None:
    with transaction.atomic():
        tender = Tender.objects.select_for_update().get(pk=tender.pk)
        opening_key = OpeningKey.objects.select_for_update().get(pk=opening_key.pk)
        if opening_key.completed_at is not None:
            return
        opening_key.completed_at = clock.now()
        opening_key.lease_until = None
        opening_key.save(update_fields=["completed_at", "lease_until"])
        tender.opening_complete()
        tender.save()
        results = [events.bid_result(bid) for bid in events.results_queryset(tender)]
        audit_record(
            stream=tender_stream(tender.ocid),
            kind="opening.completed",
            obj=tender,
            data={
                "opened": sum(1 for r in results if r["status"] == BidStatus.OPENED),
                "rejected": sum(1 for r in results if r["status"] == BidStatus.REJECTED),
                "private_key": bytes(opening_key.private_key).hex(),
            },
        )
        tender_events.tender_changed(
            tender,
            events.OPENING_COMPLETED,
            extra={
                "results": results,
                "opening_private_key": bytes(opening_key.private_key).hex(),
            },
        )
        # Last: evaluation starts on each lot, and its events follow the opening's.
        lots_evaluation_start(tender=tender)
