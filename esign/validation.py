"""Is a certificate trusted for signing at a given time, and does a detached CMS signature
verify? Every signature check on the platform goes through these two functions.

Validation uses pyhanko-certvalidator with explicit trust roots (the platform root and the
trusted CAs of settings), our own CRLs and no network fetching.
"""

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from asn1crypto import cms
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from django.utils.translation import gettext as _
from pyhanko.sign.validation import async_validate_detached_cms
from pyhanko.sign.validation.settings import KeyUsageConstraints
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.errors import (
    InvalidCertificateError,
    PathBuildingError,
    PathValidationError,
    RevokedError,
)

from core import clock

from .authority import authority_certificate, crl_current, fingerprint
from .models import AuthorityRole, Certificate, CertificateStatus
from .trust import external_crls_der, trusted_external_cas

log = logging.getLogger(__name__)

MATERIAL_SECONDS = 30

SIGNING_USAGE = KeyUsageConstraints(
    key_usage={"digital_signature", "non_repudiation"}, match_all_key_usages=False
)


@dataclass(frozen=True)
class CertificateCheck:
    trusted: bool
    reason: str = ""
    certificate: x509.Certificate | None = None


@dataclass(frozen=True)
class SignatureCheck:
    valid: bool
    reason: str = ""
    signer: x509.Certificate | None = None
    signing_time: datetime | None = None


def _to_asn1(certificate: x509.Certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(certificate.public_bytes(serialization.Encoding.DER))


@dataclass(frozen=True)
class _Material:
    """The parsed trust material of one moment: reading and parsing it takes four queries
    and a few milliseconds, which every signature check would otherwise repeat."""

    loaded_at: datetime
    good_until: datetime
    roots: tuple[asn1_x509.Certificate, ...]
    intermediates: tuple[asn1_x509.Certificate, ...]
    crls: tuple[bytes, ...]
    issuing: x509.Certificate  # the platform's issuing CA, for the fast path


_material: _Material | None = None


def _trust_material(now: datetime) -> _Material:
    """Cached for at most MATERIAL_SECONDS and never past the time a CRL in it is due for
    reissue. Staleness cannot let a revoked certificate through: every check also reads
    the certificate's own status from the database (`_revoked_here`)."""
    global _material
    cached = _material
    if cached is not None and cached.loaded_at <= now < cached.good_until:
        return cached
    crls = (crl_current(AuthorityRole.ISSUING, now=now), crl_current(AuthorityRole.ROOT, now=now))
    issuing = authority_certificate(AuthorityRole.ISSUING)
    due = min(x509.load_der_x509_crl(der).next_update_utc for der in crls) - timedelta(hours=1)
    _material = _Material(
        loaded_at=now,
        good_until=min(now + timedelta(seconds=MATERIAL_SECONDS), due),
        roots=(
            _to_asn1(authority_certificate(AuthorityRole.ROOT)),
            *(_to_asn1(ca) for ca in trusted_external_cas()),
        ),
        intermediates=(_to_asn1(issuing),),
        crls=(*crls, *external_crls_der()),
        issuing=issuing,
    )
    return _material


def trust_material_forget() -> None:
    """Drop the cached material (new trusted CAs, a new external CRL, tests)."""
    global _material
    _material = None
    _chain_checks.clear()


def validation_context(at: datetime) -> ValidationContext:
    material = _trust_material(clock.now())
    return ValidationContext(
        trust_roots=list(material.roots),
        other_certs=list(material.intermediates),
        crls=list(material.crls),
        moment=at,
        allow_fetching=False,
        revocation_mode="hard-fail",
        # Our CRLs are newer than a past signing moment; a certificate revoked after that
        # moment was still good at it.
        retroactive_revinfo=True,
    )


def _revoked_here(certificate: x509.Certificate, at: datetime) -> bool:
    """Revoked on the platform by `at`: covers the moments before a cached CRL catches up,
    and certificates of external CAs, which the platform revokes for itself (a person who
    left the company) without their CA knowing."""
    return Certificate.objects.filter(
        fingerprint=fingerprint(certificate),
        status=CertificateStatus.REVOKED,
        revoked_at__lte=at,
    ).exists()


def _run(coroutine):
    """pyHanko validates asynchronously; services are synchronous and run in threads with
    no event loop of their own."""
    return asyncio.run(coroutine)


def certificate_check(
    certificate: x509.Certificate, *, at: datetime | None = None
) -> CertificateCheck:
    """Whether `certificate` may sign at `at` (default: now): chain to a trusted root,
    inside its validity, not revoked, key usage for signatures."""
    from pyhanko_certvalidator import CertificateValidator

    at = at or clock.now()
    if _revoked_here(certificate, at):
        return CertificateCheck(False, _("The certificate is revoked."), certificate)
    validator = CertificateValidator(
        _to_asn1(certificate), validation_context=validation_context(at)
    )
    try:
        _run(validator.async_validate_usage({"digital_signature"}))
    except RevokedError:
        return CertificateCheck(False, _("The certificate is revoked."), certificate)
    except PathBuildingError:
        return CertificateCheck(
            False, _("The certificate was not issued by a trusted CA."), certificate
        )
    except (PathValidationError, InvalidCertificateError) as error:
        return CertificateCheck(False, _explain(certificate, at, error), certificate)
    return CertificateCheck(True, "", certificate)


_chain_checks: dict[str, CertificateCheck] = {}
_chain_material: _Material | None = None
CHAIN_CACHE_SIZE = 50_000


def certificate_check_cached(
    certificate: x509.Certificate, *, now: datetime, register_read: bool = False
) -> CertificateCheck:
    """`certificate_check` at `now`, remembered per certificate for as long as the trust
    material it was made with (at most MATERIAL_SECONDS, never past a CRL's reissue): the
    path validation costs milliseconds, the bid path cannot pay them on every envelope.
    The validity period and the platform's own revocation register are read every time
    (`register_read`: the caller has just read the certificate's status there itself)."""
    global _chain_material
    material = _trust_material(now)
    if material is not _chain_material or len(_chain_checks) >= CHAIN_CACHE_SIZE:
        _chain_checks.clear()
        _chain_material = material
    if not certificate.not_valid_before_utc <= now <= certificate.not_valid_after_utc:
        return CertificateCheck(
            False,
            _("The certificate is not valid at that time (expired or not yet valid)."),
            certificate,
        )
    if not register_read and _revoked_here(certificate, now):
        return CertificateCheck(False, _("The certificate is revoked."), certificate)
    key = fingerprint(certificate)
    check = _chain_checks.get(key)
    if check is None:
        check = _chain_checks[key] = (
            _issued_here_check(certificate, material, now) if register_read else None
        ) or certificate_check(certificate, at=now)
    return check


def certificate_check_at(
    certificate: x509.Certificate, *, at: datetime, revoked: bool | None = None
) -> CertificateCheck:
    """`certificate_check` at `at` (a past signing moment), with the bid path's shortcut for
    a certificate of the platform's own issuing CA: its CA's signature on it, both validity
    periods at `at`, the key usage, and its revocation by `at` in the register, which the
    platform's CRLs are made from. An opening checks a thousand bidders' certificates; path
    validation costs milliseconds each. `revoked`: the register's answer, when the caller
    has read it; otherwise it is read here."""
    if not certificate.not_valid_before_utc <= at <= certificate.not_valid_after_utc:
        return CertificateCheck(
            False,
            _("The certificate is not valid at that time (expired or not yet valid)."),
            certificate,
        )
    if revoked if revoked is not None else _revoked_here(certificate, at):
        return CertificateCheck(False, _("The certificate is revoked."), certificate)
    material = _trust_material(clock.now())
    return _issued_here_check(certificate, material, at) or certificate_check(certificate, at=at)


def _issued_here_check(
    certificate: x509.Certificate, material: _Material, now: datetime
) -> CertificateCheck | None:
    """A certificate of the platform's own issuing CA, checked without path building: the
    CA's signature on it, both validity periods, the key usage. Its revocation is the
    register's status, which the caller has read (the platform's CRL is made from it).
    None when the certificate is not the platform's: the full validation decides."""
    issuing = material.issuing
    if certificate.issuer != issuing.subject:
        return None
    try:
        certificate.verify_directly_issued_by(issuing)
        usage = certificate.extensions.get_extension_for_class(x509.KeyUsage).value
    except (ValueError, TypeError, x509.ExtensionNotFound, InvalidSignature):
        return None
    if not issuing.not_valid_before_utc <= now <= issuing.not_valid_after_utc:
        return None
    if not usage.digital_signature:
        return CertificateCheck(
            False, _("The certificate cannot be trusted for signing."), certificate
        )
    return CertificateCheck(True, "", certificate)


def _explain(certificate: x509.Certificate, at: datetime, error: Exception) -> str:
    if at < certificate.not_valid_before_utc or at > certificate.not_valid_after_utc:
        return _("The certificate is not valid at that time (expired or not yet valid).")
    log.info("certificate %x refused: %s", certificate.serial_number, error)
    return _("The certificate cannot be trusted for signing.")


def cms_verify_detached(
    signature: bytes, content: bytes, *, at: datetime | None = None
) -> SignatureCheck:
    """Verify a detached CMS SignedData (DER or PEM) over `content`.

    The signer's certificate must be embedded and trusted at `at` (default: now); returns
    the signer, the signing time it claims, and the reason when the signature is refused.
    """
    try:
        signed_data = _signed_data(signature)
    except ValueError:
        return SignatureCheck(False, _("This is not a CMS signature."))
    at = at or clock.now()
    try:
        status = _run(
            async_validate_detached_cms(
                content,
                signed_data,
                signer_validation_context=validation_context(at),
                key_usage_settings=SIGNING_USAGE,
            )
        )
    except Exception as error:  # malformed structures raise from deep inside
        log.info("CMS signature refused: %s", error)
        return SignatureCheck(False, _("The signature is malformed."))
    signer = (
        x509.load_der_x509_certificate(status.signing_cert.dump())
        if status.signing_cert is not None
        else None
    )
    if not status.intact or not status.valid:
        return SignatureCheck(False, _("The signature does not match the content."), signer)
    if status.revoked or (signer is not None and _revoked_here(signer, at)):
        return SignatureCheck(False, _("The signer's certificate is revoked."), signer)
    if not status.trusted:
        check = certificate_check(signer, at=at) if signer else None
        reason = (
            check.reason
            if check and check.reason
            else _("The signer's certificate cannot be trusted for signing.")
        )
        return SignatureCheck(False, reason, signer)
    return SignatureCheck(True, "", signer, status.signer_reported_dt)


def _signed_data(signature: bytes) -> cms.SignedData:
    raw = signature
    if raw.lstrip().startswith(b"-----BEGIN"):
        lines = [line for line in raw.decode().splitlines() if not line.startswith("-----")]
        import base64

        raw = base64.b64decode("".join(lines))
    info = cms.ContentInfo.load(raw)
    if info["content_type"].native != "signed_data":
        raise ValueError("not signed data")
    signed_data = info["content"]
    signed_data.native  # noqa: B018 - parse everything now: malformed input fails here
    return signed_data


def signed_data_certificates(signature: bytes) -> list[x509.Certificate] | None:
    """The certificates a CMS SignedData carries, the first signer's first; None when the
    bytes are not a CMS signature. Nothing is verified here."""
    try:
        signed_data = _signed_data(signature)
    except Exception:  # noqa: BLE001 - any parse failure means "not a signature"
        return None
    carried = [
        choice.chosen
        for choice in signed_data["certificates"] or []
        if choice.name == "certificate"
    ]
    signer_infos = signed_data["signer_infos"]
    if signer_infos:
        sid = signer_infos[0]["sid"]
        if sid.name == "issuer_and_serial_number":
            wanted = sid.chosen
            carried.sort(
                key=lambda c: (
                    not (
                        c.issuer == wanted["issuer"]
                        and c.serial_number == wanted["serial_number"].native
                    )
                )
            )
        else:
            carried.sort(key=lambda c: c.key_identifier != sid.chosen.native)
    return [x509.load_der_x509_certificate(c.dump()) for c in carried]
