"""In chromium: a bidder gets a certificate for a key made in the browser; the key never
leaves it (the request carries none, and the key cannot be exported)."""

import base64
import re
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from playwright.sync_api import expect

from esign.models import Certificate
from tests.browser.conftest import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_bidder_enrolls_in_the_browser_and_the_key_never_leaves_it(
    server, new_page, pki, bidder_a, supplier_a
):
    page = new_page()
    sign_in(page, server, "bidder_a")
    page.goto(f"{server}/certificates/")
    with page.expect_request(
        lambda r: r.url.endswith("/api/v1/certificates/") and r.method == "POST"
    ) as sent:
        page.click("#browser-enroll button[type=submit]")
    body = sent.value.post_data
    assert "BEGIN CERTIFICATE REQUEST" in body
    assert "PRIVATE KEY" not in body
    expect(page.locator("html")).to_have_attribute(
        "data-enrolled", re.compile(r"^[0-9a-f]+$"), timeout=15_000
    )

    record = Certificate.objects.get()
    certificate = x509.load_pem_x509_certificate(record.pem.encode())
    assert record.holder == bidder_a
    assert "NTRKR-1018163364" in record.subject

    stored = page.evaluate("""async () => {
        const [entry] = await window.JangteoPki.keys.all();
        let exported = true;
        try { await crypto.subtle.exportKey("pkcs8", entry.privateKey); }
        catch (e) { exported = false; }
        const signature = new Uint8Array(await crypto.subtle.sign(
            {name: "ECDSA", hash: "SHA-256"}, entry.privateKey, new TextEncoder().encode("입찰")));
        return {serial: entry.serial, extractable: entry.privateKey.extractable, exported,
                signature: btoa(String.fromCharCode(...signature))};
    }""")
    assert stored["serial"] == record.serial
    assert stored["extractable"] is False
    assert stored["exported"] is False
    raw = base64.b64decode(stored["signature"])
    der = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
    certificate.public_key().verify(der, "입찰".encode(), ec.ECDSA(hashes.SHA256()))


def test_an_unverified_company_is_told_why(server, new_page, pki, bidder_b, company_b):
    from tests.conftest import _supplier

    _supplier(company_b, status="pending")
    page = new_page()
    sign_in(page, server, "bidder_b")
    page.goto(f"{server}/certificates/")
    with page.expect_response(lambda r: r.url.endswith("/api/v1/certificates/")) as answer:
        page.click("#browser-enroll button[type=submit]")
    assert answer.value.status == 400
    refusal = answer.value.json()
    assert refusal["code"] == "organisation"
    expect(page.locator("#browser-enroll-status")).to_have_text(refusal["detail"])
    assert not Certificate.objects.exists()


def test_a_backup_is_made_in_the_browser_and_opens_with_its_password(
    server, new_page, pki, bidder_a, supplier_a
):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.serialization import pkcs12

    page = new_page()
    sign_in(page, server, "bidder_a")
    page.goto(f"{server}/certificates/")
    bodies = []
    page.on("request", lambda r: bodies.append(r.post_data or "") if r.method == "POST" else None)
    page.check("#backup")
    page.fill("#backup_password", "short")
    page.fill("#backup_password2", "short")
    page.click("#browser-enroll button[type=submit]")
    expect(page.locator("#browser-enroll-status")).to_contain_text("10")
    assert not Certificate.objects.exists()

    page.fill("#backup_password", "my backup passphrase")
    page.fill("#backup_password2", "my backup passphrase")
    with page.expect_download(timeout=30_000) as downloaded:
        page.click("#browser-enroll button[type=submit]")
    backup = Path(downloaded.value.path()).read_bytes()

    record = Certificate.objects.get()
    key, certificate, chain = pkcs12.load_key_and_certificates(backup, b"my backup passphrase")
    assert certificate.public_bytes(serialization.Encoding.PEM).decode() == record.pem
    assert key.public_key() == certificate.public_key()
    assert len(chain) == 2
    with pytest.raises(ValueError, match="(?i)password"):
        pkcs12.load_key_and_certificates(backup, b"a wrong passphrase")
    # the server saw only the request; the browser keeps a key it cannot export
    assert all("PRIVATE KEY" not in body and "p12" not in body for body in bodies)
    extractable = page.evaluate(
        "async () => (await window.JangteoPki.keys.all())[0].privateKey.extractable"
    )
    assert extractable is False


def test_a_pkcs12_of_another_ca_is_opened_in_the_browser_and_registered(
    trusted_foreign_ca, server, new_page, pki, bidder_a, supplier_a, tmp_path
):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.serialization import pkcs12

    key, certificate = trusted_foreign_ca.issue(name="한빛 입찰", brn="101-81-63364")
    p12 = tmp_path / "signCert.p12"
    p12.write_bytes(
        pkcs12.serialize_key_and_certificates(
            b"npki", key, certificate, [trusted_foreign_ca.certificate],
            serialization.BestAvailableEncryption(b"p12 password"),
        )
    )  # fmt: skip
    page = new_page()
    sign_in(page, server, "bidder_a")
    page.goto(f"{server}/certificates/")
    bodies = []
    page.on("request", lambda r: bodies.append(r.post_data or "") if r.method == "POST" else None)
    page.set_input_files("#p12_file", str(p12))
    page.fill("#p12_password", "wrong password")
    page.click("#browser-import button[type=submit]")
    refusal = page.get_attribute("#browser-import", "data-cannot-open")
    expect(page.locator("#browser-import-status")).to_have_text(refusal, timeout=30_000)
    assert not Certificate.objects.exists()

    page.fill("#p12_password", "p12 password")
    page.click("#browser-import button[type=submit]")
    expect(page.locator("html")).to_have_attribute(
        "data-enrolled", re.compile(r"^[0-9a-f]+$"), timeout=30_000
    )
    record = Certificate.objects.get()
    assert record.holder == bidder_a
    assert not record.issued_by_platform
    assert all("PRIVATE KEY" not in body for body in bodies)
    assert not any(base64.b64encode(p12.read_bytes()[:48]).decode()[:40] in body for body in bodies)
    stored = page.evaluate("""async () => {
        const [entry] = await window.JangteoPki.keys.all();
        return {serial: entry.serial, extractable: entry.privateKey.extractable};
    }""")
    assert stored == {"serial": record.serial, "extractable": False}
