"""Bidding use cases: registering for a tender, opening officers' share-receiving keys."""

import hashlib

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import Role
from accounts.permissions import organisations_where, require_role
from core import clock
from core.audit import PLATFORM_STREAM, audit_record, sealed_stream
from procurement.models import Tender, TenderStatus
from suppliers.models import Supplier
from suppliers.selectors import supplier_refusals

from .exceptions import ReceivingKeyRefused, RegistrationRefused
from .models import ShareReceivingKey, TenderRegistration


def tender_register(*, tender: Tender, supplier: Supplier, actor) -> TenderRegistration:
    """Register `supplier` for `tender` during its registration window.

    The actor must be a bidder or administrator of the supplier; the supplier must be
    verified, not debarred, and licensed in one of the tender's categories. Every refusal
    says why. The event goes to the tender's sealed stream, public only from the opening.
    """
    require_role(actor, supplier.organisation, Role.BIDDER, Role.SUPPLIER_ADMIN)
    with transaction.atomic():
        tender = Tender.objects.select_for_update().get(pk=tender.pk)
        supplier = (
            Supplier.objects.select_for_update().select_related("organisation").get(pk=supplier.pk)
        )
        now = clock.now()
        reasons = []
        if (
            tender.status not in (TenderStatus.NOTICE, TenderStatus.BIDDING)
            or now >= tender.registration_close_at
        ):
            reasons.append(_("Registration for this tender is closed."))
        reasons += supplier_refusals(supplier, categories=list(tender.categories.all()), now=now)
        if TenderRegistration.objects.filter(tender=tender, supplier=supplier).exists():
            reasons.append(_("The company is already registered for this tender."))
        if reasons:
            raise RegistrationRefused(reasons, code="refused")
        registration = TenderRegistration.objects.create(
            tender=tender, supplier=supplier, registered_by=actor, registered_at=now
        )
        audit_record(
            stream=sealed_stream(tender.ocid),
            kind="tender.registered",
            actor=actor,
            obj=registration,
            data={"supplier": supplier.organisation.code},
        )
    return registration


def receiving_key_register(*, actor, public_key: bytes) -> ShareReceivingKey:
    """An opening officer registers the X25519 public key their opening shares are to be
    sealed to; it replaces their earlier one. Shares already delivered stay sealed to the
    key that was current at their tender's publication."""
    if not organisations_where(actor, Role.OPENING_OFFICER).exists():
        raise PermissionDenied(_("Only opening officers receive opening shares."))
    if len(public_key) != 32 or public_key == bytes(32):
        raise ReceivingKeyRefused(
            _("A share-receiving key is a 32-byte X25519 public key."), code="key"
        )
    fingerprint = hashlib.sha256(public_key).hexdigest()
    with transaction.atomic():
        if ShareReceivingKey.objects.filter(fingerprint=fingerprint).exists():
            raise ReceivingKeyRefused(_("This key is registered already."), code="registered")
        now = clock.now()
        ShareReceivingKey.objects.select_for_update().filter(
            holder=actor, retired_at__isnull=True
        ).update(retired_at=now)
        key = ShareReceivingKey.objects.create(
            holder=actor, public_key=public_key, fingerprint=fingerprint, created_at=now
        )
        audit_record(
            stream=PLATFORM_STREAM,
            kind="opening.receiving_key_registered",
            actor=actor,
            obj=key,
            data={"fingerprint": fingerprint},
        )
    return key


def receiving_key_current(user) -> ShareReceivingKey | None:
    return ShareReceivingKey.objects.filter(holder=user, retired_at__isnull=True).first()
