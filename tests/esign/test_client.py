"""jangteo-client end to end, as a supplier runs it: against a real server process, with an
API token, key and PKCS#12 kept on the supplier's side, signatures checked by openssl."""

import pytest

from esign.models import Certificate, CertificateStatus
from esign.validation import cms_verify_detached

from .conftest import needs_openssl, openssl

pytestmark = [pytest.mark.django_db(transaction=True), needs_openssl]

PASSPHRASE = "correct horse battery staple"


@pytest.fixture
def run_client(client_cli, bidder_a):
    def run(*args: str, passphrase: str = PASSPHRASE):
        return client_cli(bidder_a, *args, passphrase=passphrase)

    return run


def test_enroll_sign_and_verify_with_openssl(run_client, tmp_path, server, pki, supplier_a, client):
    result = run_client("enroll", "--organisation", "1018163364")
    assert result.returncode == 0, result.stderr
    home = tmp_path / "home"
    assert (home / "identity.p12").exists()
    assert not (home / "pending-key.pem").exists()
    from cryptography.hazmat.primitives.serialization import pkcs12

    with pytest.raises(ValueError, match="password"):  # encrypted: needs the passphrase
        pkcs12.load_key_and_certificates((home / "identity.p12").read_bytes(), None)
    key, _certificate, _chain = pkcs12.load_key_and_certificates(
        (home / "identity.p12").read_bytes(), PASSPHRASE.encode()
    )
    assert key is not None
    record = Certificate.objects.get()

    document = tmp_path / "bid.json"
    document.write_bytes(b'{"amount": 98765000, "currency": "KRW"}')
    result = run_client("sign", str(document))
    assert result.returncode == 0, result.stderr
    signature = (tmp_path / "bid.json.p7s").read_bytes()

    trust = tmp_path / "trust.pem"
    trust.write_bytes(client.get("/pki/root.pem").content + client.get("/pki/issuing.pem").content)
    verified = openssl(
        "cms",
        "-verify",
        "-binary",
        "-inform",
        "DER",
        "-in",
        str(tmp_path / "bid.json.p7s"),
        "-content",
        str(document),
        "-CAfile",
        str(trust),
        "-out",
        "/dev/null",
    )
    assert verified.returncode == 0, verified.stderr
    check = cms_verify_detached(signature, document.read_bytes())
    assert check.valid, check.reason
    assert check.signer.serial_number == int(record.serial, 16)

    listed = run_client("certificates")
    assert record.serial in listed.stdout
    assert run_client("revoke", record.serial, "--reason", "key_compromise").returncode == 0
    record.refresh_from_db()
    assert record.status == CertificateStatus.REVOKED
    assert not cms_verify_detached(signature, document.read_bytes()).valid


def test_a_wrong_passphrase_opens_nothing(run_client, tmp_path, pki, supplier_a):
    assert run_client("enroll", "--organisation", "1018163364").returncode == 0
    again = run_client("enroll", "--organisation", "1018163364")
    assert again.returncode == 2
    assert "exists already" in again.stderr
    (tmp_path / "doc").write_text("x")
    result = run_client("sign", str(tmp_path / "doc"), passphrase="not the right one")
    assert result.returncode == 2
    assert "wrong passphrase" in result.stderr


def test_a_refusal_is_told_plainly(run_client, pki, supplier_a):
    result = run_client("enroll", "--organisation", "2148712348")
    assert result.returncode == 2
    assert "refused (400, organisation)" in result.stderr
    assert not Certificate.objects.exists()


def test_a_pkcs12_of_another_ca_is_imported_and_signs(
    trusted_foreign_ca, run_client, tmp_path, pki, supplier_a, bidder_a, monkeypatch
):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.serialization import pkcs12

    # given the PKCS#12 a Korean CA gave the company's bidder
    key, certificate = trusted_foreign_ca.issue(name="한빛 입찰담당", brn="101-81-63364")
    p12 = tmp_path / "signCert.p12"
    p12.write_bytes(
        pkcs12.serialize_key_and_certificates(
            b"npki", key, certificate, None, serialization.BestAvailableEncryption(b"p12-pass")
        )
    )
    monkeypatch.setenv("JANGTEO_P12_PASSPHRASE", "p12-pass")
    result = run_client("import", str(p12), "--organisation", "1018163364")
    assert result.returncode == 0, result.stderr
    record = Certificate.objects.get()
    assert record.holder == bidder_a
    assert not record.issued_by_platform

    # then the client signs with it, and the signature verifies against that CA
    document = tmp_path / "bid.json"
    document.write_bytes(b'{"amount": 1}')
    assert run_client("sign", str(document)).returncode == 0
    signature = (tmp_path / "bid.json.p7s").read_bytes()
    assert cms_verify_detached(signature, document.read_bytes()).valid
    trust = tmp_path / "foreign.pem"
    trust.write_bytes(trusted_foreign_ca.certificate.public_bytes(serialization.Encoding.PEM))
    verified = openssl(
        "cms", "-verify", "-binary", "-inform", "DER", "-in", str(tmp_path / "bid.json.p7s"),
        "-content", str(document), "-CAfile", str(trust), "-out", "/dev/null",
    )  # fmt: skip
    assert verified.returncode == 0, verified.stderr


def test_a_pkcs12_with_a_wrong_password_sends_nothing(
    trusted_foreign_ca, run_client, tmp_path, pki, supplier_a
):
    (tmp_path / "broken.p12").write_bytes(b"not a pkcs12")
    (tmp_path / "p12-pass").write_text("whatever")
    result = run_client(
        "import",
        str(tmp_path / "broken.p12"),
        "--organisation",
        "1018163364",
        "--p12-passphrase-file",
        str(tmp_path / "p12-pass"),
    )
    assert result.returncode == 2
    assert "cannot open" in result.stderr
    assert not Certificate.objects.exists()
