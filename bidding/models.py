"""Participation in tenders (sealed envelopes and the opening come with bid submission)."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, transition

from core.state import ConcurrentTransitions
from procurement.models import Lot, Tender
from suppliers.models import Supplier


class TenderRegistration(models.Model):
    """A supplier's registration to take part in a tender. Private until the opening: who
    registered, and how many did, tells competitors too much."""

    tender = models.ForeignKey(Tender, on_delete=models.PROTECT, related_name="registrations")
    supplier = models.ForeignKey(Supplier, on_delete=models.PROTECT, related_name="registrations")
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    registered_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tender", "supplier"], name="registration_once")
        ]
        verbose_name = _("tender registration")

    def __str__(self) -> str:
        return f"{self.supplier} @ {self.tender.ocid}"


class ShareReceivingKey(models.Model):
    """An opening officer's X25519 public key: their shares of tenders' opening keys are
    sealed to it at publication. The private key stays with the officer (their browser or
    the command-line client); a newer key retires the older one."""

    holder = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="share_receiving_keys"
    )
    public_key = models.BinaryField(_("public key (X25519)"))
    fingerprint = models.CharField(_("SHA-256 fingerprint"), max_length=64, unique=True)
    created_at = models.DateTimeField()
    retired_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["holder"],
                condition=models.Q(retired_at__isnull=True),
                name="one_current_receiving_key",
            )
        ]
        verbose_name = _("share-receiving key")

    def __str__(self) -> str:
        return f"{self.holder} {self.fingerprint[:16]}"


class OpeningKey(models.Model):
    """A tender's opening key: the public half bids are sealed to, the private half only
    encrypted under a key-encryption key that exists nowhere but in the officers' shares.
    After the opening the private key itself is published, so anyone can re-open every
    envelope and check the results."""

    tender = models.OneToOneField(Tender, on_delete=models.PROTECT, related_name="opening_key")
    public_key = models.BinaryField(_("public key (X25519)"))
    wrapped_private_key = models.BinaryField(_("private key, encrypted"))
    threshold = models.PositiveSmallIntegerField(_("shares needed"))
    share_count = models.PositiveSmallIntegerField(_("shares"))
    share_set = models.PositiveIntegerField(_("SLIP-39 identifier of the share set"))
    created_at = models.DateTimeField()
    private_key = models.BinaryField(_("private key, published after opening"), null=True)
    rebuilt_at = models.DateTimeField(null=True, blank=True)
    # One runner opens the envelopes at a time: it holds this lease and renews it per batch;
    # a runner that died leaves it to expire and the next one resumes where it stopped.
    lease_until = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(_("opening completed"), null=True, blank=True)

    class Meta:
        verbose_name = _("opening key")

    def __str__(self) -> str:
        return f"{self.tender.ocid} {bytes(self.public_key).hex()[:16]}"


class OpeningShare(models.Model):
    """One officer's share of one tender's opening key. The platform holds it only sealed
    to the officer's share-receiving key, and drops even that once the officer confirms they
    have it; at the opening the officer enters it again."""

    opening_key = models.ForeignKey(OpeningKey, on_delete=models.CASCADE, related_name="shares")
    officer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="opening_shares"
    )
    member_index = models.PositiveSmallIntegerField(_("SLIP-39 member index"))
    receiving_key = models.ForeignKey(
        ShareReceivingKey, on_delete=models.PROTECT, related_name="shares"
    )
    sealed_share = models.BinaryField(null=True)
    received_at = models.DateTimeField(_("officer confirmed receipt"), null=True, blank=True)
    entered_at = models.DateTimeField(_("entered at the opening"), null=True, blank=True)
    # Kept from its entry at the opening until the k-th share rebuilds the key, then erased;
    # erased too if the tender is cancelled first (cancelled_shares_forget).
    entered_share = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["opening_key", "officer"], name="one_share_each"),
            models.UniqueConstraint(
                fields=["opening_key", "member_index"], name="share_member_once"
            ),
        ]
        # The clock looks for entered shares to erase on every tick: only those are indexed.
        indexes = [
            models.Index(
                fields=["opening_key"], condition=~Q(entered_share=""), name="share_entered_held"
            )
        ]
        verbose_name = _("opening share")

    def __str__(self) -> str:
        return f"{self.opening_key.tender.ocid} share {self.member_index} ({self.officer})"


class ReservePriceSet(models.Model):
    """A lot's reserve prices (qualification review), drawn at publication and sealed to
    the opening key. The notice publishes only the commitment (SHA-256 of the sealed
    plaintext); at the opening the plaintext is published and anyone can check it."""

    lot = models.OneToOneField(Lot, on_delete=models.PROTECT, related_name="reserve_prices")
    sealed = models.BinaryField()
    commitment = models.CharField(_("SHA-256 commitment"), max_length=64)
    revealed = models.BinaryField(_("plaintext, published at the opening"), null=True)
    prices = models.JSONField(_("reserve prices"), null=True, blank=True)

    class Meta:
        verbose_name = _("reserve price set")

    def __str__(self) -> str:
        return f"{self.lot} reserve prices"


class BidStatus(models.TextChoices):
    SEALED = "sealed", _("Sealed")
    SUPERSEDED = "superseded", _("Replaced")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    OPENED = "opened", _("Opened")
    REJECTED = "rejected", _("Rejected")


class Bid(ConcurrentTransitions, models.Model):
    """One sealed envelope a supplier submitted for a lot. Until the opening the platform
    knows who sent it and when, never what it says: `sealed` opens only with the tender's
    opening key. A newer envelope for the same lot replaces it; the newest counts."""

    tender = models.ForeignKey(Tender, on_delete=models.PROTECT, related_name="bids")
    lot = models.ForeignKey(Lot, on_delete=models.PROTECT, related_name="bids")
    supplier = models.ForeignKey(Supplier, on_delete=models.PROTECT, related_name="bids")
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    certificate = models.ForeignKey("esign.Certificate", on_delete=models.PROTECT, related_name="+")
    sealed = models.BinaryField(_("sealed envelope"))
    outer_signature = models.BinaryField(_("submitter's signature over the envelope"))
    sha256 = models.CharField(_("SHA-256 of the envelope"), max_length=64)
    size = models.PositiveIntegerField()
    received_at = models.DateTimeField(_("received"))
    status = FSMField(
        _("status"), default=BidStatus.SEALED, choices=BidStatus.choices, protected=True
    )
    # A retry with the same key returns this bid's receipt instead of making a second bid.
    idempotency_key = models.CharField(max_length=200, blank=True)
    request_digest = models.CharField(max_length=64)
    closed_at = models.DateTimeField(_("replaced, withdrawn or opened"), null=True, blank=True)
    # The supplier's signed statement withdrawing this envelope (canonical JSON + CMS).
    withdrawal = models.BinaryField(null=True)
    withdrawal_signature = models.BinaryField(null=True)
    # What the opening found; empty before it.
    amount = models.PositiveBigIntegerField(_("amount"), null=True, blank=True)
    reserve_picks = models.JSONField(_("reserve price picks"), null=True, blank=True)
    documents = models.JSONField(_("documents"), null=True, blank=True)
    signer = models.CharField(_("inner signature's certificate (fingerprint)"), max_length=64)
    rejection_code = models.CharField(max_length=40, blank=True)
    rejection_reason = models.TextField(_("reason for rejection"), blank=True)

    class Meta:
        ordering = ["received_at", "id"]  # no join: locking a bid must not lock its lot
        constraints = [
            models.UniqueConstraint(
                fields=["lot", "supplier"],
                condition=models.Q(status="sealed"),
                name="one_sealed_bid_per_lot",
            ),
            models.UniqueConstraint(
                fields=["submitted_by", "idempotency_key"],
                condition=~models.Q(idempotency_key=""),
                name="bid_idempotency_key",
            ),
        ]
        indexes = [models.Index(fields=["tender", "status"], name="bid_tender_status")]
        verbose_name = _("bid")

    def __str__(self) -> str:
        return f"{self.tender.ocid} lot {self.lot.number} {self.sha256[:12]}"

    @transition(field=status, source=BidStatus.SEALED, target=BidStatus.SUPERSEDED)
    def supersede(self, *, now):
        self.closed_at = now

    @transition(field=status, source=BidStatus.SEALED, target=BidStatus.WITHDRAWN)
    def withdraw(self, *, now, statement: bytes, signature: bytes):
        self.closed_at, self.withdrawal, self.withdrawal_signature = now, statement, signature

    @transition(field=status, source=BidStatus.SEALED, target=BidStatus.OPENED)
    def open(self, *, now, amount: int, reserve_picks: list, documents: list, signer: str):
        self.closed_at, self.amount, self.reserve_picks = now, amount, reserve_picks
        self.documents, self.signer = documents, signer

    @transition(field=status, source=BidStatus.SEALED, target=BidStatus.REJECTED)
    def reject(self, *, now, code: str, reason: str):
        self.closed_at, self.rejection_code, self.rejection_reason = now, code, reason


class ReceiptKind(models.TextChoices):
    BID = "bid", _("Bid received")
    WITHDRAWAL = "withdrawal", _("Withdrawal received")


class Receipt(models.Model):
    """What the platform signs back for a bid or a withdrawal: the envelope's hash and the
    authoritative time it arrived, signed with the platform's receipts key, with an RFC 3161
    time-stamp token over the same bytes. A supplier can check it offline."""

    number = models.CharField(_("receipt number"), max_length=40, unique=True)
    kind = models.CharField(max_length=20, choices=ReceiptKind.choices)
    bid = models.ForeignKey(Bid, on_delete=models.PROTECT, related_name="receipts")
    body = models.BinaryField(_("receipt (canonical JSON)"))
    signature = models.BinaryField(_("platform signature (CMS, detached)"))
    timestamp = models.BinaryField(_("RFC 3161 time-stamp token"))
    issued_at = models.DateTimeField()

    class Meta:
        ordering = ["issued_at"]
        constraints = [models.UniqueConstraint(fields=["bid", "kind"], name="one_receipt_per_kind")]
        verbose_name = _("receipt")

    def __str__(self) -> str:
        return self.number
