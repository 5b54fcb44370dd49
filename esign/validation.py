"""Is a certificate trusted for signing at a given time, and does a detached CMS signature
verify? Every signature check on the platform goes through these two functions.

Validation uses pyhanko-certvalidator with explicit trust roots (the platform root and the
trusted CAs of settings), our own CRLs and no network fetching.
"""

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path

from asn1crypto import cms
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from django.conf import settings
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

from .authority import authority_certificate, crl_current
from .models import AuthorityRole

log = logging.getLogger(__name__)

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


@lru_cache(maxsize=8)
def _trusted_ca_files(paths: tuple[str, ...]) -> tuple[asn1_x509.Certificate, ...]:
    roots = []
    for path in paths:
        for pem in x509.load_pem_x509_certificates(Path(path).read_bytes()):
            roots.append(_to_asn1(pem))
    return tuple(roots)


def validation_context(at: datetime) -> ValidationContext:
    now = clock.now()
    roots = [
        _to_asn1(authority_certificate(AuthorityRole.ROOT)),
        *_trusted_ca_files(tuple(settings.PKI_TRUSTED_CA_FILES)),
    ]
    return ValidationContext(
        trust_roots=roots,
        other_certs=[_to_asn1(authority_certificate(AuthorityRole.ISSUING))],
        crls=[
            crl_current(AuthorityRole.ISSUING, now=now),
            crl_current(AuthorityRole.ROOT, now=now),
        ],
        moment=at,
        allow_fetching=False,
        revocation_mode="hard-fail",
        # Our CRLs are newer than a past signing moment; a certificate revoked after that
        # moment was still good at it.
        retroactive_revinfo=True,
    )


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
    if status.revoked:
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
