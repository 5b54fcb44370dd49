from datetime import timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtensionOID, NameOID
from django.core.exceptions import PermissionDenied

from core.models import AuditEvent
from esign.authority import ORGANIZATION_IDENTIFIER
from esign.exceptions import CertificateRequestRefused
from esign.models import CertificateStatus
from esign.services import (
    certificate_enroll,
    certificate_issue,
    certificate_revoke,
    certificates_expire,
)
from suppliers.services import supplier_suspend
from tests.conftest import make_csr

pytestmark = pytest.mark.django_db


def test_the_certificate_binds_person_and_organisation_whatever_the_request_says(issued, bidder_a):
    _key, record, certificate = issued
    subject = certificate.subject
    assert subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "Bidder_A"
    assert subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)[0].value == "한빛건설"
    assert subject.get_attributes_for_oid(ORGANIZATION_IDENTIFIER)[0].value == "NTRKR-1018163364"
    assert (
        subject.get_attributes_for_oid(NameOID.SERIAL_NUMBER)[0].value == f"JANGTEO-{bidder_a.pk}"
    )
    usage = certificate.extensions.get_extension_for_class(x509.KeyUsage)
    assert usage.critical
    assert usage.value.digital_signature
    assert usage.value.content_commitment  # non-repudiation
    assert not usage.value.key_cert_sign
    points = certificate.extensions.get_extension_for_oid(ExtensionOID.CRL_DISTRIBUTION_POINTS)
    assert points.value[0].full_name[0].value.endswith("/pki/issuing.crl")
    assert record.not_after - record.not_before >= timedelta(days=729)
    assert AuditEvent.objects.filter(kind="certificate.issued").exists()


def test_a_request_whose_signature_does_not_match_its_key_is_refused(
    pki, bidder_a, company_a, supplier_a
):
    from cryptography.hazmat.primitives import serialization

    _key, csr_pem = make_csr()
    der = bytearray(x509.load_pem_x509_csr(csr_pem).public_bytes(serialization.Encoding.DER))
    der[-3] ^= 0x01  # inside the signature value: the structure still parses
    with pytest.raises(CertificateRequestRefused) as error:
        certificate_issue(
            holder=bidder_a, organisation=company_a, csr_data=bytes(der), actor=bidder_a
        )
    assert error.value.code == "signature"


def test_long_names_are_cut_to_what_a_certificate_allows(pki, bidder_a, company_a, supplier_a):
    bidder_a.display_name = "가" * 40  # 120 bytes of UTF-8
    bidder_a.save()
    record = certificate_issue(
        holder=bidder_a, organisation=company_a, csr_data=make_csr()[1], actor=bidder_a
    )
    certificate = x509.load_pem_x509_certificate(record.pem.encode())
    common_name = certificate.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value
    assert common_name == "가" * 21


def test_weak_keys_are_refused(pki, bidder_a, company_a, supplier_a):
    weak = rsa.generate_private_key(65537, 1024)  # noqa: S505 - refusing it is the point
    with pytest.raises(CertificateRequestRefused) as error:
        certificate_issue(
            holder=bidder_a, organisation=company_a, csr_data=make_csr(weak)[1], actor=bidder_a
        )
    assert error.value.code == "key"
    k1 = ec.generate_private_key(ec.SECP256K1())
    with pytest.raises(CertificateRequestRefused):
        certificate_issue(
            holder=bidder_a, organisation=company_a, csr_data=make_csr(k1)[1], actor=bidder_a
        )


def test_garbage_is_not_a_request(pki, bidder_a, company_a, supplier_a):
    with pytest.raises(CertificateRequestRefused) as error:
        certificate_issue(
            holder=bidder_a, organisation=company_a, csr_data=b"hello", actor=bidder_a
        )
    assert error.value.code == "malformed"


def test_nobody_gets_a_certificate_for_an_organisation_they_are_not_in(
    pki, bidder_a, company_b, supplier_b
):
    with pytest.raises(PermissionDenied):
        certificate_issue(
            holder=bidder_a, organisation=company_b, csr_data=make_csr()[1], actor=bidder_a
        )


def test_people_request_only_their_own_certificates(pki, bidder_a, bidder_b, company_a, supplier_a):
    with pytest.raises(PermissionDenied):
        certificate_issue(
            holder=bidder_a, organisation=company_a, csr_data=make_csr()[1], actor=bidder_b
        )


def test_an_unverified_or_suspended_company_gets_no_certificate(pki, bidder_b, company_b, operator):
    from tests.conftest import _supplier

    pending = _supplier(company_b, status="pending")
    with pytest.raises(CertificateRequestRefused, match="verified"):
        certificate_enroll(actor=bidder_b, organisation=company_b, csr_data=make_csr()[1])
    pending.delete()
    verified = _supplier(company_b)
    certificate_enroll(actor=bidder_b, organisation=company_b, csr_data=make_csr()[1])
    supplier_suspend(supplier=verified, actor=operator, reason="담합", until=None)
    with pytest.raises(CertificateRequestRefused, match="suspended"):
        certificate_enroll(actor=bidder_b, organisation=company_b, csr_data=make_csr()[1])


def test_agency_staff_enroll_without_supplier_verification(pki, officer, agency):
    certificate = certificate_enroll(actor=officer, organisation=agency, csr_data=make_csr()[1])
    assert "GOVKR-1230000" in certificate.subject


class TestRevocation:
    def test_the_holder_revokes_and_the_crl_lists_it_at_once(self, client, issued, bidder_a):
        _key, record, certificate = issued
        certificate_revoke(certificate=record, actor=bidder_a, reason="key_compromise")
        crl = x509.load_der_x509_crl(client.get("/pki/issuing.crl").content)
        entry = crl.get_revoked_certificate_by_serial_number(certificate.serial_number)
        assert entry is not None
        assert (
            entry.extensions.get_extension_for_class(x509.CRLReason).value.reason
            == x509.ReasonFlags.key_compromise
        )

    def test_the_company_admin_and_an_operator_may_revoke_others_may_not(
        self, issued, bidder_b, officer, operator
    ):
        _key, record, _certificate = issued
        for stranger in (bidder_b, officer):
            with pytest.raises(PermissionDenied):
                certificate_revoke(certificate=record, actor=stranger, reason="unspecified")
        record = certificate_revoke(certificate=record, actor=operator, reason="unspecified")
        assert record.status == CertificateStatus.REVOKED

    def test_a_revoked_certificate_cannot_be_revoked_again(self, issued, bidder_a):
        _key, record, _certificate = issued
        certificate_revoke(certificate=record, actor=bidder_a, reason="superseded")
        with pytest.raises(CertificateRequestRefused):
            certificate_revoke(certificate=record, actor=bidder_a, reason="superseded")

    def test_crl_numbers_increase_with_each_reissue(self, client, issued, bidder_a):
        first = x509.load_der_x509_crl(client.get("/pki/issuing.crl").content)
        certificate_revoke(certificate=issued[1], actor=bidder_a, reason="superseded")
        second = x509.load_der_x509_crl(client.get("/pki/issuing.crl").content)
        number = x509.CRLNumber
        assert (
            second.extensions.get_extension_for_class(number).value.crl_number
            > first.extensions.get_extension_for_class(number).value.crl_number
        )


def test_expired_certificates_are_marked_by_the_clock(issued, settings):
    import time_machine
    from django.utils import timezone

    _key, record, _certificate = issued
    with time_machine.travel(record.not_after + timedelta(seconds=1), tick=False):
        assert certificates_expire() == 1
    record.refresh_from_db()
    assert record.status == CertificateStatus.EXPIRED
    assert timezone.now() < record.not_after


def test_the_ca_certificates_are_published(client, pki):
    root = x509.load_der_x509_certificate(client.get("/pki/root.crt").content)
    issuing = x509.load_pem_x509_certificate(client.get("/pki/issuing.pem").content)
    assert issuing.issuer == root.subject
    issuing.verify_directly_issued_by(root)
    assert client.get("/pki/nothing.crl").status_code == 404
    assert isinstance(root.public_key(), ec.EllipticCurvePublicKey)
    assert root.signature_hash_algorithm.name == hashes.SHA256().name
