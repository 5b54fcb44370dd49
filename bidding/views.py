"""The supplier's side of a tender: registering for it (bid submission joins it later)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from accounts.models import Role
from accounts.permissions import organisations_where
from core import clock
from procurement.selectors import tenders_public
from suppliers.models import Supplier
from suppliers.selectors import supplier_refusals

from . import services
from .exceptions import RegistrationRefused
from .models import TenderRegistration


@login_required
def participate(request, pk: int):
    tender = get_object_or_404(tenders_public(), pk=pk)
    suppliers = Supplier.objects.filter(
        organisation__in=organisations_where(request.user, Role.BIDDER, Role.SUPPLIER_ADMIN)
    ).select_related("organisation")
    errors, status = [], 200
    if request.method == "POST":
        supplier_id = request.POST.get("supplier", "")
        supplier = suppliers.filter(pk=supplier_id).first() if supplier_id.isdigit() else None
        if supplier is None:
            errors, status = [_("Choose one of your companies.")], 400
        else:
            try:
                services.tender_register(tender=tender, supplier=supplier, actor=request.user)
            except RegistrationRefused as refusal:
                errors, status = refusal.messages, 400
            else:
                messages.success(
                    request,
                    _("%(company)s is registered for this tender.")
                    % {"company": supplier.organisation.name},
                )
                return redirect("bidding:participate", pk=tender.pk)
    registered = set(
        TenderRegistration.objects.filter(tender=tender, supplier__in=suppliers).values_list(
            "supplier_id", flat=True
        )
    )
    now = clock.now()
    categories = list(tender.categories.all())
    companies = [
        {
            "supplier": supplier,
            "registered": supplier.pk in registered,
            "refusals": []
            if supplier.pk in registered
            else supplier_refusals(supplier, categories=categories, now=now),
        }
        for supplier in suppliers
    ]
    return render(
        request,
        "bidding/participate.html",
        {
            "tender": tender,
            "companies": companies,
            "errors": errors,
            "categories": categories,
            "registration_open": tender.status in ("notice", "bidding")
            and now < tender.registration_close_at,
        },
        status=status,
    )
