"""Participation in tenders (sealed envelopes and the opening come with bid submission)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from procurement.models import Tender
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
