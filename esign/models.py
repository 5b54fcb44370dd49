"""The platform's certificate authorities and the certificates it issued to people."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, transition

from accounts.models import Organisation
from core.state import ConcurrentTransitions


class AuthorityRole(models.TextChoices):
    ROOT = "root", _("Root CA")
    ISSUING = "issuing", _("Issuing CA")
    RECEIPTS = "receipts", _("Receipt signing")
    TSA = "tsa", _("Time-stamping authority")


class Authority(models.Model):
    """One of the platform's own keys with its certificate. The private key is stored only
    encrypted (PKCS#8, with the passphrase from the environment)."""

    role = models.CharField(max_length=20, choices=AuthorityRole.choices, unique=True)
    certificate_pem = models.TextField()
    encrypted_key_pem = models.TextField()
    # The latest CRL this authority signed (root and issuing CAs), reissued on revocation.
    crl_der = models.BinaryField(null=True, blank=True)
    crl_number = models.PositiveBigIntegerField(default=0)
    crl_next_update = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("platform authority")
        verbose_name_plural = _("platform authorities")

    def __str__(self) -> str:
        return self.get_role_display()


class CertificateStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    REVOKED = "revoked", _("Revoked")
    EXPIRED = "expired", _("Expired")


class RevocationReason(models.TextChoices):
    """RFC 5280 reason codes people choose from."""

    UNSPECIFIED = "unspecified", _("Unspecified")
    KEY_COMPROMISE = "key_compromise", _("Key compromised")
    AFFILIATION_CHANGED = "affiliation_changed", _("No longer with the organisation")
    SUPERSEDED = "superseded", _("Replaced by a new certificate")
    CESSATION_OF_OPERATION = "cessation_of_operation", _("No longer needed")
    PRIVILEGE_WITHDRAWN = "privilege_withdrawn", _("Account closed by the platform")


class Certificate(ConcurrentTransitions, models.Model):
    """A signing certificate the platform CA issued to a person for one organisation (or one
    imported from a trusted CA). The key pair is the person's: only the public key is here."""

    holder = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="certificates"
    )
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="certificates"
    )
    serial = models.CharField(_("serial number"), max_length=64, db_index=True)
    fingerprint = models.CharField(_("SHA-256 fingerprint"), max_length=64, unique=True)
    subject = models.CharField(_("subject"), max_length=500)
    issuer = models.CharField(_("issuer"), max_length=500)
    not_before = models.DateTimeField(_("valid from"))
    not_after = models.DateTimeField(_("valid until"))
    pem = models.TextField()
    issued_by_platform = models.BooleanField(default=True)
    status = FSMField(
        _("status"),
        default=CertificateStatus.ACTIVE,
        choices=CertificateStatus.choices,
        protected=True,
        db_index=True,
    )
    revoked_at = models.DateTimeField(null=True, blank=True)
    revocation_reason = models.CharField(
        max_length=30, choices=RevocationReason.choices, blank=True
    )
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("certificate")
        constraints = [
            # Serials are unique per issuer; the platform's own CA draws random ones.
            models.UniqueConstraint(fields=["issuer", "serial"], name="certificate_issuer_serial"),
        ]

    def __str__(self) -> str:
        return f"{self.subject} ({self.serial})"

    @transition(field=status, source=CertificateStatus.ACTIVE, target=CertificateStatus.REVOKED)
    def revoke(self, *, now, reason: str, by):
        self.revoked_at, self.revocation_reason, self.revoked_by = now, reason, by

    @transition(field=status, source=CertificateStatus.ACTIVE, target=CertificateStatus.EXPIRED)
    def expire(self):
        pass


class ExternalCrl(models.Model):
    """The newest CRL of a trusted external CA, fetched from a distribution point its
    certificates name. Only a CRL whose signature verifies against a trusted CA is kept."""

    url = models.CharField(_("distribution point"), max_length=500, unique=True)
    issuer = models.CharField(_("issuer"), max_length=500)
    der = models.BinaryField()
    crl_number = models.PositiveBigIntegerField(null=True, blank=True)
    this_update = models.DateTimeField()
    next_update = models.DateTimeField(null=True, blank=True)
    fetched_at = models.DateTimeField()

    class Meta:
        verbose_name = _("external CRL")

    def __str__(self) -> str:
        return f"{self.issuer} ({self.url})"
