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
