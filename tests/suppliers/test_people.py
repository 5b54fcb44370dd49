"""People leaving a company: their roles end and their certificates for it are revoked."""

import pytest
from cryptography import x509
from django.core.exceptions import PermissionDenied

from accounts.models import Membership, Role
from core.models import AuditEvent
from esign.models import CertificateStatus
from suppliers.exceptions import SupplierError
from suppliers.services import supplier_person_remove
from tests.conftest import _person

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_a(company_a):
    return _person("admin_a", company_a, Role.SUPPLIER_ADMIN)


def test_a_leaver_loses_roles_and_certificates_at_once(
    client, issued, supplier_a, admin_a, bidder_a
):
    _key, record, certificate = issued
    revoked = supplier_person_remove(supplier=supplier_a, actor=admin_a, person=bidder_a)
    assert revoked == 1
    assert not Membership.objects.filter(
        user=bidder_a, organisation=supplier_a.organisation
    ).exists()
    record.refresh_from_db()
    assert record.status == CertificateStatus.REVOKED
    assert record.revocation_reason == "affiliation_changed"
    crl = x509.load_der_x509_crl(client.get("/pki/issuing.crl").content)
    assert crl.get_revoked_certificate_by_serial_number(certificate.serial_number)
    event = AuditEvent.objects.get(kind="supplier.person_removed")
    assert event.data["certificates_revoked"] == 1


def test_only_an_administrator_removes_people(supplier_a, admin_a, bidder_a, bidder_b):
    with pytest.raises(PermissionDenied):
        supplier_person_remove(supplier=supplier_a, actor=bidder_a, person=admin_a)
    with pytest.raises(PermissionDenied):
        supplier_person_remove(supplier=supplier_a, actor=bidder_b, person=bidder_a)


def test_the_last_administrator_stays(supplier_a, admin_a):
    with pytest.raises(SupplierError) as error:
        supplier_person_remove(supplier=supplier_a, actor=admin_a, person=admin_a)
    assert error.value.code == "last_admin"


def test_removing_from_the_company_page(client, supplier_a, admin_a, bidder_a):
    client.force_login(admin_a)
    page = client.get(f"/suppliers/{supplier_a.pk}/").content.decode()
    assert f"/suppliers/{supplier_a.pk}/people/{bidder_a.pk}/remove/" in page
    response = client.post(f"/suppliers/{supplier_a.pk}/people/{bidder_a.pk}/remove/")
    assert response.status_code == 302
    assert not Membership.objects.filter(user=bidder_a).exists()
    response = client.post(f"/suppliers/{supplier_a.pk}/people/{bidder_a.pk}/remove/")
    assert response.status_code == 400
