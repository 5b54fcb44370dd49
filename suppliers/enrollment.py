"""Who may get a signing certificate: the platform's policy, plugged into esign through the
PKI_ENROLLMENT_POLICY setting (esign knows no suppliers).

Staff of agencies and of the platform may; staff of a company only once it is verified and
while it is not debarred (a suspended company cannot sign)."""

from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Organisation, OrganisationKind
from core import clock

from .models import Supplier, SupplierStatus


def signing_refusal(organisation: Organisation) -> str | None:
    """Why the organisation's people may not get certificates, or None when they may."""
    if organisation.kind != OrganisationKind.COMPANY:
        return None
    supplier = Supplier.objects.filter(organisation=organisation).first()
    if supplier is None or supplier.status in (
        SupplierStatus.PENDING,
        SupplierStatus.REJECTED,
        SupplierStatus.CLOSED,
    ):
        return _("Certificates are issued once the company is verified.")
    if supplier.is_debarred(timezone.localdate(clock.now())):
        return _("The company is suspended: its staff cannot sign.")
    return None
