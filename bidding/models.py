"""Participation in tenders (sealed envelopes and the opening come with bid submission)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

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
    # Kept from its entry at the opening until the k-th share rebuilds the key, then erased.
    entered_share = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["opening_key", "officer"], name="one_share_each"),
            models.UniqueConstraint(
                fields=["opening_key", "member_index"], name="share_member_once"
            ),
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
