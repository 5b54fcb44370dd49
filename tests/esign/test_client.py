"""jangteo-client end to end, as a supplier runs it: against a real server process, with an
API token, key and PKCS#12 kept on the supplier's side, signatures checked by openssl."""

import os
import subprocess
import sys

import pytest

from accounts.tokens import api_token_create
from esign.models import Certificate, CertificateStatus
from esign.validation import cms_verify_detached

from .conftest import needs_openssl, openssl

pytestmark = [pytest.mark.django_db(transaction=True), needs_openssl]

PASSPHRASE = "correct horse battery staple"


@pytest.fixture
def run_client(server, tmp_path, bidder_a):
    token = api_token_create(user=bidder_a, name="client")[1]

    def run(*args: str, passphrase: str = PASSPHRASE) -> subprocess.CompletedProcess:
        env = {
            **os.environ,
            "JANGTEO_URL": server,
            "JANGTEO_TOKEN": token,
            "JANGTEO_HOME": str(tmp_path / "home"),
            "JANGTEO_PASSPHRASE": passphrase,
        }
        return subprocess.run(
            [sys.executable, "-m", "jangteo_client", *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

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
    assert "refused (400)" in result.stderr
    assert not Certificate.objects.exists()
