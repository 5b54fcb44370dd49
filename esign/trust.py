"""What the platform trusts besides its own CA: the external CAs named in settings and the
CRLs fetched from them. Validation reads both from here."""

from functools import lru_cache
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from django.conf import settings

from .models import ExternalCrl


@lru_cache(maxsize=8)
def _load(paths: tuple[str, ...]) -> tuple[x509.Certificate, ...]:
    certificates: list[x509.Certificate] = []
    for path in paths:
        certificates.extend(x509.load_pem_x509_certificates(Path(path).read_bytes()))
    return tuple(certificates)


def trusted_external_cas() -> tuple[x509.Certificate, ...]:
    """The CA certificates of `JANGTEO_TRUSTED_CA_FILES`: the CAs that issue people's
    certificates (trusted as anchors: the platform checks their CRLs, not their parents')."""
    return _load(tuple(settings.PKI_TRUSTED_CA_FILES))


def trusted_issuer_of(certificate: x509.Certificate) -> x509.Certificate | None:
    """The trusted external CA that signed `certificate`, if any."""
    for ca in trusted_external_cas():
        if ca.subject != certificate.issuer:
            continue
        try:
            certificate.verify_directly_issued_by(ca)
        except (ValueError, TypeError, InvalidSignature):
            continue
        return ca
    return None


def external_crls_der() -> list[bytes]:
    return [bytes(der) for der in ExternalCrl.objects.values_list("der", flat=True)]
