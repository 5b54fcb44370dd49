import pytest
from cryptography import x509

from accounts.tokens import api_token_create
from esign.models import Certificate, CertificateStatus
from tests.conftest import make_csr

pytestmark = pytest.mark.django_db


@pytest.fixture
def bearer(bidder_a):
    return {"HTTP_AUTHORIZATION": f"Bearer {api_token_create(user=bidder_a, name='t')[1]}"}


def test_enrolling_over_the_api_returns_the_certificate_and_its_chain(
    client, pki, bearer, supplier_a
):
    key, csr = make_csr()
    response = client.post(
        "/api/v1/certificates/",
        {"organisation": "1018163364", "csr": csr.decode()},
        content_type="application/json",
        **bearer,
    )
    assert response.status_code == 201, response.content
    data = response.json()
    certificate = x509.load_pem_x509_certificate(data["certificate"].encode())
    assert certificate.public_key().public_numbers() == key.public_key().public_numbers()
    issuing, root = (x509.load_pem_x509_certificate(pem.encode()) for pem in data["chain"])
    certificate.verify_directly_issued_by(issuing)
    issuing.verify_directly_issued_by(root)


def test_refusals_are_clear_400s(client, pki, bearer, supplier_a):
    response = client.post(
        "/api/v1/certificates/",
        {"organisation": "1018163364", "csr": "garbage"},
        content_type="application/json",
        **bearer,
    )
    assert response.status_code == 400
    assert response.json()["code"] == "malformed"
    response = client.post(
        "/api/v1/certificates/",
        {"organisation": "2148712348", "csr": make_csr()[1].decode()},
        content_type="application/json",
        **bearer,
    )
    assert response.status_code == 400
    assert response.json()["code"] == "organisation"
    assert not Certificate.objects.exists()


def test_revoking_over_the_api(client, issued, bearer):
    _key, record, _certificate = issued
    response = client.post(
        f"/api/v1/certificates/{record.serial}/revoke/",
        {"reason": "key_compromise"},
        content_type="application/json",
        **bearer,
    )
    assert response.status_code == 200
    assert response.json()["status"] == "revoked"


def test_another_persons_certificate_is_out_of_reach(client, issued, bidder_b):
    _key, record, _certificate = issued
    token = api_token_create(user=bidder_b, name="t")[1]
    response = client.post(
        f"/api/v1/certificates/{record.serial}/revoke/",
        {"reason": "unspecified"},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    assert response.status_code == 403
    record.refresh_from_db()
    assert record.status == CertificateStatus.ACTIVE


def test_the_certificates_page_enrolls_from_a_pasted_request_and_revokes(
    client, pki, bidder_a, company_a, supplier_a
):
    client.force_login(bidder_a)
    response = client.post(
        "/certificates/enroll/", {"organisation": company_a.pk, "csr": make_csr()[1].decode()}
    )
    assert response.status_code == 302
    record = Certificate.objects.get()
    page = client.get("/certificates/").content.decode()
    assert record.serial[:10] in page
    assert (
        client.post(f"/certificates/{record.serial}/revoke/", {"reason": "superseded"}).status_code
        == 302
    )
    record.refresh_from_db()
    assert record.status == CertificateStatus.REVOKED


def test_a_bad_request_on_the_page_is_a_400_that_changes_nothing(
    client, pki, bidder_a, company_a, supplier_a
):
    client.force_login(bidder_a)
    response = client.post(
        "/certificates/enroll/", {"organisation": company_a.pk, "csr": "-----BEGIN nonsense"}
    )
    assert response.status_code == 400
    assert not Certificate.objects.exists()


def test_the_company_administrator_revokes_a_leavers_certificate_from_the_profile(
    client, issued, company_a, supplier_a
):
    from accounts.models import Membership, Role
    from tests.conftest import _person

    _key, record, _certificate = issued
    admin = _person("admin_a", company_a, Role.SUPPLIER_ADMIN)
    assert Membership.objects.filter(user=admin, role=Role.SUPPLIER_ADMIN).exists()
    client.force_login(admin)
    page = client.get(f"/suppliers/{supplier_a.pk}/").content.decode()
    assert record.serial[:10] in page
    response = client.post(
        f"/certificates/{record.serial}/revoke/",
        {"reason": "affiliation_changed", "next": f"/suppliers/{supplier_a.pk}/"},
    )
    assert response["Location"] == f"/suppliers/{supplier_a.pk}/"
    record.refresh_from_db()
    assert record.status == CertificateStatus.REVOKED


def test_revocation_never_redirects_off_site(client, issued, bidder_a):
    _key, record, _certificate = issued
    client.force_login(bidder_a)
    response = client.post(
        f"/certificates/{record.serial}/revoke/",
        {"reason": "superseded", "next": "https://evil.example/"},
    )
    assert response["Location"] == "/certificates/"


def test_a_bidder_sees_no_one_elses_certificates_on_the_profile(
    client, issued, supplier_a, company_a
):
    from accounts.models import Role
    from tests.conftest import _person

    _key, record, _certificate = issued
    colleague = _person("colleague", company_a, Role.BIDDER)
    client.force_login(colleague)
    assert record.serial[:10] not in client.get(f"/suppliers/{supplier_a.pk}/").content.decode()


def test_serials_are_found_as_people_copy_them(client, issued, bearer):
    _key, record, _certificate = issued
    spaced = ":".join(f"{int(record.serial, 16):040X}"[i : i + 2] for i in range(0, 40, 2))
    assert client.get(f"/api/v1/certificates/{spaced}/", **bearer).status_code == 200
    assert client.get("/api/v1/certificates/not-hex/", **bearer).status_code == 404


def test_a_non_numeric_organisation_is_a_400_not_a_crash(client, pki, bidder_a):
    client.force_login(bidder_a)
    response = client.post("/certificates/enroll/", {"organisation": "abc", "csr": "x"})
    assert response.status_code == 400
