"""The platform CA: its hierarchy, the certificate profile, and its CRLs.

Root CA -> issuing CA -> people's signing certificates, all ECDSA P-256 with SHA-256.
The profile is documented in docs/pki.md; `person_certificate_build` is its one definition.
"""

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from django.conf import settings
from django.db import transaction

from .keys import key_decrypt, key_encrypt
from .models import Authority, AuthorityRole, Certificate, CertificateStatus, RevocationReason

ORGANIZATION_IDENTIFIER = x509.ObjectIdentifier("2.5.4.97")
ROOT_YEARS, ISSUING_YEARS, SERVICE_YEARS = 20, 10, 5

REASON_FLAGS = {
    RevocationReason.UNSPECIFIED: x509.ReasonFlags.unspecified,
    RevocationReason.KEY_COMPROMISE: x509.ReasonFlags.key_compromise,
    RevocationReason.AFFILIATION_CHANGED: x509.ReasonFlags.affiliation_changed,
    RevocationReason.SUPERSEDED: x509.ReasonFlags.superseded,
    RevocationReason.CESSATION_OF_OPERATION: x509.ReasonFlags.cessation_of_operation,
    RevocationReason.PRIVILEGE_WITHDRAWN: x509.ReasonFlags.privilege_withdrawn,
}


@dataclass(frozen=True)
class LoadedAuthority:
    role: str
    certificate: x509.Certificate
    key: object


_loaded: dict[tuple[str, str], LoadedAuthority] = {}


def authority_load(role: str) -> LoadedAuthority:
    """The authority's certificate and decrypted key. Decrypting takes a tenth of a second
    (the passphrase is stretched on purpose), too slow for every receipt: a process keeps
    what it decrypted, keyed by the stored row, so a replaced key is read afresh."""
    row = Authority.objects.values_list("certificate_pem", "encrypted_key_pem").get(role=role)
    # Keyed by content, not row id: the same key restored into a new row is the same key.
    cache_key = (role, hashlib.sha256("".join(row).encode()).hexdigest())
    loaded = _loaded.get(cache_key)
    if loaded is None:
        loaded = LoadedAuthority(
            role, x509.load_pem_x509_certificate(row[0].encode()), key_decrypt(row[1])
        )
        for stale in [key for key in _loaded if key[0] == role]:
            del _loaded[stale]  # only the current key of each role stays in memory
        _loaded[cache_key] = loaded
    return loaded


def authority_certificate(role: str) -> x509.Certificate:
    pem = Authority.objects.values_list("certificate_pem", flat=True).get(role=role)
    return x509.load_pem_x509_certificate(pem.encode())


def crl_url(role: str) -> str:
    return f"{settings.PUBLIC_BASE_URL}/pki/{role}.crl"


def ca_certificate_url(role: str) -> str:
    return f"{settings.PUBLIC_BASE_URL}/pki/{role}.crt"


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "KR"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Jangteo"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _builder(
    subject: x509.Name, issuer: x509.Name, public_key, now: datetime, days: int
) -> x509.CertificateBuilder:
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days))
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
    )


def _ca_usage() -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=True,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=True,
        crl_sign=True,
        encipher_only=False,
        decipher_only=False,
    )


def _signing_usage() -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=True,
        content_commitment=True,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=False,
        crl_sign=False,
        encipher_only=False,
        decipher_only=False,
    )


def _issued_by(builder: x509.CertificateBuilder, issuer: LoadedAuthority) -> x509.Certificate:
    builder = builder.add_extension(
        x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer.certificate.public_key()),
        critical=False,
    )
    return builder.sign(issuer.key, hashes.SHA256())


def pki_initialise(*, now: datetime) -> list[str]:
    """Create the root and issuing CAs and the service keys that do not exist yet."""
    created = []
    with transaction.atomic():
        if not Authority.objects.filter(role=AuthorityRole.ROOT).exists():
            key = ec.generate_private_key(ec.SECP256R1())
            name = _name("Jangteo Root CA")
            certificate = (
                _builder(name, name, key.public_key(), now, ROOT_YEARS * 365)
                .add_extension(x509.BasicConstraints(ca=True, path_length=1), True)
                .add_extension(_ca_usage(), critical=True)
                .sign(key, hashes.SHA256())
            )
            _store(AuthorityRole.ROOT, certificate, key)
            created.append(AuthorityRole.ROOT)
        root = authority_load(AuthorityRole.ROOT)
        if not Authority.objects.filter(role=AuthorityRole.ISSUING).exists():
            key = ec.generate_private_key(ec.SECP256R1())
            builder = (
                _builder(
                    _name("Jangteo Issuing CA 1"),
                    root.certificate.subject,
                    key.public_key(),
                    now,
                    ISSUING_YEARS * 365,
                )
                .add_extension(x509.BasicConstraints(ca=True, path_length=0), True)
                .add_extension(_ca_usage(), critical=True)
                .add_extension(_crl_points(AuthorityRole.ROOT), critical=False)
            )
            _store(AuthorityRole.ISSUING, _issued_by(builder, root), key)
            created.append(AuthorityRole.ISSUING)
        issuing = authority_load(AuthorityRole.ISSUING)
        services = {
            # ECDSA P-256 for both: the strength of RSA-3072 (128 bits) at a tenth of its
            # signing time, and every bid receipt carries a time stamp. openssl ts and
            # pyHanko verify ECDSA time stamps; a platform whose TSA has an RSA key keeps
            # using it until the key is replaced.
            AuthorityRole.RECEIPTS: (
                "Jangteo Receipts",
                ec.generate_private_key,
                (ec.SECP256R1(),),
                None,
            ),
            AuthorityRole.TSA: (
                "Jangteo Time-Stamping Authority",
                ec.generate_private_key,
                (ec.SECP256R1(),),
                x509.ExtendedKeyUsageOID.TIME_STAMPING,
            ),
        }
        for role, (common_name, generate, parameters, purpose) in services.items():
            if Authority.objects.filter(role=role).exists():
                continue
            key = generate(*parameters)
            builder = (
                _builder(
                    _name(common_name),
                    issuing.certificate.subject,
                    key.public_key(),
                    now,
                    SERVICE_YEARS * 365,
                )
                .add_extension(x509.BasicConstraints(ca=False, path_length=None), True)
                .add_extension(_signing_usage(), critical=True)
                .add_extension(_crl_points(AuthorityRole.ISSUING), critical=False)
            )
            if purpose is not None:
                builder = builder.add_extension(x509.ExtendedKeyUsage([purpose]), critical=True)
            _store(role, _issued_by(builder, issuing), key)
            created.append(role)
    return created


def _store(role: str, certificate: x509.Certificate, key) -> None:
    Authority.objects.create(
        role=role,
        certificate_pem=certificate.public_bytes(serialization.Encoding.PEM).decode(),
        encrypted_key_pem=key_encrypt(key),
    )


def _crl_points(role: str) -> x509.CRLDistributionPoints:
    return x509.CRLDistributionPoints(
        [
            x509.DistributionPoint(
                full_name=[x509.UniformResourceIdentifier(crl_url(role))],
                relative_name=None,
                reasons=None,
                crl_issuer=None,
            )
        ]
    )


def _upper_bound(text: str, limit: int = 64) -> str:
    """X.520 bounds CN and O at 64 characters (cryptography counts UTF-8 bytes): a longer
    name is cut on a character boundary; the account and organisation identify anyway."""
    encoded = text.strip().encode()
    return encoded[:limit].decode(errors="ignore") if len(encoded) > limit else text.strip()


def person_subject(
    *,
    person_name: str,
    person_id: int,
    organisation_name: str,
    organisation_code: str,
    organisation_kind: str,
) -> x509.Name:
    scheme = "NTRKR" if organisation_kind == "company" else "GOVKR"
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "KR"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, _upper_bound(organisation_name)),
            x509.NameAttribute(ORGANIZATION_IDENTIFIER, f"{scheme}-{organisation_code}"),
            x509.NameAttribute(NameOID.COMMON_NAME, _upper_bound(person_name)),
            x509.NameAttribute(NameOID.SERIAL_NUMBER, f"JANGTEO-{person_id}"),
        ]
    )


def person_certificate_build(
    *, public_key, subject: x509.Name, now: datetime, days: int
) -> x509.Certificate:
    issuing = authority_load(AuthorityRole.ISSUING)
    builder = (
        _builder(subject, issuing.certificate.subject, public_key, now, days)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_signing_usage(), critical=True)
        .add_extension(_crl_points(AuthorityRole.ISSUING), critical=False)
        .add_extension(
            x509.AuthorityInformationAccess(
                [
                    x509.AccessDescription(
                        x509.AuthorityInformationAccessOID.CA_ISSUERS,
                        x509.UniformResourceIdentifier(ca_certificate_url(AuthorityRole.ISSUING)),
                    )
                ]
            ),
            critical=False,
        )
    )
    return _issued_by(builder, issuing)


def fingerprint(certificate: x509.Certificate) -> str:
    return hashlib.sha256(certificate.public_bytes(serialization.Encoding.DER)).hexdigest()


def crl_reissue(role: str, *, now: datetime) -> bytes:
    """Sign a fresh CRL for `role` (root or issuing) listing every revoked certificate it
    issued. Runs under a lock on the authority's row, so CRL numbers never repeat."""
    row = Authority.objects.select_for_update().get(role=role)
    authority = authority_load(role)
    builder = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(authority.certificate.subject)
        .last_update(now)
        .next_update(now + timedelta(hours=settings.PKI_CRL_HOURS))
        .add_extension(x509.CRLNumber(row.crl_number + 1), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(authority.certificate.public_key()),
            critical=False,
        )
    )
    if role == AuthorityRole.ISSUING:
        revoked = Certificate.objects.filter(
            status=CertificateStatus.REVOKED, issued_by_platform=True
        )
        for certificate in revoked.only("serial", "revoked_at", "revocation_reason"):
            entry = (
                x509.RevokedCertificateBuilder()
                .serial_number(int(certificate.serial, 16))
                .revocation_date(certificate.revoked_at)
                .add_extension(
                    x509.CRLReason(REASON_FLAGS[certificate.revocation_reason]), critical=False
                )
                .build()
            )
            builder = builder.add_revoked_certificate(entry)
    der = builder.sign(authority.key, hashes.SHA256()).public_bytes(serialization.Encoding.DER)
    row.crl_der, row.crl_number = der, row.crl_number + 1
    row.crl_next_update = now + timedelta(hours=settings.PKI_CRL_HOURS)
    row.save(update_fields=["crl_der", "crl_number", "crl_next_update"])
    return der


def crl_current(role: str, *, now: datetime) -> bytes:
    """The CRL to serve: the stored one, or a fresh one when it is missing or due."""
    row = Authority.objects.only("crl_der", "crl_next_update").get(role=role)
    # Reissue an hour before it runs out, so relying parties never hold a stale one.
    if row.crl_der is None or row.crl_next_update - timedelta(hours=1) <= now:
        with transaction.atomic():
            return crl_reissue(role, now=now)
    return bytes(row.crl_der)
