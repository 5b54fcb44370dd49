"""The platform's own detached CMS signatures (the bid receipts'): canonical DER that
openssl, asn1crypto and the platform's own reader all check, with the attributes RFC 5652
asks for and the signing time given."""

import hashlib
from datetime import UTC, datetime, timedelta

import pytest
from asn1crypto import cms
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

from esign.detached import DetachedSignatureError, detached_signer
from esign.signed_data import SigningKeyMismatch, detached_signature

from .conftest import needs_openssl, openssl

CONTENT = '{"format":"jangteo-receipt/1","receipt":"JR-0123456789ABCDEF","tender":"가"}'.encode()
AT = datetime(2026, 12, 31, 0, 59, 59, 999999, tzinfo=UTC)  # 09:59:59 in Seoul


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "KR"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "조달 플랫폼"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _certificate(key, subject, issuer_key, issuer, *, ca: bool) -> x509.Certificate:
    now = datetime.now(UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .sign(issuer_key, hashes.SHA256())
    )


@pytest.fixture(params=["ecdsa", "rsa"])
def signer(request):
    """(root, issuing CA, signer's key, signer's certificate)."""
    root_key = ec.generate_private_key(ec.SECP256R1())
    root = _certificate(root_key, _name("Root"), root_key, _name("Root"), ca=True)
    issuing_key = ec.generate_private_key(ec.SECP256R1())
    issuing = _certificate(issuing_key, _name("Issuing"), root_key, root.subject, ca=True)
    if request.param == "ecdsa":
        key = ec.generate_private_key(ec.SECP256R1())
    else:
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    certificate = _certificate(key, _name("Receipts"), issuing_key, issuing.subject, ca=False)
    return root, issuing, key, certificate


def test_the_signature_is_canonical_der_with_rfc_5652_s_attributes(signer):
    _root, issuing, key, certificate = signer
    signature = detached_signature(
        CONTENT, key=key, certificate=certificate, chain=(issuing,), at=AT
    )
    info = cms.ContentInfo.load(signature, strict=True)
    assert info.dump(force=True) == signature  # re-encoded as DER: the very same bytes
    assert info["content_type"].native == "signed_data"
    signed_data = info["content"]
    assert signed_data["version"].native == "v1"
    assert signed_data["encap_content_info"]["content_type"].native == "data"
    assert signed_data["encap_content_info"]["content"].native is None  # detached
    embedded = {c.chosen.dump() for c in signed_data["certificates"]}
    assert embedded == {c.public_bytes(serialization.Encoding.DER) for c in (certificate, issuing)}
    [signer_info] = signed_data["signer_infos"]
    assert signer_info["sid"].chosen["serial_number"].native == certificate.serial_number
    attributes = {a["type"].native: a["values"][0].native for a in signer_info["signed_attrs"]}
    assert attributes == {
        "content_type": "data",
        "message_digest": hashlib.sha256(CONTENT).digest(),
        "signing_time": AT.replace(microsecond=0),
    }


def test_the_platform_s_own_reader_finds_the_signer(signer):
    _root, issuing, key, certificate = signer
    signature = detached_signature(
        CONTENT, key=key, certificate=certificate, chain=(issuing,), at=AT
    )
    assert detached_signer(signature, CONTENT).certificate == certificate
    with pytest.raises(DetachedSignatureError):
        detached_signer(signature, CONTENT + b" ")


@needs_openssl
def test_openssl_verifies_it_against_the_root(signer, tmp_path):
    root, issuing, key, certificate = signer
    signature = detached_signature(
        CONTENT, key=key, certificate=certificate, chain=(issuing,), at=AT
    )
    (tmp_path / "root.pem").write_bytes(root.public_bytes(serialization.Encoding.PEM))
    (tmp_path / "body.json").write_bytes(CONTENT)
    (tmp_path / "body.p7s").write_bytes(signature)
    common = ["cms", "-verify", "-binary", "-inform", "DER", "-in", str(tmp_path / "body.p7s")]
    common += ["-CAfile", str(tmp_path / "root.pem"), "-purpose", "any", "-out", "/dev/null"]
    assert openssl(*common, "-content", str(tmp_path / "body.json")).returncode == 0
    (tmp_path / "other.json").write_bytes(CONTENT + b" ")
    assert openssl(*common, "-content", str(tmp_path / "other.json")).returncode != 0


def test_a_key_that_is_not_its_certificate_s_kind_signs_nothing(signer):
    _root, issuing, key, certificate = signer
    other = (
        rsa.generate_private_key(public_exponent=65537, key_size=2048)
        if isinstance(key, ec.EllipticCurvePrivateKey)
        else ec.generate_private_key(ec.SECP256R1())
    )
    with pytest.raises(SigningKeyMismatch):
        detached_signature(CONTENT, key=other, certificate=certificate, chain=(issuing,), at=AT)
