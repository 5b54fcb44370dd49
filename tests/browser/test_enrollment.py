"""In chromium: a bidder gets a certificate for a key made in the browser; the key never
leaves it (the request carries none, and the key cannot be exported)."""

import base64
import re

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from playwright.sync_api import expect

from esign.models import Certificate

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sign_in(page, base, username):
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", "correct-horse-battery")
    page.click("form.stacked button[type=submit]")
    page.wait_for_url(f"{base}/accounts/me/")


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
        const [entry] = await window.JangteoKeys.all();
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
