"""People, the organisations they act for, and the roles they hold there.

A person may belong to several organisations (a consultant bidding for two firms, an
officer seconded to another agency); every permission is asked for one organisation.
"""

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _


class OrganisationKind(models.TextChoices):
    AGENCY = "agency", _("Public agency (buyer)")
    COMPANY = "company", _("Supplier company")
    PLATFORM = "platform", _("Platform operator")


class Role(models.TextChoices):
    # buyer agency staff
    PROCUREMENT_OFFICER = "procurement_officer", _("Procurement officer")
    OPENING_OFFICER = "opening_officer", _("Opening officer")
    EVALUATOR = "evaluator", _("Evaluator")
    CONTRACT_SIGNER = "contract_signer", _("Contract signer")
    INSPECTOR = "inspector", _("Inspector")
    FINANCE_OFFICER = "finance_officer", _("Finance officer")
    # supplier staff
    SUPPLIER_ADMIN = "supplier_admin", _("Supplier administrator")
    BIDDER = "bidder", _("Bidder")
    # platform staff
    OPERATOR = "operator", _("Platform operator")
    REVIEWER = "reviewer", _("Reviewer (review body)")


ROLES_BY_KIND = {
    OrganisationKind.AGENCY: {
        Role.PROCUREMENT_OFFICER,
        Role.OPENING_OFFICER,
        Role.EVALUATOR,
        Role.CONTRACT_SIGNER,
        Role.INSPECTOR,
        Role.FINANCE_OFFICER,
    },
    OrganisationKind.COMPANY: {Role.SUPPLIER_ADMIN, Role.BIDDER},
    OrganisationKind.PLATFORM: {Role.OPERATOR, Role.REVIEWER},
}


class User(AbstractUser):
    display_name = models.CharField(_("name"), max_length=150, blank=True)

    def __str__(self) -> str:
        return self.display_name or self.get_username()


class Organisation(models.Model):
    kind = models.CharField(_("kind"), max_length=20, choices=OrganisationKind.choices)
    name = models.CharField(_("name"), max_length=200)
    name_en = models.CharField(_("name in English"), max_length=200, blank=True)
    # Agencies: the public institution code; companies: the business registration number.
    code = models.CharField(_("registration code"), max_length=20, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("organisation")

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    """One role a person holds in one organisation."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(_("role"), max_length=30, choices=Role.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "organisation", "role"], name="membership_unique_role"
            ),
        ]
        verbose_name = _("membership")

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()} @ {self.organisation}"


class ApiToken(models.Model):
    """A person's key for the API, for their own systems and the command-line client.
    Only its SHA-256 is stored: the token itself is shown once, when it is made."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(max_length=12, db_index=True)
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("API token")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"
