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

from asn1crypto import cms
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.exceptions import InvalidSignature
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


def detached_signer(signature: bytes, content: bytes) -> DetachedSigner:
    """The certificate whose key made `signature` (CMS SignedData, DER, detached, exactly
    one signer, its certificate embedded) over `content`. Nothing about trust is decided
    here. Raises DetachedSignatureError."""
    if len(signature) > MAX_SIGNATURE_BYTES:
        raise DetachedSignatureError("the signature is larger than 64 KiB", "signature_size")
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
        signed = _signed_bytes(signer_info, hashlib.new(algorithm, content).digest(), content)
        _verify(
            certificate.public_key(),
            signer_info["signature"].native,
            signed,
            signer_info["signature_algorithm"],
            HASHES[algorithm](),
        )
    except DetachedSignatureError:
        raise
    except InvalidSignature as error:
        raise DetachedSignatureError(
            "the signature does not match the envelope", "signature_mismatch"
        ) from error
    except (ValueError, TypeError, KeyError) as error:
        raise DetachedSignatureError("the signature is malformed", "signature") from error
    return DetachedSigner(certificate, algorithm)


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
                candidate.issuer, wanted["issuer"]
            )
        else:
            matches = _key_identifier(candidate) == sid.chosen.native
        if matches:
            return candidate
    raise DetachedSignatureError("the signer's certificate is not embedded", "signature")


def _same_name(name: x509.Name, wanted) -> bool:
    # Identical DER is the same name; only differently encoded ones need RFC 5280's
    # comparison (string preparation, case folding), which costs a third of a millisecond.
    der = name.public_bytes()
    return der == wanted.dump() or asn1_x509.Name.load(der) == wanted


def _key_identifier(certificate: x509.Certificate) -> bytes | None:
    try:
        extension = certificate.extensions.get_extension_for_class(x509.SubjectKeyIdentifier)
    except x509.ExtensionNotFound:
        return None
    return extension.value.digest


@functools.lru_cache(maxsize=4096)
def _certificate(der: bytes) -> x509.Certificate:
    """Parsed once per process: a bidder signs every envelope with the same certificate."""
    return x509.load_der_x509_certificate(der)


def _signed_bytes(signer_info, digest: bytes, content: bytes) -> bytes:
    attributes = signer_info["signed_attrs"]
    if not attributes:
        return content  # no signed attributes: the signature is over the content itself
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


def _verify(public_key, signature: bytes, signed: bytes, algorithm, digest) -> None:
    kind = algorithm.signature_algo
    if isinstance(public_key, ec.EllipticCurvePublicKey) and kind == "ecdsa":
        public_key.verify(signature, signed, ec.ECDSA(digest))
    elif isinstance(public_key, rsa.RSAPublicKey) and kind == "rsassa_pkcs1v15":
        public_key.verify(signature, signed, padding.PKCS1v15(), digest)
    elif isinstance(public_key, rsa.RSAPublicKey) and kind == "rsassa_pss":
        parameters = algorithm["parameters"]
        public_key.verify(
            signature,
            signed,
            padding.PSS(
                mgf=padding.MGF1(
                    HASHES[parameters["mask_gen_algorithm"]["parameters"]["algorithm"].native]()
                ),
                salt_length=parameters["salt_length"].native,
            ),
            digest,
        )
    else:
        raise DetachedSignatureError("unsupported signature algorithm", "signature")
