"""Reads about suppliers: the verification queue and eligibility for a tender."""

from datetime import datetime

from django.utils import timezone
from django.utils.translation import gettext as _

from .models import Supplier, SupplierStatus, licence_valid_on


def supplier_refusals(supplier: Supplier | None, *, categories, now: datetime) -> list[str]:
    """Why `supplier` may not take part (empty when it may): verified, not debarred, and
    holding a valid licence in one of `categories` when the tender names any."""
    if supplier is None:
        return [_("This organisation is not a registered supplier.")]
    today = timezone.localdate(now)
    if supplier.is_debarred(today):
        until = supplier.suspended_until
        return [
            _("The company is suspended until %(date)s: %(reason)s")
            % {
                "date": until.isoformat() if until else _("further notice"),
                "reason": supplier.suspension_reason,
            }
        ]
    if supplier.status not in (SupplierStatus.VERIFIED, SupplierStatus.SUSPENDED):
        return [
            _("The company is not verified yet (status: %(status)s).")
            % {"status": supplier.get_status_display()}
        ]
    required = {category.pk for category in categories}
    if required:
        held = {
            licence.category_id
            for licence in supplier.licences.all()
            if licence_valid_on(licence.valid_until, today)
        }
        if not required & held:
            names = ", ".join(sorted(str(c) for c in categories))
            return [
                _(
                    "The company holds no valid licence in the categories this tender "
                    "requires (%(names)s)."
                )
                % {"names": names}
            ]
    return []
