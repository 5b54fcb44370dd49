"""The bid path's check of a detached CMS signature: its plain-case reader must decide
exactly as the general one (asn1crypto) does, on signatures as clients make them and on
every corruption of them."""

import hashlib
import random
import shutil
import subprocess
from datetime import UTC, datetime, timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs7
from cryptography.x509.oid import NameOID

from esign import detached
from esign.detached import DetachedSignatureError, detached_signer

CONTENT = b"sealed envelope bytes " * 20


def _certificate(key, name: str) -> x509.Certificate:
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "KR"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "입찰 회사"),
            x509.NameAttribute(NameOID.COMMON_NAME, name),
        ]
    )
    now = datetime.now(UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=30))
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )


def _signed(key, certificate, *, digest=None, extra=()) -> bytes:
    builder = (
        pkcs7.PKCS7SignatureBuilder()
        .set_data(CONTENT)
        .add_signer(certificate, key, digest or hashes.SHA256())
    )
    for other in extra:
        builder = builder.add_certificate(other)
    return builder.sign(
        serialization.Encoding.DER,
        [pkcs7.PKCS7Options.DetachedSignature, pkcs7.PKCS7Options.Binary],
    )


def _openssl(openssl: str, key, certificate, tmp_path, *options: str) -> bytes:
    (tmp_path / "key.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    (tmp_path / "cert.pem").write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    (tmp_path / "content").write_bytes(CONTENT)
    subprocess.run(
        [openssl, "cms", "-sign", "-binary", "-outform", "DER", "-md", "sha256",
         "-signer", tmp_path / "cert.pem", "-inkey", tmp_path / "key.pem",
         "-in", tmp_path / "content", "-out", tmp_path / "signature", *options],
        check=True,
    )  # fmt: skip
    return (tmp_path / "signature").read_bytes()


def _outcome(check, signature: bytes, content: bytes = CONTENT):
    try:
        signer = check(signature, content)
    except DetachedSignatureError as error:
        return "refused", error.code
    return "signed by", signer.certificate.serial_number, signer.digest_algorithm


@pytest.fixture(scope="module")
def signatures(tmp_path_factory):
    ec_key = ec.generate_private_key(ec.SECP256R1())
    ec_certificate = _certificate(ec_key, "bidder-ec")
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    rsa_certificate = _certificate(rsa_key, "bidder-rsa")
    made = {
        "cryptography, P-256": _signed(ec_key, ec_certificate),
        "cryptography, P-256, SHA-384, a second certificate": _signed(
            ec_key, ec_certificate, digest=hashes.SHA384(), extra=[rsa_certificate]
        ),
        "cryptography, RSA": _signed(rsa_key, rsa_certificate),
    }
    if openssl := shutil.which("openssl"):
        folder = tmp_path_factory.mktemp("openssl")
        made["openssl, issuer and serial"] = _openssl(openssl, ec_key, ec_certificate, folder)
        made["openssl, key identifier"] = _openssl(
            openssl, ec_key, ec_certificate, folder, "-keyid"
        )
    return made


def test_clients_signatures_take_the_plain_path_with_the_general_answer(signatures):
    for name, signature in signatures.items():
        plain = detached._plain_signer(signature, CONTENT)
        assert plain is not None, name
        assert _outcome(detached._plain_signer, signature) == _outcome(
            detached._general_signer, signature
        ), name


def test_the_signer_tells_the_contents_digest_it_checked(signatures):
    for name, signature in signatures.items():
        for check in (detached_signer, detached._general_signer):
            signer = check(signature, CONTENT)
            expected = hashlib.new(signer.digest_algorithm, CONTENT).digest()
            assert signer.content_digest == expected, name


def test_other_content_is_a_mismatch_on_both_paths(signatures):
    for signature in signatures.values():
        assert _outcome(detached_signer, signature, CONTENT + b"!") == (
            "refused",
            "signature_mismatch",
        )
        assert _outcome(detached._general_signer, signature, CONTENT + b"!") == (
            "refused",
            "signature_mismatch",
        )


# Corrupted certificates carry negative serials, which cryptography warns of.
@pytest.mark.filterwarnings("ignore::cryptography.utils.CryptographyDeprecationWarning")
def test_every_corruption_is_decided_as_the_general_path_decides_it(signatures):
    generator = random.Random(5652)  # RFC 5652, and the same corruptions every run
    for name, signature in signatures.items():
        variants = [signature[:cut] for cut in range(0, len(signature), 7)]
        variants += [signature + b"\x00"]
        for _ in range(1000):
            at = generator.randrange(len(signature))
            variants.append(
                signature[:at] + bytes([generator.randrange(256)]) + signature[at + 1 :]
            )
        for variant in variants:
            assert _outcome(detached_signer, variant) == _outcome(
                detached._general_signer, variant
            ), (name, variant.hex())
