"""What a tender's publication prepares for sealed bidding, and the delivery of the opening
officers' shares.

`tender_sealing_prepare` runs inside `procurement.services.tender_publish`'s transaction
(settings.TENDER_SEALING_PREPARE): it makes the opening key, seals each officer's share to
that officer's share-receiving key, draws and seals the reserve prices, and returns what the
notice publishes. The mnemonics exist in this process's memory only while it runs.
"""

from decimal import Decimal

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from core import clock
from core.audit import audit_record, tender_stream
from procurement.exceptions import TenderError
from procurement.models import Lot, Tender, TenderStatus

from .models import OpeningKey, OpeningShare, ReservePriceSet, ShareReceivingKey
from .opening_key import opening_key_create, share_identifier, share_seal
from .reserve_prices import reserve_prices_draw, reserve_prices_plaintext, reserve_prices_seal


def tender_sealing_prepare(*, tender: Tender, lots: list[Lot], officers: list, now) -> dict:
    """Make `tender`'s opening key and shares (and reserve prices when its procedure uses
    them); refuse when an officer has no share-receiving key. Returns the sealing terms
    the notice publishes."""
    receiving = {
        key.holder_id: key
        for key in ShareReceivingKey.objects.filter(holder__in=officers, retired_at__isnull=True)
    }
    missing = [user.get_username() for user in officers if user.pk not in receiving]
    if missing:
        raise TenderError(
            _(
                "These opening officers have no share-receiving key yet, so their share "
                "could not reach them: %(names)s"
            )
            % {"names": ", ".join(missing)},
            code="receiving_keys",
        )
    new = opening_key_create(
        tender=tender.ocid, threshold=tender.opening_threshold, shares=len(officers)
    )
    opening_key = OpeningKey.objects.create(
        tender=tender,
        public_key=new.public_key,
        wrapped_private_key=new.wrapped_private_key,
        threshold=tender.opening_threshold,
        share_count=len(officers),
        share_set=share_identifier(new.shares[0])[0],
        created_at=now,
    )
    OpeningShare.objects.bulk_create(
        OpeningShare(
            opening_key=opening_key,
            officer=officer,
            member_index=share_identifier(mnemonic)[1],
            receiving_key=receiving[officer.pk],
            sealed_share=share_seal(
                mnemonic,
                bytes(receiving[officer.pk].public_key),
                tender=tender.ocid,
                officer=officer.pk,
            ),
        )
        for officer, mnemonic in zip(officers, new.shares, strict=True)
    )
    sealing = {
        "opening_public_key": new.public_key.hex(),
        "threshold": tender.opening_threshold,
        "shares": len(officers),
    }
    terms = tender.terms
    if terms.get("uses_reserve_prices"):
        sealing["reserve_price_commitments"] = {
            str(lot.number): _reserve_prices_seal(tender, lot, new.public_key, terms)
            for lot in lots
        }
    return sealing


def _reserve_prices_seal(tender: Tender, lot: Lot, public_key: bytes, terms: dict) -> str:
    prices = reserve_prices_draw(
        lot.base_amount,
        count=terms["reserve_price_count"],
        range_pct=Decimal(terms["reserve_price_range_pct"]),
    )
    plaintext = reserve_prices_plaintext(
        tender=tender.ocid, lot=lot.number, base_amount=lot.base_amount, prices=prices
    )
    sealed = reserve_prices_seal(plaintext, public_key, tender=tender.ocid, lot=lot.number)
    ReservePriceSet.objects.create(lot=lot, sealed=sealed.sealed, commitment=sealed.commitment)
    return sealed.commitment


# --- delivering shares to the officers -------------------------------------------------------


def opening_shares_of(officer):
    """The officer's shares, newest tender first, with what they need to open each."""
    return (
        OpeningShare.objects.filter(officer=officer)
        .select_related("opening_key__tender", "receiving_key")
        .order_by("-opening_key__created_at")
    )


# Where a share stands for its officer, most final first: whether anything is still asked
# of them for this tender, and what.
SHARE_OPENED = "opened"  # the key was rebuilt: the share is needed no more
SHARE_CANCELLED = "cancelled"  # the tender was cancelled unopened: nothing to open
SHARE_ENTERED = "entered"  # entered; the opening waits for the other officers
SHARE_DUE = "due"  # the deadline has passed: enter it on the opening page
SHARE_RECEIVED = "received"  # read and kept, for entering after the deadline
SHARE_WAITING = "waiting"  # still sealed on the platform: read it and write it down
SHARE_STANDINGS = (
    SHARE_OPENED, SHARE_CANCELLED, SHARE_ENTERED, SHARE_DUE, SHARE_RECEIVED, SHARE_WAITING,
)  # fmt: skip


def share_standing(share: OpeningShare, *, now) -> str:
    """One of SHARE_STANDINGS for `share` at `now` (its opening key and tender loaded)."""
    key, tender = share.opening_key, share.opening_key.tender
    if key.rebuilt_at is not None:
        return SHARE_OPENED
    if tender.status == TenderStatus.CANCELLED:
        return SHARE_CANCELLED
    if share.entered_at is not None:
        return SHARE_ENTERED
    if now >= tender.bid_close_at:
        return SHARE_DUE
    return SHARE_RECEIVED if share.received_at is not None else SHARE_WAITING


def opening_share_received(*, share: OpeningShare, actor) -> OpeningShare:
    """The officer confirms they have read and kept their share: the platform drops the
    sealed copy, so from now on the officer holds the only one."""
    if share.officer_id != getattr(actor, "pk", None):
        raise PermissionDenied(_("This share is not yours."))
    with transaction.atomic():
        share = OpeningShare.objects.select_for_update().get(pk=share.pk)
        if share.received_at is None:
            share.received_at = clock.now()
            share.sealed_share = None
            share.save(update_fields=["received_at", "sealed_share"])
            audit_record(
                stream=tender_stream(share.opening_key.tender.ocid),
                kind="opening.share_received",
                actor=actor,
                obj=share,
                data={"tender": share.opening_key.tender.ocid, "member": share.member_index},
            )
    return share
