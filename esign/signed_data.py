"""Detached CMS SignedData (RFC 5652) by one of the platform's own keys: the bid receipts.

cryptography's PKCS7SignatureBuilder encodes the certificates anew and adds an S/MIME
capabilities attribute on every signature: 95 µs of CPU a receipt, where the ECDSA
signature itself takes 41 µs, and every accepted bid gets a receipt. Here everything that
stays the same from one signature to the next (the signer's identifier, the algorithms,
the certificates) is encoded once per certificate, and a signature writes only its signed
attributes (content type, signing time, message digest) and the signature value. Anyone
checks the result as any CMS signature (`openssl cms -verify`, docs/bid-envelope.md).
"""

import functools
import hashlib
from dataclasses import dataclass
from datetime import datetime

from asn1crypto import algos, cms, core
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

from .der import EXPLICIT_0, IMPLICIT_0_SET, OCTET_STRING, SEQUENCE, SET, der, signing_time

SIGNED_DATA_TYPE = core.ObjectIdentifier("1.2.840.113549.1.7.2").dump()  # id-signedData
DATA_TYPE = core.ObjectIdentifier("1.2.840.113549.1.7.1").dump()  # id-data
CONTENT_TYPE = core.ObjectIdentifier("1.2.840.113549.1.9.3").dump()  # id-contentType
MESSAGE_DIGEST = core.ObjectIdentifier("1.2.840.113549.1.9.4").dump()  # id-messageDigest
SIGNING_TIME = core.ObjectIdentifier("1.2.840.113549.1.9.5").dump()  # id-signingTime


class SigningKeyMismatch(ValueError):
    """The key is not the kind of key its certificate names."""


@functools.lru_cache(maxsize=8)
def digest_algorithm(algorithm: str) -> bytes:
    """An AlgorithmIdentifier of a digest, as asn1crypto encodes it."""
    return algos.DigestAlgorithm({"algorithm": algorithm}).dump()


def signature_value(key, data: bytes, ecdsa: bool) -> bytes:
    """`data` signed with SHA-256 by `key`: ECDSA, or RSA PKCS#1 v1.5 (a platform key made
    before they were P-256 keeps signing with its RSA key until it is replaced)."""
    if ecdsa and isinstance(key, ec.EllipticCurvePrivateKey):
        return key.sign(data, ec.ECDSA(hashes.SHA256()))
    if not ecdsa and isinstance(key, rsa.RSAPrivateKey):
        return key.sign(data, padding.PKCS1v15(), hashes.SHA256())
    raise SigningKeyMismatch("the key does not match its certificate")


@dataclass(frozen=True)
class _SignerParts:
    signer_head: bytes  # SignerInfo: version 1, issuer and serial number, SHA-256
    signer_tail: bytes  # SignerInfo: the signature algorithm
    signed_data_head: bytes  # SignedData: version 1, SHA-256, detached id-data content
    certificates: bytes  # [0] IMPLICIT CertificateSet: the signer's, then its chain
    ecdsa: bool


@functools.lru_cache(maxsize=8)
def _signer_parts(signer: x509.Certificate, chain: tuple[x509.Certificate, ...]) -> _SignerParts:
    certificate_der = signer.public_bytes(serialization.Encoding.DER)
    chain_der = tuple(link.public_bytes(serialization.Encoding.DER) for link in chain)
    certificate = asn1_x509.Certificate.load(certificate_der)
    ecdsa = certificate.public_key.algorithm == "ec"
    sid = cms.SignerIdentifier(
        name="issuer_and_serial_number",
        value={"issuer": certificate.issuer, "serial_number": certificate.serial_number},
    ).dump()
    version = core.Integer(1).dump()
    sha256 = digest_algorithm("sha256")
    return _SignerParts(
        signer_head=version + sid + sha256,
        signer_tail=algos.SignedDigestAlgorithm(
            {"algorithm": "sha256_ecdsa" if ecdsa else "sha256_rsa"}
        ).dump(),
        signed_data_head=version + der(SET, sha256) + der(SEQUENCE, DATA_TYPE),
        # A SET OF in DER order, as asn1crypto and openssl write it.
        certificates=der(IMPLICIT_0_SET, b"".join(sorted((certificate_der, *chain_der)))),
        ecdsa=ecdsa,
    )


def attribute(kind: bytes, value: bytes) -> bytes:
    """A CMS Attribute of one value (both DER)."""
    return der(SEQUENCE, kind + der(SET, value))


def signer_info(*, head: bytes, tail: bytes, attributes, key, ecdsa: bool) -> bytes:
    """A SignerInfo (DER): `head` (version, signer identifier, digest algorithm), the signed
    `attributes` (each DER) and their signature by `key`, `tail` (the signature algorithm)
    between. The attributes are a SET OF in DER order: signed with the SET tag, stored with
    [0] IMPLICIT (RFC 5652, 5.4)."""
    signed = b"".join(sorted(attributes))
    signature = signature_value(key, der(SET, signed), ecdsa)
    return der(SEQUENCE, head + der(IMPLICIT_0_SET, signed) + tail + der(OCTET_STRING, signature))


CONTENT_TYPE_DATA = attribute(CONTENT_TYPE, DATA_TYPE)


def detached_signature(
    content: bytes,
    *,
    key,
    certificate: x509.Certificate,
    chain: tuple[x509.Certificate, ...] = (),
    at: datetime,
) -> bytes:
    """A CMS ContentInfo (DER) holding a detached SignedData over `content` by `key`
    (SHA-256), signed at `at` (the signing-time attribute, to the second), `certificate`
    and its `chain` embedded."""
    parts = _signer_parts(certificate, tuple(chain))
    signed = signer_info(
        head=parts.signer_head,
        tail=parts.signer_tail,
        attributes=(
            CONTENT_TYPE_DATA,
            attribute(SIGNING_TIME, signing_time(at)),
            attribute(MESSAGE_DIGEST, der(OCTET_STRING, hashlib.sha256(content).digest())),
        ),
        key=key,
        ecdsa=parts.ecdsa,
    )
    signed_data = der(SEQUENCE, parts.signed_data_head + parts.certificates + der(SET, signed))
    return der(SEQUENCE, SIGNED_DATA_TYPE + der(EXPLICIT_0, signed_data))
