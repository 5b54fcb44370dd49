"""Interoperability with OpenSSL, the reference a supplier's own system is most likely to use:
requests and signatures made by `openssl` are accepted, signatures the platform's client way
of signing makes are verified by `openssl cms -verify` against the platform root."""

from datetime import timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs7
from cryptography.x509.oid import NameOID

from esign.services import certificate_issue, certificate_revoke
from esign.validation import certificate_check, cms_verify_detached

from .conftest import needs_openssl, openssl

pytestmark = [pytest.mark.django_db, needs_openssl]

CONTENT = '입찰서 bid.json {"amount": 123456789}\n'.encode()


def sign_with_openssl(tmp_path, certificate_pem: bytes, key_pem: bytes) -> bytes:
    (tmp_path / "cert.pem").write_bytes(certificate_pem)
    (tmp_path / "key.pem").write_bytes(key_pem)
    (tmp_path / "content").write_bytes(CONTENT)
    result = openssl(
        "cms",
        "-sign",
        "-binary",
        "-md",
        "sha256",
        "-in",
        str(tmp_path / "content"),
        "-signer",
        str(tmp_path / "cert.pem"),
        "-inkey",
        str(tmp_path / "key.pem"),
        "-outform",
        "DER",
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def key_pem(key) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def client_signature(key, certificate: x509.Certificate) -> bytes:
    """A detached CMS signature as the command-line client makes it."""
    return (
        pkcs7.PKCS7SignatureBuilder()
        .set_data(CONTENT)
        .add_signer(certificate, key, hashes.SHA256())
        .sign(
            serialization.Encoding.DER,
            [pkcs7.PKCS7Options.DetachedSignature, pkcs7.PKCS7Options.Binary],
        )
    )


def test_a_request_made_by_openssl_req_is_accepted(tmp_path, pki, bidder_a, company_a, supplier_a):
    result = openssl(
        "req",
        "-new",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
        "-keyout",
        str(tmp_path / "key.pem"),
        "-subj",
        "/CN=anything",
        "-out",
        str(tmp_path / "req.pem"),
    )
    assert result.returncode == 0, result.stderr
    record = certificate_issue(
        holder=bidder_a,
        organisation=company_a,
        csr_data=(tmp_path / "req.pem").read_bytes(),
        actor=bidder_a,
    )
    signature = sign_with_openssl(
        tmp_path, record.pem.encode(), (tmp_path / "key.pem").read_bytes()
    )
    check = cms_verify_detached(signature, CONTENT)
    assert check.valid, check.reason
    assert check.signer.serial_number == int(record.serial, 16)


def test_an_openssl_cms_signature_by_an_issued_certificate_verifies(tmp_path, issued):
    key, _record, certificate = issued
    signature = sign_with_openssl(
        tmp_path, certificate.public_bytes(serialization.Encoding.PEM), key_pem(key)
    )
    check = cms_verify_detached(signature, CONTENT)
    assert check.valid, check.reason
    assert check.signing_time is not None


def test_openssl_cms_verify_accepts_the_clients_signatures(tmp_path, client, issued):
    key, _record, certificate = issued
    (tmp_path / "sig.der").write_bytes(client_signature(key, certificate))
    (tmp_path / "content").write_bytes(CONTENT)
    (tmp_path / "root.pem").write_bytes(client.get("/pki/root.pem").content)
    (tmp_path / "issuing.pem").write_bytes(client.get("/pki/issuing.pem").content)
    crls = b"".join(
        x509.load_der_x509_crl(client.get(f"/pki/{role}.crl").content).public_bytes(
            serialization.Encoding.PEM
        )
        for role in ("root", "issuing")
    )
    # openssl cms reads CRLs from its CA file: the trust anchor and the current CRLs
    (tmp_path / "trust.pem").write_bytes(
        client.get("/pki/root.pem").content + client.get("/pki/issuing.pem").content + crls
    )
    result = openssl(
        "cms",
        "-verify",
        "-binary",
        "-inform",
        "DER",
        "-in",
        str(tmp_path / "sig.der"),
        "-content",
        str(tmp_path / "content"),
        "-CAfile",
        str(tmp_path / "trust.pem"),
        "-crl_check_all",
        "-out",
        "/dev/null",
    )
    assert result.returncode == 0, result.stderr
    assert b"Verification successful" in result.stderr


def test_a_signature_over_other_content_is_refused(tmp_path, issued):
    key, _record, certificate = issued
    check = cms_verify_detached(client_signature(key, certificate), CONTENT + b" ")
    assert not check.valid
    assert "does not match" in check.reason


def test_a_revoked_signer_is_refused_with_the_reason(tmp_path, issued, bidder_a):
    key, record, certificate = issued
    signature = client_signature(key, certificate)
    certificate_revoke(certificate=record, actor=bidder_a, reason="key_compromise")
    check = cms_verify_detached(signature, CONTENT)
    assert not check.valid
    assert "revoked" in check.reason


def test_a_signature_checked_before_its_revocation_time_was_good_then(issued, bidder_a):
    key, record, certificate = issued
    signature = client_signature(key, certificate)
    before = record.not_before + timedelta(minutes=2)  # issued 5 minutes back-dated
    certificate_revoke(certificate=record, actor=bidder_a, reason="superseded")
    assert cms_verify_detached(signature, CONTENT, at=before).valid
    assert not certificate_check(certificate).trusted


def test_an_expired_signer_is_refused(issued):
    key, record, certificate = issued
    check = cms_verify_detached(
        client_signature(key, certificate), CONTENT, at=record.not_after + timedelta(days=1)
    )
    assert not check.valid
    assert "not valid at that time" in check.reason


def test_a_certificate_from_a_foreign_root_is_refused(tmp_path, pki):
    from datetime import UTC, datetime

    ca_key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Foreign Root")])
    now = datetime.now(UTC)
    signer_key = ec.generate_private_key(ec.SECP256R1())
    foreign = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Mallory")]))
        .issuer_name(name)
        .public_key(signer_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=30))
        .add_extension(
            x509.KeyUsage(True, True, False, False, False, False, False, False, False),
            critical=True,
        )
        .sign(ca_key, hashes.SHA256())
    )
    check = cms_verify_detached(client_signature(signer_key, foreign), CONTENT)
    assert not check.valid
    assert "trusted" in check.reason


def test_garbage_is_not_a_signature(pki):
    assert cms_verify_detached(b"not a signature", CONTENT).reason == "This is not a CMS signature."
