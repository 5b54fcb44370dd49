"""Supplier companies: their registration, verification, licences and debarment."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, transition

from accounts.models import Organisation
from accounts.permissions import is_operator
from core.state import ConcurrentTransitions


class CategoryKind(models.TextChoices):
    GOODS = "goods", _("Goods")
    SERVICES = "services", _("Services")
    WORKS = "works", _("Works")


class Category(models.Model):
    """A field of business a supplier may be licensed for and a tender may require."""

    code = models.CharField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=200)
    name_en = models.CharField(_("name in English"), max_length=200, blank=True)
    kind = models.CharField(_("kind"), max_length=10, choices=CategoryKind.choices)

    class Meta:
        ordering = ["code"]
        verbose_name = _("category")
        verbose_name_plural = _("categories")

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class SupplierStatus(models.TextChoices):
    PENDING = "pending", _("Pending verification")
    VERIFIED = "verified", _("Verified")
    REJECTED = "rejected", _("Rejected")
    SUSPENDED = "suspended", _("Suspended (debarred)")
    CLOSED = "closed", _("Closed (number released)")


def _by_operator(supplier: "Supplier", user) -> bool:
    return is_operator(user)


def _by_operator_or_platform(supplier: "Supplier", user) -> bool:
    """A debarment ends by an operator's decision or when its end date has passed."""
    return user is None or is_operator(user)


class Supplier(ConcurrentTransitions, models.Model):
    """The supplier record of a company organisation (its business registration number is
    the organisation's code)."""

    organisation = models.OneToOneField(
        Organisation, on_delete=models.PROTECT, related_name="supplier"
    )
    status = FSMField(
        _("status"),
        default=SupplierStatus.PENDING,
        choices=SupplierStatus.choices,
        protected=True,
        db_index=True,
    )
    representative = models.CharField(_("representative"), max_length=100)
    address = models.CharField(_("address"), max_length=300)
    phone = models.CharField(_("phone"), max_length=30)
    email = models.EmailField(_("e-mail"))
    bank_name = models.CharField(_("bank"), max_length=60)
    bank_account = models.CharField(_("account number"), max_length=40)
    bank_holder = models.CharField(_("account holder"), max_length=100)
    registered_at = models.DateTimeField()
    reviewed_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    rejection_reason = models.TextField(_("reason for rejection"), blank=True)
    suspension_reason = models.TextField(_("reason for suspension"), blank=True)
    suspended_until = models.DateField(_("suspended until"), null=True, blank=True)
    # The number a closed registration held before it was released for its real owner.
    released_brn = models.CharField(_("released business number"), max_length=10, blank=True)

    class Meta:
        ordering = ["organisation__name"]
        verbose_name = _("supplier")

    def __str__(self) -> str:
        return self.organisation.name

    def is_debarred(self, today) -> bool:
        return self.status == SupplierStatus.SUSPENDED and (
            self.suspended_until is None or today <= self.suspended_until
        )

    @transition(
        field=status,
        source=SupplierStatus.PENDING,
        target=SupplierStatus.VERIFIED,
        permission=_by_operator,
    )
    def verify(self, *, now, operator):
        self.reviewed_at, self.reviewed_by, self.rejection_reason = now, operator, ""

    @transition(
        field=status,
        source=SupplierStatus.PENDING,
        target=SupplierStatus.REJECTED,
        permission=_by_operator,
    )
    def reject(self, *, now, operator, reason: str):
        self.reviewed_at, self.reviewed_by, self.rejection_reason = now, operator, reason

    @transition(field=status, source=SupplierStatus.REJECTED, target=SupplierStatus.PENDING)
    def resubmit(self):
        self.rejection_reason = ""

    @transition(
        field=status,
        source=SupplierStatus.REJECTED,
        target=SupplierStatus.CLOSED,
        permission=_by_operator,
    )
    def close(self, *, now, operator, reason: str):
        """A rejected registration that will not be corrected (someone registered a number
        that is not theirs, a duplicate) is closed so that its number can be registered
        again by the company it belongs to."""
        self.reviewed_at, self.reviewed_by, self.rejection_reason = now, operator, reason
        self.released_brn = self.organisation.code

    @transition(
        field=status,
        source=SupplierStatus.VERIFIED,
        target=SupplierStatus.SUSPENDED,
        permission=_by_operator,
    )
    def suspend(self, *, reason: str, until):
        self.suspension_reason, self.suspended_until = reason, until

    @transition(
        field=status,
        source=SupplierStatus.SUSPENDED,
        target=SupplierStatus.VERIFIED,
        permission=_by_operator_or_platform,
    )
    def reinstate(self):
        self.suspension_reason, self.suspended_until = "", None


def licence_valid_on(valid_until, today) -> bool:
    """A licence without an end date is valid every day; one with an end date up to and
    including that day."""
    return valid_until is None or valid_until >= today


class Licence(models.Model):
    """A supplier's licence (or registration) to work in one category."""

    supplier = models.ForeignKey(Supplier, on_delete=models.CASCADE, related_name="licences")
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="+")
    number = models.CharField(_("licence number"), max_length=60, blank=True)
    valid_until = models.DateField(_("valid until"), null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["supplier", "category"], name="licence_unique_category")
        ]
        verbose_name = _("licence")

    def __str__(self) -> str:
        return f"{self.supplier} — {self.category}"
