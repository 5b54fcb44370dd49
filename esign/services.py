"""Certificate use cases: issue from a person's signing request, revoke, expire.

The person's key pair never comes here: only a PKCS#10 request, whose signature proves they
hold the private key. The subject is the platform's to set, from the person's account and
organisation; whatever the request says about names is ignored.
"""

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from accounts.models import Membership, Organisation, Role
from accounts.permissions import has_role, is_operator
from core import clock
from core.audit import PLATFORM_STREAM, audit_record

from .authority import crl_reissue, fingerprint, person_certificate_build, person_subject
from .exceptions import CertificateRequestRefused
from .models import AuthorityRole, Certificate, CertificateStatus, RevocationReason

ALLOWED_CURVES = (ec.SECP256R1, ec.SECP384R1)
MIN_RSA_BITS = 2048


def serial_normalize(text: str) -> str:
    """A serial as the platform stores it (lower-case hex, no leading zeros), from the forms
    people copy: `0A:1B:...`, `0a1b...`, `A1B...`. Unparseable input gives ''."""
    try:
        return f"{int(text.replace(':', '').strip(), 16):x}"
    except ValueError:
        return ""


def certificate_for(serial: str, *, user) -> Certificate:
    """The certificate with this serial that `user` holds or may manage. Serials are unique
    per issuer only (external CAs number their own), so the viewer decides between equals.
    Raises Certificate.DoesNotExist, or PermissionDenied when only others' match."""
    candidates = list(
        Certificate.objects.filter(serial=serial_normalize(serial)).select_related("organisation")
    )
    if not candidates:
        raise Certificate.DoesNotExist
    for certificate in candidates:
        if certificate.holder_id == user.pk or may_revoke(certificate, user):
            return certificate
    raise PermissionDenied


def csr_load(data: bytes | str) -> x509.CertificateSigningRequest:
    raw = data.encode() if isinstance(data, str) else data
    try:
        if raw.lstrip().startswith(b"-----BEGIN"):
            return x509.load_pem_x509_csr(raw)
        return x509.load_der_x509_csr(raw)
    except ValueError as error:
        raise CertificateRequestRefused(
            _("This is not a PKCS#10 certificate request."), code="malformed"
        ) from error


def _check_request(csr: x509.CertificateSigningRequest) -> None:
    if not csr.is_signature_valid:
        raise CertificateRequestRefused(
            _("The request's signature does not match its key."), code="signature"
        )
    key = csr.public_key()
    if isinstance(key, ec.EllipticCurvePublicKey):
        if not isinstance(key.curve, ALLOWED_CURVES):
            raise CertificateRequestRefused(_("Use an ECDSA P-256 or P-384 key."), code="key")
    elif isinstance(key, rsa.RSAPublicKey):
        if key.key_size < MIN_RSA_BITS:
            raise CertificateRequestRefused(_("RSA keys need at least 2048 bits."), code="key")
    else:
        raise CertificateRequestRefused(_("Use an ECDSA P-256 or RSA key."), code="key")


def certificate_issue(
    *, holder, organisation: Organisation, csr_data: bytes | str, actor
) -> Certificate:
    """Issue a signing certificate to `holder` for `organisation` from their request.

    Preconditions: the actor is the holder; the holder belongs to the organisation. Whether
    the organisation may have signing certificates at all (a verified, not debarred
    supplier) is the caller's policy to check first.
    """
    if actor != holder:
        raise PermissionDenied(_("People request their own certificates."))
    if not Membership.objects.filter(user=holder, organisation=organisation).exists():
        raise PermissionDenied(_("You do not belong to this organisation."))
    csr = csr_load(csr_data)
    _check_request(csr)
    now = clock.now()
    subject = person_subject(
        person_name=holder.display_name or holder.get_username(),
        person_id=holder.pk,
        organisation_name=organisation.name,
        organisation_code=organisation.code,
        organisation_kind=organisation.kind,
    )
    issued = person_certificate_build(
        public_key=csr.public_key(), subject=subject, now=now, days=settings.PKI_PERSON_CERT_DAYS
    )
    with transaction.atomic():
        certificate = Certificate.objects.create(
            holder=holder,
            organisation=organisation,
            serial=f"{issued.serial_number:x}",
            fingerprint=fingerprint(issued),
            subject=issued.subject.rfc4514_string(),
            issuer=issued.issuer.rfc4514_string(),
            not_before=issued.not_valid_before_utc,
            not_after=issued.not_valid_after_utc,
            pem=issued.public_bytes(serialization.Encoding.PEM).decode(),
        )
        audit_record(
            stream=PLATFORM_STREAM,
            kind="certificate.issued",
            actor=actor,
            obj=certificate,
            data={
                "serial": certificate.serial,
                "fingerprint": certificate.fingerprint,
                "organisation": organisation.code,
                "not_after": certificate.not_after.isoformat(),
            },
        )
    return certificate


def signing_allowed_check(organisation: Organisation) -> None:
    """Refuse when the organisation's people may not hold signing certificates at all (the
    platform's policy, settings.PKI_ENROLLMENT_POLICY: e.g. an unverified or debarred
    supplier)."""
    refusal = import_string(settings.PKI_ENROLLMENT_POLICY)(organisation)
    if refusal:
        raise CertificateRequestRefused(refusal, code="organisation")


def certificate_enroll(*, actor, organisation: Organisation, csr_data) -> Certificate:
    """A person asks for a certificate for one of their organisations: the platform's
    organisation policy first (settings.PKI_ENROLLMENT_POLICY), then issuance."""
    signing_allowed_check(organisation)
    return certificate_issue(
        holder=actor, organisation=organisation, csr_data=csr_data, actor=actor
    )


def may_revoke(certificate: Certificate, user) -> bool:
    """The holder, an administrator of the holder's company, or a platform operator."""
    return (
        user == certificate.holder
        or is_operator(user)
        or has_role(user, certificate.organisation_id, Role.SUPPLIER_ADMIN)
    )


def certificate_revoke(*, certificate: Certificate, actor, reason: str) -> Certificate:
    """Revoke at once; the CRL is reissued in the same transaction, so it never lags."""
    if reason not in RevocationReason.values:
        raise CertificateRequestRefused(_("Choose a reason for the revocation."), code="reason")
    if not may_revoke(certificate, actor):
        raise PermissionDenied(_("You may not revoke this certificate."))
    with transaction.atomic():
        certificate = Certificate.objects.select_for_update().get(pk=certificate.pk)
        if certificate.status != CertificateStatus.ACTIVE:
            raise CertificateRequestRefused(
                _("This certificate is no longer active."), code="state"
            )
        now = clock.now()
        certificate.revoke(now=now, reason=reason, by=actor)
        certificate.save()
        audit_record(
            stream=PLATFORM_STREAM,
            kind="certificate.revoked",
            actor=actor,
            obj=certificate,
            data={"serial": certificate.serial, "reason": reason},
        )
        if certificate.issued_by_platform:
            crl_reissue(AuthorityRole.ISSUING, now=now)
    return certificate


def certificates_revoke_for(
    *, holder, actor, reason: str, organisation: Organisation | None = None
) -> int:
    """Revoke every active certificate `holder` has (for `organisation` only, if given):
    they left it, or their account was closed. Returns how many were revoked.

    Precondition: the caller has decided the person may no longer sign (and holds the
    transaction); the actor must be an operator or, for one company, its administrator.
    """
    active = Certificate.objects.filter(holder=holder, status=CertificateStatus.ACTIVE)
    if organisation is not None:
        active = active.filter(organisation=organisation)
    if not active.exists():
        return 0
    if not (
        is_operator(actor)
        or (organisation is not None and has_role(actor, organisation, Role.SUPPLIER_ADMIN))
    ):
        raise PermissionDenied(_("You may not revoke this person's certificates."))
    revoked = 0
    for certificate in active:
        certificate_revoke(certificate=certificate, actor=actor, reason=reason)
        revoked += 1
    return revoked


def certificates_expire() -> int:
    """Mark certificates past their end as expired (run by the clock; validation never
    depends on it: it reads the dates in the certificate itself)."""
    now = clock.now()
    expired = 0
    for certificate in Certificate.objects.filter(
        status=CertificateStatus.ACTIVE, not_after__lte=now
    ):
        with transaction.atomic():
            certificate = Certificate.objects.select_for_update().get(pk=certificate.pk)
            if certificate.status != CertificateStatus.ACTIVE:
                continue
            certificate.expire()
            certificate.save()
            audit_record(
                stream=PLATFORM_STREAM,
                kind="certificate.expired",
                obj=certificate,
                data={"serial": certificate.serial},
            )
            expired += 1
    return expired
