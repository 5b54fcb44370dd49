"""Supplier pages: registration, the company profile and its people, the operator's review."""

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.models import Role, User
from accounts.permissions import has_role, is_operator, organisations_where
from esign.models import Certificate, RevocationReason

from . import services
from .forms import AdministratorForm, CompanyForm, PersonForm, ReasonForm, SuspendForm
from .models import Supplier, SupplierStatus
from .services import PROFILE_FIELDS, LicenceClaim, NewPerson


def register(request):
    signed_in = request.user.is_authenticated
    company = CompanyForm(request.POST or None)
    admin = None if signed_in else AdministratorForm(request.POST or None, prefix="admin")
    if request.method == "POST" and company.is_valid() and (admin is None or admin.is_valid()):
        data = company.cleaned_data
        try:
            supplier = services.supplier_register(
                name=data["name"],
                name_en=data["name_en"],
                brn=data["brn"],
                profile={field: data[field] for field in PROFILE_FIELDS},
                licences=[LicenceClaim(category) for category in data["categories"]],
                actor=request.user if signed_in else None,
                admin=None
                if signed_in
                else NewPerson(
                    admin.cleaned_data["username"],
                    admin.cleaned_data["display_name"],
                    admin.cleaned_data["admin_email"],
                    admin.cleaned_data["password"],
                ),
            )
        except ValidationError as error:
            company.add_error(None, error)
        else:
            if not signed_in:
                person = supplier.organisation.memberships.get(role=Role.SUPPLIER_ADMIN).user
                login(request, person, backend="accounts.backends.ThrottledModelBackend")
            messages.success(
                request,
                _(
                    "Registered. A platform operator will verify the "
                    "company; you can follow it here."
                ),
            )
            return redirect("suppliers:profile", pk=supplier.pk)
    return render(
        request,
        "suppliers/register.html",
        {"company": company, "admin": admin},
        status=400 if request.method == "POST" else 200,
    )


def _visible_supplier(request, pk: int) -> Supplier:
    supplier = get_object_or_404(Supplier.objects.select_related("organisation"), pk=pk)
    member = has_role(request.user, supplier.organisation, Role.SUPPLIER_ADMIN, Role.BIDDER)
    if not (member or is_operator(request.user)):
        raise PermissionDenied
    return supplier


@login_required
def my_companies(request):
    companies = organisations_where(request.user, Role.SUPPLIER_ADMIN, Role.BIDDER)
    suppliers = Supplier.objects.filter(organisation__in=companies)
    if len(suppliers) == 1:
        return redirect("suppliers:profile", pk=suppliers[0].pk)
    return render(request, "suppliers/companies.html", {"suppliers": suppliers})


@login_required
def profile(request, pk: int, person_form=None, status=200):
    supplier = _visible_supplier(request, pk)
    is_admin = has_role(request.user, supplier.organisation, Role.SUPPLIER_ADMIN)
    return render(
        request,
        "suppliers/profile.html",
        {
            "supplier": supplier,
            "licences": supplier.licences.select_related("category"),
            "people": supplier.organisation.memberships.select_related("user").order_by(
                "user__username", "role"
            ),
            "is_admin": is_admin,
            "person_form": person_form or (PersonForm() if is_admin else None),
            "registrations": supplier.registrations.select_related("tender").order_by(
                "-registered_at"
            )[:50],
            "is_operator": is_operator(request.user),
            # An administrator (or operator) can revoke the signing certificates of the
            # company's people, e.g. when someone leaves.
            "certificates": Certificate.objects.filter(organisation=supplier.organisation)
            .select_related("holder")
            .order_by("status", "-not_after")
            if is_admin or is_operator(request.user)
            else None,
            "reasons": RevocationReason.choices,
            "reason_form": ReasonForm(),
            "suspend_form": SuspendForm(),
        },
        status=status,
    )


@login_required
@require_POST
def person_add(request, pk: int):
    supplier = _visible_supplier(request, pk)
    form = PersonForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.supplier_person_add(
                supplier=supplier,
                actor=request.user,
                person=NewPerson(
                    data["username"], data["display_name"], data["email"], data["password"]
                ),
                roles=[Role(role) for role in data["roles"]],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Person added."))
            return redirect("suppliers:profile", pk=supplier.pk)
    return profile(request, pk, person_form=form, status=400)


@login_required
@require_POST
def person_remove(request, pk: int, user_id: int):
    supplier = _visible_supplier(request, pk)
    person = get_object_or_404(User, pk=user_id)
    try:
        revoked = services.supplier_person_remove(
            supplier=supplier, actor=request.user, person=person
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return profile(request, pk, status=400)
    messages.success(
        request,
        _("%(person)s removed; %(count)s certificate(s) revoked.")
        % {"person": person, "count": revoked},
    )
    return redirect("suppliers:profile", pk=supplier.pk)


# --- The operator's review ------------------------------------------------------------------


def _require_operator(request) -> None:
    if not is_operator(request.user):
        raise PermissionDenied


@login_required
def review_queue(request):
    _require_operator(request)
    status = request.GET.get("status", SupplierStatus.PENDING)
    if status not in SupplierStatus.values:
        status = SupplierStatus.PENDING
    suppliers = (
        Supplier.objects.filter(status=status)
        .select_related("organisation")
        .prefetch_related("licences__category")
        .order_by("registered_at")
    )
    return render(
        request,
        "suppliers/review_queue.html",
        {"suppliers": suppliers, "status": status, "statuses": SupplierStatus.choices},
    )


@login_required
@require_POST
def decide(request, pk: int, decision: str):
    _require_operator(request)
    supplier = get_object_or_404(Supplier, pk=pk)
    fields = {}
    try:
        if decision in ("reject", "suspend", "close"):
            form = (SuspendForm if decision == "suspend" else ReasonForm)(request.POST)
            if not form.is_valid():
                raise ValidationError(_("Give a reason (and a valid date)."))
            fields = form.cleaned_data
        services.supplier_decide(supplier=supplier, actor=request.user, decision=decision, **fields)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return profile(request, pk, status=400)
    messages.success(request, _("Decision recorded."))
    return redirect("suppliers:profile", pk=supplier.pk)
