"""Certificates of other CAs: registered with proof of possession when the subject names
the organisation; their CA's CRL is fetched, checked and kept fresh."""

import base64

import pytest
from django.core.exceptions import PermissionDenied

from core.models import AuditEvent
from esign import external
from esign.exceptions import CertificateRequestRefused
from esign.models import Certificate, CertificateStatus, ExternalCrl
from esign.services import certificate_revoke
from esign.validation import certificate_check, cms_verify_detached
from tests.esign.foreign import ForeignCa, sign_detached

pytestmark = pytest.mark.django_db


@pytest.fixture
def foreign(trusted_foreign_ca):
    return trusted_foreign_ca


@pytest.fixture
def register(pki, bidder_a, company_a, supplier_a):
    def attempt(key, certificate, *, actor=bidder_a, organisation=company_a, challenge=None):
        challenge = challenge or external.registration_challenge(
            actor=actor, organisation=organisation
        )
        return external.certificate_register_external(
            actor=actor,
            organisation=organisation,
            challenge=challenge,
            signature=sign_detached(key, certificate, challenge.encode()),
        )

    return attempt


def test_a_certificate_naming_the_company_is_registered_and_signs(foreign, register, bidder_a):
    key, certificate = foreign.issue(brn="101-81-63364")
    record = register(key, certificate)
    assert record.holder == bidder_a
    assert not record.issued_by_platform
    assert record.status == CertificateStatus.ACTIVE
    assert ExternalCrl.objects.get().url == foreign.crl_url
    assert AuditEvent.objects.filter(kind="certificate.registered").count() == 1
    # and it signs on the platform like a platform certificate
    check = cms_verify_detached(sign_detached(key, certificate, b"bid"), b"bid")
    assert check.valid, check.reason


def test_the_organisation_identifier_form_is_accepted_too(foreign, register):
    key, certificate = foreign.issue(organisation_identifier="NTRKR-1018163364")
    assert register(key, certificate).organisation.code == "1018163364"


def test_a_certificate_naming_another_company_is_refused(foreign, register):
    key, certificate = foreign.issue(brn="2208162517")
    with pytest.raises(CertificateRequestRefused) as refusal:
        register(key, certificate)
    assert refusal.value.code == "subject"
    assert not Certificate.objects.exists()


def test_a_ca_that_is_not_trusted_is_refused(foreign, register):
    stranger = ForeignCa("Unknown CA")
    stranger.serve()
    try:
        key, certificate = stranger.issue(brn="1018163364")
        with pytest.raises(CertificateRequestRefused) as refusal:
            register(key, certificate)
        assert refusal.value.code == "untrusted"
    finally:
        stranger.stop()


def test_a_certificate_revoked_by_its_ca_is_refused(foreign, register):
    key, certificate = foreign.issue(brn="1018163364")
    foreign.publish_crl(revoke=certificate.serial_number)
    with pytest.raises(CertificateRequestRefused) as refusal:
        register(key, certificate)
    assert refusal.value.code == "signature"
    assert "revoked" in str(refusal.value)


def test_without_a_crl_its_revocation_cannot_be_checked(foreign, register):
    key, certificate = foreign.issue(brn="1018163364", with_crl=False)
    with pytest.raises(CertificateRequestRefused) as refusal:
        register(key, certificate)
    assert refusal.value.code == "crl"


def test_proof_needs_the_key_of_the_certificate(foreign, register):
    from cryptography.hazmat.primitives.asymmetric import ec

    _key, certificate = foreign.issue(brn="1018163364")
    other_key = ec.generate_private_key(ec.SECP256R1())
    with pytest.raises((CertificateRequestRefused, ValueError)):
        register(other_key, certificate)
    assert not Certificate.objects.exists()


def test_a_challenge_is_only_for_its_person_and_organisation(
    foreign, register, bidder_b, company_b, supplier_b
):
    key, certificate = foreign.issue(brn="1018163364")
    theirs = external.registration_challenge(actor=bidder_b, organisation=company_b)
    with pytest.raises(CertificateRequestRefused) as refusal:
        register(key, certificate, challenge=theirs)
    assert refusal.value.code == "challenge"
    with pytest.raises(CertificateRequestRefused):
        register(key, certificate, challenge="made-up:challenge")


def test_an_outsider_cannot_register_for_the_company(foreign, register, bidder_b):
    key, certificate = foreign.issue(brn="1018163364")
    with pytest.raises(PermissionDenied):
        register(key, certificate, actor=bidder_b)


def test_a_certificate_is_registered_once(foreign, register):
    key, certificate = foreign.issue(brn="1018163364")
    register(key, certificate)
    with pytest.raises(CertificateRequestRefused) as refusal:
        register(key, certificate)
    assert refusal.value.code == "registered"


def test_revoked_on_the_platform_it_no_longer_signs(foreign, register, bidder_a):
    # given a registered certificate its CA still considers good
    key, certificate = foreign.issue(brn="1018163364")
    record = register(key, certificate)
    # when the holder revokes it on the platform
    certificate_revoke(certificate=record, actor=bidder_a, reason="key_compromise")
    # then the platform refuses it, though the CA's CRL does not list it
    assert not certificate_check(certificate).trusted
    check = cms_verify_detached(sign_detached(key, certificate, b"bid"), b"bid")
    assert not check.valid
    assert "revoked" in check.reason


def test_the_clock_fetches_a_newer_crl_and_the_revocation_takes_hold(foreign, register, settings):
    key, certificate = foreign.issue(brn="1018163364")
    register(key, certificate)
    # the CA revokes; the platform learns it at the next refresh
    foreign.publish_crl(revoke=certificate.serial_number)
    settings.PKI_EXTERNAL_CRL_REFRESH_MINUTES = 0
    assert external.external_crls_refresh() == 1
    check = certificate_check(certificate)
    assert not check.trusted
    assert "revoked" in check.reason


def test_an_older_or_forged_crl_is_not_kept(foreign, register):
    key, certificate = foreign.issue(brn="1018163364")
    old = foreign.crl_der
    register(key, certificate)
    newer = foreign.publish_crl(revoke=certificate.serial_number)
    external.crl_accept(newer, url=foreign.crl_url)
    with pytest.raises(CertificateRequestRefused):
        external.crl_accept(old, url=foreign.crl_url)
    forger = ForeignCa()  # same name, another key
    with pytest.raises(CertificateRequestRefused):
        external.crl_accept(forger.crl_der, url=foreign.crl_url)
    assert bytes(ExternalCrl.objects.get().der) == newer


class TestApi:
    def test_the_api_registers_a_certificate_from_a_signed_challenge(
        self, client, foreign, pki, bidder_a, supplier_a
    ):
        client.force_login(bidder_a)
        response = client.post(
            "/api/v1/certificates/challenge/",
            {"organisation": "1018163364"},
            content_type="application/json",
        )
        assert response.status_code == 200
        challenge = response.json()["challenge"]
        key, certificate = foreign.issue(brn="1018163364")
        signature = sign_detached(key, certificate, challenge.encode())
        response = client.post(
            "/api/v1/certificates/external/",
            {
                "organisation": "1018163364",
                "challenge": challenge,
                "signature": base64.b64encode(signature).decode(),
            },
            content_type="application/json",
        )
        assert response.status_code == 201, response.content
        body = response.json()
        assert body["issuer"].endswith("CN=Korea Test CA") or "Korea Test CA" in body["issuer"]
        assert len(body["chain"]) == 1

    def test_garbage_gets_a_clear_400(self, client, foreign, pki, bidder_a, supplier_a):
        client.force_login(bidder_a)
        challenge = client.post(
            "/api/v1/certificates/challenge/",
            {"organisation": "1018163364"},
            content_type="application/json",
        ).json()["challenge"]
        for signature in ("not base64!", base64.b64encode(b"not cms").decode()):
            response = client.post(
                "/api/v1/certificates/external/",
                {"organisation": "1018163364", "challenge": challenge, "signature": signature},
                content_type="application/json",
            )
            assert response.status_code == 400
        assert not Certificate.objects.exists()

    def test_a_challenge_for_a_foreign_organisation_is_refused(
        self, client, pki, bidder_a, supplier_b
    ):
        client.force_login(bidder_a)
        response = client.post(
            "/api/v1/certificates/challenge/",
            {"organisation": supplier_b.organisation.code},
            content_type="application/json",
        )
        assert response.status_code == 400
