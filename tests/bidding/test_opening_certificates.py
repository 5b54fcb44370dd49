"""The opening checks each bidder's certificate at the moment their bid arrived. A
certificate of the platform's own CA is checked without path validation (its CA's signature,
validity, usage and the register's revocations, which the platform's CRLs are made from);
it must say exactly what path validation says, and any other certificate gets the full
validation."""

from datetime import timedelta

import pytest
from django.utils import timezone

from bidding.models import BidStatus
from esign.authority import fingerprint
from esign.models import Certificate
from esign.services import certificate_revoke
from esign.validation import certificate_check, certificate_check_at

from .sealing import bidder_make
from .test_opening import open_with, submit

pytestmark = pytest.mark.django_db


def _revoke(bidder):
    """Revokes the bidder's certificate now; returns the moment."""
    record = Certificate.objects.get(fingerprint=fingerprint(bidder.certificate))
    certificate_revoke(certificate=record, actor=bidder.user, reason="key_compromise")
    record.refresh_from_db()
    return record.revoked_at


@pytest.mark.parametrize(
    ("case", "trusted"),
    [
        ("valid now", True),
        ("before it was revoked", True),
        ("after it was revoked", False),
        ("before its validity", False),
        ("after its expiry", False),
    ],
)
def test_the_platforms_certificates_are_judged_as_path_validation_judges_them(
    bidders, case, trusted
):
    bidder = bidders[0]
    certificate = bidder.certificate
    moments = {
        "valid now": lambda: timezone.now(),
        "before it was revoked": lambda: _revoke(bidder) - timedelta(seconds=1),
        "after it was revoked": lambda: _revoke(bidder) + timedelta(seconds=1),
        # (path validation allows a second at the edges of a validity period; the
        # shortcut allows none)
        "before its validity": lambda: certificate.not_valid_before_utc - timedelta(minutes=1),
        "after its expiry": lambda: certificate.not_valid_after_utc + timedelta(minutes=1),
    }
    at = moments[case]()
    quick, full = certificate_check_at(certificate, at=at), certificate_check(certificate, at=at)
    assert (quick.trusted, quick.reason) == (full.trusted, full.reason)
    assert quick.trusted is trusted


def test_a_certificate_claiming_the_platform_ca_but_signed_by_another_key_is_refused(pki):
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec

    from esign.authority import authority_certificate

    issuing, now = authority_certificate("issuing"), timezone.now()
    key = ec.generate_private_key(ec.SECP256R1())
    forged = (
        x509.CertificateBuilder()
        .subject_name(x509.Name.from_rfc4514_string("CN=Mallory"))
        .issuer_name(issuing.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    check = certificate_check_at(forged, at=now)
    assert not check.trusted
    assert check.reason == certificate_check(forged, at=now).reason


def test_another_cas_certificate_gets_the_full_validation(pki, trusted_foreign_ca):
    """Revoked in its own CA's CRL, which the platform's register knows nothing of."""
    from esign.external import crl_accept
    from esign.validation import trust_material_forget
    from tests.esign.foreign import ForeignCa

    def crl_fetched(ca):
        crl_accept(ca.crl_der, url=ca.crl_url)
        trust_material_forget()

    now = timezone.now()
    crl_fetched(trusted_foreign_ca)
    _key, certificate = trusted_foreign_ca.issue(brn="1018163364")
    assert certificate_check_at(certificate, at=now).trusted
    trusted_foreign_ca.publish_crl(revoke=certificate.serial_number)
    crl_fetched(trusted_foreign_ca)
    check = certificate_check_at(certificate, at=now + timedelta(minutes=1))
    assert (check.trusted, check.reason) == (False, "The certificate is revoked.")
    _key, stranger = ForeignCa("Unknown CA").issue(with_crl=False)
    check = certificate_check_at(stranger, at=now)
    assert not check.trusted
    assert check.reason == "The certificate was not issued by a trusted CA."


def test_a_bid_whose_certificate_was_revoked_after_it_arrived_still_opens(
    in_bidding, bidders, openers
):
    """Revoked between the bid and the opening: it was good when the bid arrived. The same
    company's bid signed (inside) with a certificate revoked before it arrived is rejected."""
    early, late = bidders
    kept = submit(in_bidding, early, amount=93_000_000)
    in_bidding.travel.shift(timedelta(minutes=1))
    _revoke(early)
    replacement = bidder_make(late.user, late.supplier)
    _revoke(late)  # late's first certificate, before late's bid
    in_bidding.travel.shift(timedelta(minutes=1))
    refused = submit_signed_inside_by(in_bidding, replacement, late)
    open_with(in_bidding, openers[0], openers[1])
    kept.refresh_from_db()
    refused.refresh_from_db()
    assert (kept.status, kept.amount) == (BidStatus.OPENED, 93_000_000)
    assert (refused.status, refused.rejection_code) == (BidStatus.REJECTED, "signer_untrusted")
    assert "revoked" in refused.rejection_reason


def submit_signed_inside_by(tender, sender, inner_signer):
    from .test_verify_opening import submit_inner_signed_by

    return submit_inner_signed_by(tender, sender, inner_signer, lot=1)


def test_a_batch_reads_its_companies_certificates_in_one_query(bidders, django_assert_num_queries):
    from bidding.opening_verify import CertificateChecks
    from esign.validation import validation_context

    now = timezone.now()
    validation_context(now)  # the trust material, read once for every check
    checks = CertificateChecks()
    with django_assert_num_queries(1):
        checks.read_for({bidder.supplier.organisation_id for bidder in bidders})
    with django_assert_num_queries(0):
        for bidder in bidders:
            assert checks.organisation_of(bidder.certificate) == bidder.supplier.organisation_id
            assert checks.trusted(bidder.certificate, now) == ""
