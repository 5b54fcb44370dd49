import shutil
import subprocess

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from esign.services import certificate_issue

OPENSSL = shutil.which("openssl")
needs_openssl = pytest.mark.skipif(OPENSSL is None, reason="needs the openssl command")


def openssl(*args: str, input: bytes | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [OPENSSL, *args], input=input, capture_output=True, check=False, timeout=60
    )


def make_csr(key=None):
    key = key or ec.generate_private_key(ec.SECP256R1())
    csr = (
        x509.CertificateSigningRequestBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "whatever")]))
        .sign(key, hashes.SHA256())
    )
    return key, csr.public_bytes(serialization.Encoding.PEM)


@pytest.fixture
def issued(pki, bidder_a, company_a, supplier_a):
    """A verified supplier's bidder with a key of their own and the certificate issued."""
    key, csr = make_csr()
    certificate = certificate_issue(
        holder=bidder_a, organisation=company_a, csr_data=csr, actor=bidder_a
    )
    return key, certificate, x509.load_pem_x509_certificate(certificate.pem.encode())
