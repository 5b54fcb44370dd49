"""Bidding use cases: registering for a tender."""

from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import Role
from accounts.permissions import require_role
from core import clock
from core.audit import audit_record, sealed_stream
from procurement.models import Tender, TenderStatus
from suppliers.models import Supplier
from suppliers.selectors import supplier_refusals

from .exceptions import RegistrationRefused
from .models import TenderRegistration


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
