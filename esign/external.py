"""Certificates from other CAs: a person registers a certificate a trusted external CA
issued them, and the platform keeps that CA's CRL fresh.

The private key stays with the person: they prove they hold it by signing a challenge the
platform made for them (detached CMS, like any other signature on the platform). The
certificate's subject must name their organisation's registration number.
"""

import logging
import secrets
import urllib.error
import urllib.request
from datetime import timedelta

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from django.conf import settings
from django.core import signing
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import Membership, Organisation, OrganisationKind
from core import clock
from core.audit import PLATFORM_STREAM, audit_record

from .authority import ORGANIZATION_IDENTIFIER, authority_certificate, fingerprint
from .exceptions import CertificateRequestRefused
from .models import AuthorityRole, Certificate, ExternalCrl
from .services import signing_allowed_check
from .trust import trusted_external_cas, trusted_issuer_of
from .validation import cms_verify_detached, signed_data_certificates, trust_material_forget

log = logging.getLogger(__name__)

CHALLENGE_SALT = "esign.external-certificate"
CHALLENGE_SECONDS = 600
IDENTIFIER_PREFIX = {OrganisationKind.COMPANY: "NTRKR", OrganisationKind.AGENCY: "GOVKR"}


# --- CRLs of external CAs -------------------------------------------------------------------


def crl_fetch(url: str) -> bytes:
    """Download a CRL (http or https only, bounded in time and size)."""
    if not url.startswith(("http://", "https://")):
        raise CertificateRequestRefused(
            _("The CA's CRL is not at an http(s) address: %(url)s") % {"url": url}, code="crl"
        )
    try:
        with urllib.request.urlopen(url, timeout=settings.PKI_CRL_FETCH_TIMEOUT) as response:  # noqa: S310 - scheme checked above
            data = response.read(settings.PKI_CRL_MAX_BYTES + 1)
    except (urllib.error.URLError, TimeoutError, OSError) as error:
        raise CertificateRequestRefused(
            _("The CA's CRL could not be fetched from %(url)s.") % {"url": url}, code="crl"
        ) from error
    if len(data) > settings.PKI_CRL_MAX_BYTES:
        raise CertificateRequestRefused(_("The CA's CRL is too large."), code="crl")
    return data


def crl_accept(data: bytes, *, url: str) -> ExternalCrl:
    """Keep `data` as the CRL of `url` if a trusted external CA signed it and it is not
    older than the one kept (a replayed old CRL could hide a revocation)."""
    try:
        crl = (
            x509.load_pem_x509_crl(data)
            if data.lstrip().startswith(b"-----BEGIN")
            else x509.load_der_x509_crl(data)
        )
    except ValueError as error:
        raise CertificateRequestRefused(_("This is not a CRL."), code="crl") from error
    if not any(
        ca.subject == crl.issuer and crl.is_signature_valid(ca.public_key())
        for ca in trusted_external_cas()
    ):
        raise CertificateRequestRefused(
            _("The CRL was not signed by a CA the platform trusts."), code="crl"
        )
    number = _crl_number(crl)
    now = clock.now()
    with transaction.atomic():
        kept = ExternalCrl.objects.select_for_update().filter(url=url).first()
        if kept is not None and (
            crl.last_update_utc < kept.this_update
            or (number is not None and kept.crl_number is not None and number < kept.crl_number)
        ):
            raise CertificateRequestRefused(
                _("This CRL is older than the one the platform has."), code="crl"
            )
        changed = kept is None or bytes(kept.der) != crl.public_bytes(serialization.Encoding.DER)
        kept = kept or ExternalCrl(url=url)
        kept.issuer = crl.issuer.rfc4514_string()
        kept.der = crl.public_bytes(serialization.Encoding.DER)
        kept.crl_number = number
        kept.this_update, kept.next_update = crl.last_update_utc, crl.next_update_utc
        kept.fetched_at = now
        kept.save()
        if changed:
            audit_record(
                stream=PLATFORM_STREAM,
                kind="crl.external_updated",
                obj=kept,
                data={"url": url, "issuer": kept.issuer, "number": number},
            )
    # This process validates with the new CRL at once; others within MATERIAL_SECONDS.
    trust_material_forget()
    return kept


def _crl_number(crl: x509.CertificateRevocationList) -> int | None:
    try:
        return crl.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number
    except x509.ExtensionNotFound:
        return None


def external_crls_refresh() -> int:
    """Fetch again every external CRL last fetched longer ago than the refresh interval or
    due for renewal; returns how many were fetched. Run by the clock's housekeeping; a CA
    that cannot be reached is logged, and its certificates are refused once its last CRL
    runs out (validation is hard-fail)."""
    now = clock.now()
    stale = now - timedelta(minutes=settings.PKI_EXTERNAL_CRL_REFRESH_MINUTES)
    refreshed = 0
    for row in ExternalCrl.objects.only("url", "fetched_at", "next_update"):
        if row.fetched_at > stale and (row.next_update is None or row.next_update > now):
            continue
        try:
            crl_accept(crl_fetch(row.url), url=row.url)
            refreshed += 1
        except CertificateRequestRefused as error:
            log.warning("external CRL %s not refreshed: %s", row.url, " ".join(error.messages))
    return refreshed


def _crl_urls(certificate: x509.Certificate) -> list[str]:
    try:
        points = certificate.extensions.get_extension_for_class(x509.CRLDistributionPoints).value
    except x509.ExtensionNotFound:
        return []
    return [
        name.value
        for point in points
        for name in point.full_name or []
        if isinstance(name, x509.UniformResourceIdentifier)
        and name.value.startswith(("http://", "https://"))
    ]


# --- Registering a certificate ---------------------------------------------------------------


def registration_challenge(*, actor, organisation: Organisation) -> str:
    """A one-off text for `actor` to sign with the certificate they register for
    `organisation`; it is good for ten minutes and only for them and that organisation."""
    return signing.dumps(
        {"user": actor.pk, "organisation": organisation.code, "nonce": secrets.token_hex(16)},
        salt=CHALLENGE_SALT,
    )


def _challenge_check(challenge: str, *, actor, organisation: Organisation) -> None:
    try:
        claims = signing.loads(challenge, salt=CHALLENGE_SALT, max_age=CHALLENGE_SECONDS)
    except signing.SignatureExpired as error:
        raise CertificateRequestRefused(
            _("The challenge has expired: ask for a new one."), code="challenge"
        ) from error
    except signing.BadSignature as error:
        raise CertificateRequestRefused(
            _("This is not a platform challenge."), code="challenge"
        ) from error
    if claims.get("user") != actor.pk or claims.get("organisation") != organisation.code:
        raise CertificateRequestRefused(
            _("The challenge was made for someone or something else."), code="challenge"
        )


def names_organisation(certificate: x509.Certificate, organisation: Organisation) -> bool:
    """The subject carries the organisation's number as an organizationIdentifier
    (`NTRKR-<number>`, as the platform's own certificates do) or as its serialNumber
    (the number alone, dashes allowed, as many Korean CAs write it)."""
    prefix = IDENTIFIER_PREFIX.get(organisation.kind, "")
    identifiers = [
        attribute.value
        for attribute in certificate.subject.get_attributes_for_oid(ORGANIZATION_IDENTIFIER)
    ]
    serials = [
        str(attribute.value).replace("-", "").strip()
        for attribute in certificate.subject.get_attributes_for_oid(x509.NameOID.SERIAL_NUMBER)
    ]
    return f"{prefix}-{organisation.code}" in identifiers or organisation.code in serials


def certificate_register_external(
    *, actor, organisation: Organisation, challenge: str, signature: bytes
) -> Certificate:
    """Register the certificate that signed `challenge` (detached CMS `signature`, signer
    certificate embedded) as `actor`'s signing certificate for `organisation`.

    Preconditions, each refused with its reason: the actor belongs to the organisation and
    its people may sign (the enrollment policy); the challenge is theirs and fresh; a CA of
    `JANGTEO_TRUSTED_CA_FILES` issued the certificate and names a CRL the platform can
    fetch; the signature verifies (proof of possession, certificate trusted now); the
    subject names the organisation's number; the certificate is not registered yet.
    """
    if not Membership.objects.filter(user=actor, organisation=organisation).exists():
        raise PermissionDenied(_("You do not belong to this organisation."))
    signing_allowed_check(organisation)
    _challenge_check(challenge, actor=actor, organisation=organisation)
    certificate = _signer(signature)
    if certificate.issuer == authority_certificate(AuthorityRole.ISSUING).subject:
        raise CertificateRequestRefused(
            _("The platform issued this certificate: it is registered already."),
            code="platform",
        )
    if trusted_issuer_of(certificate) is None:
        raise CertificateRequestRefused(
            _("The certificate was not issued by a CA the platform trusts."), code="untrusted"
        )
    urls = _crl_urls(certificate)
    if not urls:
        raise CertificateRequestRefused(
            _("The certificate names no CRL, so its revocation cannot be checked."), code="crl"
        )
    if not ExternalCrl.objects.filter(url=urls[0]).exists():
        crl_accept(crl_fetch(urls[0]), url=urls[0])
    check = cms_verify_detached(signature, challenge.encode())
    if not check.valid:
        raise CertificateRequestRefused(check.reason, code="signature")
    if not names_organisation(certificate, organisation):
        raise CertificateRequestRefused(
            _("The certificate's subject does not carry the registration number %(code)s.")
            % {"code": organisation.code},
            code="subject",
        )
    return _record(certificate, actor=actor, organisation=organisation)


def _signer(signature: bytes) -> x509.Certificate:
    certificates = signed_data_certificates(signature)
    if certificates is None:
        raise CertificateRequestRefused(_("This is not a CMS signature."), code="signature")
    if not certificates:
        raise CertificateRequestRefused(
            _("The signature does not carry the signer's certificate."), code="signature"
        )
    return certificates[0]


def _record(certificate: x509.Certificate, *, actor, organisation: Organisation) -> Certificate:
    digest = fingerprint(certificate)
    with transaction.atomic():
        if Certificate.objects.filter(fingerprint=digest).exists():
            raise CertificateRequestRefused(
                _("This certificate is registered already."), code="registered"
            )
        record = Certificate.objects.create(
            holder=actor,
            organisation=organisation,
            serial=f"{certificate.serial_number:x}",
            fingerprint=digest,
            subject=certificate.subject.rfc4514_string()[:500],
            issuer=certificate.issuer.rfc4514_string()[:500],
            not_before=certificate.not_valid_before_utc,
            not_after=certificate.not_valid_after_utc,
            pem=certificate.public_bytes(serialization.Encoding.PEM).decode(),
            issued_by_platform=False,
        )
        audit_record(
            stream=PLATFORM_STREAM,
            kind="certificate.registered",
            actor=actor,
            obj=record,
            data={
                "serial": record.serial,
                "fingerprint": digest,
                "issuer": record.issuer,
                "organisation": organisation.code,
                "not_after": record.not_after.isoformat(),
            },
        )
    return record
