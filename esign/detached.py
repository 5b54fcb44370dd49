"""The fast check of a detached CMS signature, for the bid submission path.

`cms_verify_detached` (validation.py) runs pyHanko's full validation: ~10 ms a signature,
too slow for the year-end rush of hundreds of bids a second. This module checks the
signature's mathematics only (one signer, its certificate embedded, the message digest over
the content, the signature over the signed attributes) with `cryptography`; whether the
certificate is trusted is then asked of `certificate_check_cached`, which runs the full
path validation once per certificate and remembers it for as long as the trust material is
cached, and of the platform's register, read on every request.
"""

import functools
import hashlib
from dataclasses import dataclass

from asn1crypto import cms, core
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

MAX_SIGNATURE_BYTES = 64 * 1024
HASHES = {"sha256": hashes.SHA256, "sha384": hashes.SHA384, "sha512": hashes.SHA512}


class DetachedSignatureError(ValueError):
    """The signature does not verify over the content; `code` says which rule failed."""

    def __init__(self, message: str, code: str):
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class DetachedSigner:
    certificate: x509.Certificate
    digest_algorithm: str
    # The content's digest by `digest_algorithm`, as the signature was checked against it:
    # a large envelope need not be hashed again for the same digest.
    content_digest: bytes


def detached_signer(signature: bytes, content: bytes) -> DetachedSigner:
    """The certificate whose key made `signature` (CMS SignedData, DER, detached, exactly
    one signer, its certificate embedded) over `content`. Nothing about trust is decided
    here. Raises DetachedSignatureError."""
    if len(signature) > MAX_SIGNATURE_BYTES:
        raise DetachedSignatureError("the signature is larger than 64 KiB", "signature_size")
    signer = _plain_signer(signature, content)
    if signer is not None:
        return signer
    return _general_signer(signature, content)


def _general_signer(signature: bytes, content: bytes) -> DetachedSigner:
    """Any CMS SignedData asn1crypto reads, and every refusal's reason."""
    try:
        info = cms.ContentInfo.load(signature, strict=True)
        if info["content_type"].native != "signed_data":
            raise DetachedSignatureError("not a CMS SignedData", "signature")
        signed_data = info["content"]
        if signed_data["encap_content_info"]["content"].native is not None:
            raise DetachedSignatureError("the signature must be detached", "signature")
        signer_infos = signed_data["signer_infos"]
        if len(signer_infos) != 1:
            raise DetachedSignatureError("exactly one signer is expected", "signature")
        signer_info = signer_infos[0]
        certificate = _signer_certificate(signed_data, signer_info["sid"])
        algorithm = signer_info["digest_algorithm"]["algorithm"].native
        if algorithm not in HASHES:
            raise DetachedSignatureError("use SHA-256, SHA-384 or SHA-512", "signature")
        digest = hashlib.new(algorithm, content).digest()
        signed = _signed_bytes(signer_info, digest, content)
        signature_algorithm = signer_info["signature_algorithm"]
        kind = signature_algorithm.signature_algo
        _verify(
            certificate.public_key(),
            signer_info["signature"].native,
            signed,
            kind,
            HASHES[algorithm](),
            signature_algorithm["parameters"] if kind == "rsassa_pss" else None,
        )
    except DetachedSignatureError:
        raise
    except InvalidSignature as error:
        raise DetachedSignatureError(
            "the signature does not match the envelope", "signature_mismatch"
        ) from error
    except UnsupportedAlgorithm as error:  # the certificate's key, say: a 400, not a 500
        raise DetachedSignatureError("unsupported signature algorithm", "signature") from error
    except (ValueError, TypeError, KeyError) as error:
        raise DetachedSignatureError("the signature is malformed", "signature") from error
    return DetachedSigner(certificate, algorithm, digest)


def _signer_certificate(signed_data, sid) -> x509.Certificate:
    # Each embedded certificate is matched on what `cryptography` reads of it (parsed once
    # per process, _certificate) rather than on asn1crypto's parse of it: walking a
    # certificate's fields in pure Python was the larger part of this whole check.
    for choice in signed_data["certificates"] or []:
        if choice.name != "certificate":
            continue
        candidate = _certificate(choice.chosen.dump())
        if sid.name == "issuer_and_serial_number":
            wanted = sid.chosen
            matches = candidate.serial_number == wanted["serial_number"].native and _same_name(
                candidate, wanted["issuer"]
            )
        else:
            matches = _key_identifier(candidate) == sid.chosen.native
        if matches:
            return candidate
    raise DetachedSignatureError("the signer's certificate is not embedded", "signature")


def _same_name(certificate: x509.Certificate, wanted) -> bool:
    """Whether the certificate's issuer is the name `wanted` (asn1crypto's). Identical DER
    is the same name; only differently encoded ones need RFC 5280's comparison (string
    preparation, case folding), which costs a third of a millisecond."""
    der = _issuer_der(certificate)
    return der == wanted.dump() or asn1_x509.Name.load(der) == wanted


@functools.lru_cache(maxsize=4096)
def _issuer_der(certificate: x509.Certificate) -> bytes:
    return certificate.issuer.public_bytes()


def _key_identifier(certificate: x509.Certificate) -> bytes | None:
    try:
        extension = certificate.extensions.get_extension_for_class(x509.SubjectKeyIdentifier)
    except x509.ExtensionNotFound:
        return None
    return extension.value.digest


@functools.lru_cache(maxsize=4096)
def _certificate(der: bytes) -> x509.Certificate:
    """Parsed once per process: a bidder signs every envelope with the same certificate."""
    try:
        return x509.load_der_x509_certificate(der)
    except x509.InvalidVersion as error:  # not a ValueError: it would have been a 500
        raise ValueError(f"the certificate is malformed: {error}") from error


def _signed_bytes(signer_info, digest: bytes, content: bytes) -> bytes:
    attributes = signer_info["signed_attrs"]
    if not attributes:
        # RFC 5652 allows a signature over the content itself; the platform's formats ask
        # for the content type and digest signed with it (docs/bid-envelope.md section 2).
        raise DetachedSignatureError(
            "the signature must carry signed attributes (content type, message digest)",
            "signature",
        )
    values = {attribute["type"].native: attribute["values"] for attribute in attributes}
    if values.get("content_type") is None or values["content_type"][0].native != "data":
        raise DetachedSignatureError("the signed content type must be data", "signature")
    if values.get("message_digest") is None or values["message_digest"][0].native != digest:
        raise DetachedSignatureError(
            "the signature is over other bytes than the envelope", "signature_mismatch"
        )
    # RFC 5652 5.4: the signature covers the DER of the attributes as a SET OF (tag 0x31),
    # not the [0] IMPLICIT form they are carried in.
    encoded = attributes.dump()
    return b"\x31" + encoded[1:]


def _verify(public_key, signature: bytes, signed: bytes, kind: str, digest, pss=None) -> None:
    """Check `signature` over `signed` by the kind of signature asn1crypto names (`pss`: the
    RSASSA-PSS parameters, asn1crypto's)."""
    if isinstance(public_key, ec.EllipticCurvePublicKey) and kind == "ecdsa":
        public_key.verify(signature, signed, ec.ECDSA(digest))
    elif isinstance(public_key, rsa.RSAPublicKey) and kind == "rsassa_pkcs1v15":
        public_key.verify(signature, signed, padding.PKCS1v15(), digest)
    elif isinstance(public_key, rsa.RSAPublicKey) and kind == "rsassa_pss":
        public_key.verify(
            signature,
            signed,
            padding.PSS(
                mgf=padding.MGF1(
                    HASHES[pss["mask_gen_algorithm"]["parameters"]["algorithm"].native]()
                ),
                salt_length=pss["salt_length"].native,
            ),
            digest,
        )
    else:
        raise DetachedSignatureError("unsupported signature algorithm", "signature")


# --- The plain case, without asn1crypto ---------------------------------------------------
#
# Walking the signature with asn1crypto (pure Python) cost more than the ECDSA check itself,
# on every bid. Browsers (PKI.js), the command-line client and openssl all send the same
# plain shape: DER, one signer named by issuer and serial number or by key identifier,
# signed attributes with the content type and the message digest, the signer's
# certificate embedded. `_plain_signer` reads exactly that shape with a strict DER reader
# and checks it the same way; for anything else (BER, an unknown algorithm, a missing or
# wrong attribute, a certificate it cannot match by its bytes) it answers None and the
# general path above decides, so every refusal keeps its one reason and wording.


class _NotPlain(Exception):
    pass


def _element(data: bytes, offset: int, end: int) -> tuple[int, int, int]:
    """(tag, start, end) of the contents of the DER element at `offset`: definite,
    minimal lengths only, within `end`."""
    if offset + 2 > end:
        raise _NotPlain
    tag, length = data[offset], data[offset + 1]
    if tag & 0x1F == 0x1F:
        raise _NotPlain  # high tag numbers: none in these structures
    offset += 2
    if length & 0x80:
        count = length & 0x7F
        if not 1 <= count <= 3 or offset + count > end or data[offset] == 0:
            raise _NotPlain  # indefinite (BER), too long, or not minimal
        length = int.from_bytes(data[offset : offset + count], "big")
        if length < 0x80:
            raise _NotPlain
        offset += count
    if offset + length > end:
        raise _NotPlain
    return tag, offset, offset + length


def _children(data: bytes, start: int, end: int) -> list[tuple[int, int, int, int]]:
    """(tag, start, end, element start) of each element between start and end."""
    items = []
    while start < end:
        tag, inner, after = _element(data, start, end)
        items.append((tag, inner, after, start))
        start = after
    return items


def _oid(dotted: str) -> bytes:
    encoded = core.ObjectIdentifier(dotted).dump()
    return encoded[2:]  # every OID here is shorter than 128 bytes


SEQUENCE, SET, OID, OCTET_STRING, INTEGER = 0x30, 0x31, 0x06, 0x04, 0x02
SIGNED_DATA = _oid("1.2.840.113549.1.7.2")
DATA = _oid("1.2.840.113549.1.7.1")
CONTENT_TYPE = _oid("1.2.840.113549.1.9.3")
MESSAGE_DIGEST = _oid("1.2.840.113549.1.9.4")
DIGESTS = {
    _oid("2.16.840.1.101.3.4.2.1"): "sha256",
    _oid("2.16.840.1.101.3.4.2.2"): "sha384",
    _oid("2.16.840.1.101.3.4.2.3"): "sha512",
}
SIGNATURE_KINDS = {
    _oid("1.2.840.10045.4.3.2"): "ecdsa",  # ecdsa-with-SHA256
    _oid("1.2.840.10045.4.3.3"): "ecdsa",
    _oid("1.2.840.10045.4.3.4"): "ecdsa",
    _oid("1.2.840.113549.1.1.1"): "rsassa_pkcs1v15",  # rsaEncryption
    _oid("1.2.840.113549.1.1.11"): "rsassa_pkcs1v15",  # sha256WithRSAEncryption
    _oid("1.2.840.113549.1.1.12"): "rsassa_pkcs1v15",
    _oid("1.2.840.113549.1.1.13"): "rsassa_pkcs1v15",
}


@dataclass(frozen=True)
class _Plain:
    certificates: list[bytes]
    issuer: bytes | None  # the signer's issuer (DER) and serial, or its key identifier
    serial: int | None
    key_identifier: bytes | None
    digest_algorithm: str
    attributes: dict[bytes, bytes]  # type -> the DER of its one value
    signed: bytes  # the signed attributes as the signature covers them (SET OF)
    kind: str
    signature: bytes


def _plain_signer(signature: bytes, content: bytes) -> DetachedSigner | None:
    try:
        plain = _plain_read(signature)
    except _NotPlain:
        return None
    digest = hashlib.new(plain.digest_algorithm, content).digest()
    if plain.attributes.get(CONTENT_TYPE) != bytes([OID, len(DATA)]) + DATA:
        return None
    if plain.attributes.get(MESSAGE_DIGEST) != bytes([OCTET_STRING, len(digest)]) + digest:
        return None
    certificate = _plain_certificate(plain)
    if certificate is None:
        return None
    digest_algorithm = HASHES[plain.digest_algorithm]()
    try:
        public_key = certificate.public_key()
        _verify(public_key, plain.signature, plain.signed, plain.kind, digest_algorithm)
    except InvalidSignature as error:
        raise DetachedSignatureError(
            "the signature does not match the envelope", "signature_mismatch"
        ) from error
    except (ValueError, TypeError, UnsupportedAlgorithm):
        return None  # a key or signature cryptography cannot read: the general path says why
    return DetachedSigner(certificate, plain.digest_algorithm, digest)


def _plain_certificate(plain: _Plain) -> x509.Certificate | None:
    for der in plain.certificates:
        try:  # cryptography reads a certificate's fields when first asked for them
            candidate = _certificate(der)
            if plain.key_identifier is not None:
                matches = _key_identifier(candidate) == plain.key_identifier
            else:
                matches = (
                    candidate.serial_number == plain.serial
                    and _issuer_der(candidate) == plain.issuer
                )
        except (ValueError, TypeError, UnsupportedAlgorithm):
            return None
        if matches:
            return candidate
    return None  # or named differently: the general path compares names by RFC 5280


def _plain_read(data: bytes) -> _Plain:
    tag, start, end = _element(data, 0, len(data))
    if tag != SEQUENCE or end != len(data):
        raise _NotPlain
    info = _children(data, start, end)
    if len(info) != 2 or info[0][0] != OID or data[info[0][1] : info[0][2]] != SIGNED_DATA:
        raise _NotPlain
    if info[1][0] != 0xA0:
        raise _NotPlain
    tag, start, end = _element(data, info[1][1], info[1][2])
    if tag != SEQUENCE or end != info[1][2]:
        raise _NotPlain
    parts = _children(data, start, end)
    # version, digestAlgorithms, encapContentInfo, [0] certificates, SET OF SignerInfo
    if [part[0] for part in parts] != [INTEGER, SET, SEQUENCE, 0xA0, SET]:
        raise _NotPlain
    encapsulated = _children(data, parts[2][1], parts[2][2])
    if len(encapsulated) != 1 or data[encapsulated[0][1] : encapsulated[0][2]] != DATA:
        raise _NotPlain  # content inside (not detached) or another type
    certificates = [  # other choices (attribute certificates...) are not signers'
        data[first:after]
        for tag, _, after, first in _children(data, parts[3][1], parts[3][2])
        if tag == SEQUENCE
    ]
    signers = _children(data, parts[4][1], parts[4][2])
    if len(signers) != 1 or signers[0][0] != SEQUENCE:
        raise _NotPlain
    fields = _children(data, signers[0][1], signers[0][2])
    # version, sid, digestAlgorithm, [0] signedAttrs, signatureAlgorithm, signature
    if len(fields) != 6 or fields[0][0] != INTEGER or fields[3][0] != 0xA0:
        raise _NotPlain
    issuer = serial = key_identifier = None
    if fields[1][0] == SEQUENCE:
        names = _children(data, fields[1][1], fields[1][2])
        if len(names) != 2 or names[0][0] != SEQUENCE or names[1][0] != INTEGER:
            raise _NotPlain
        issuer = data[names[0][3] : names[0][2]]
        serial = int.from_bytes(data[names[1][1] : names[1][2]], "big", signed=True)
    elif fields[1][0] == 0x80:  # [0] IMPLICIT SubjectKeyIdentifier
        key_identifier = data[fields[1][1] : fields[1][2]]
    else:
        raise _NotPlain
    digest_algorithm = DIGESTS.get(_algorithm(data, fields[2]))
    kind = SIGNATURE_KINDS.get(_algorithm(data, fields[4]))
    if digest_algorithm is None or kind is None or fields[5][0] != OCTET_STRING:
        raise _NotPlain
    attributes = {}
    for tag, start, end, _ in _children(data, fields[3][1], fields[3][2]):
        pair = _children(data, start, end) if tag == SEQUENCE else []
        if len(pair) != 2 or pair[0][0] != OID or pair[1][0] != SET:
            raise _NotPlain
        kind_of = data[pair[0][1] : pair[0][2]]
        values = _children(data, pair[1][1], pair[1][2])
        if kind_of in attributes:
            raise _NotPlain
        attributes[kind_of] = data[values[0][3] : values[0][2]] if len(values) == 1 else None
    return _Plain(
        certificates=certificates,
        issuer=issuer,
        serial=serial,
        key_identifier=key_identifier,
        digest_algorithm=digest_algorithm,
        attributes=attributes,
        # RFC 5652 5.4: the signature covers the attributes as a SET OF (tag 0x31).
        signed=b"\x31" + data[fields[3][3] + 1 : fields[3][2]],
        kind=kind,
        signature=data[fields[5][1] : fields[5][2]],
    )


def _algorithm(data: bytes, element) -> bytes | None:
    """The OID (contents) of an AlgorithmIdentifier whose parameters are absent or NULL."""
    if element[0] != SEQUENCE:
        return None
    parts = _children(data, element[1], element[2])
    if not parts or parts[0][0] != OID:
        return None
    if len(parts) > 2 or (len(parts) == 2 and data[parts[1][3] : parts[1][2]] != b"\x05\x00"):
        return None  # parameters (RSASSA-PSS): the general path reads them
    return data[parts[0][1] : parts[0][2]]
