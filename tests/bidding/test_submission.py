"""Submitting sealed bids: who may, until when, what a receipt proves, and that every
refusal changes nothing."""

import hashlib
import itertools
import json
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from bidding.envelope import MAX_SEALED_BYTES, withdrawal_statement
from bidding.exceptions import (
    BidForbidden,
    BidRefused,
    BidTooLate,
    EnvelopeTooLarge,
    IdempotencyConflict,
)
from bidding.models import Bid, BidStatus, Receipt
from bidding.submission import bid_submit, bid_withdraw, envelope_sha256_of
from core.models import AuditEvent
from esign.detached import DetachedSigner
from esign.models import RevocationReason
from esign.services import certificate_revoke
from esign.timestamps import timestamp_verify
from esign.validation import cms_verify_detached
from procurement.models import Tender, TenderStatus
from suppliers.models import Supplier

from ..conftest import needs_postgres
from .sealing import bidder_make, ready_to_store

pytestmark = pytest.mark.django_db


def submit(tender, bidder, *, lot=1, key="", **kw):
    return bidder.submit(tender, lot=lot, key=key, **kw)


def nothing_stored():
    return not Bid.objects.exists() and not Receipt.objects.exists()


def test_a_registered_bidder_gets_a_signed_time_stamped_receipt(in_bidding, bidders):
    accepted = submit(in_bidding, bidders[0])
    bid, receipt = accepted.bid, accepted.receipt
    assert bid.status == BidStatus.SEALED
    assert bid.received_at == in_bidding.bid_open_at + timedelta(hours=1)
    body = bytes(receipt.body)
    content = json.loads(body)
    assert content["format"] == "jangteo-receipt/1"
    assert content["kind"] == "bid"
    assert content["tender"] == in_bidding.ocid
    assert content["supplier"] == bidders[0].brn
    assert content["envelope_sha256"] == hashlib.sha256(bytes(bid.sealed)).hexdigest()
    assert content["received_at"].endswith("Z")
    assert content["replaces"] is None
    assert cms_verify_detached(bytes(receipt.signature), body).valid
    stamp = timestamp_verify(bytes(receipt.timestamp), hashlib.sha256(body).digest())
    assert stamp.valid
    event = AuditEvent.objects.get(kind="bid.submitted")
    assert event.stream == f"sealed:{in_bidding.ocid}"
    assert event.data["receipt"] == receipt.number


def test_the_database_holds_no_amount_before_the_opening(in_bidding, bidders):
    accepted = submit(in_bidding, bidders[0], amount=87_654_321)
    row = Bid.objects.filter(pk=accepted.bid.pk).values().get()
    assert row["amount"] is None
    assert b"87654321" not in bytes(row["sealed"])
    assert "87654321" not in str(row)


def test_a_newer_envelope_replaces_the_earlier_one(in_bidding, bidders):
    first = submit(in_bidding, bidders[0], amount=99_000_000)
    in_bidding.travel.shift(timedelta(minutes=5))
    second = submit(in_bidding, bidders[0], amount=98_000_000)
    first.bid.refresh_from_db()
    assert first.bid.status == BidStatus.SUPERSEDED
    assert second.bid.status == BidStatus.SEALED
    assert json.loads(bytes(second.receipt.body))["replaces"] == first.receipt.number
    # another lot and another supplier are separate envelopes
    submit(in_bidding, bidders[0], lot=2)
    submit(in_bidding, bidders[1])
    assert Bid.objects.filter(status=BidStatus.SEALED).count() == 3


def test_a_retry_with_the_same_key_returns_the_same_receipt(in_bidding, bidders):
    sealed, signature = bidders[0].envelope(in_bidding)
    args = {
        "tender_id": in_bidding.pk,
        "lot_number": 1,
        "sealed": sealed,
        "signature": signature,
        "actor": bidders[0].user,
        "idempotency_key": "retry-1",
    }
    first = bid_submit(**args)
    again = bid_submit(**args)
    assert again.replayed
    assert again.receipt.number == first.receipt.number
    assert Bid.objects.count() == 1
    other_sealed, other_signature = bidders[0].envelope(in_bidding, amount=1_000)
    with pytest.raises(IdempotencyConflict):
        bid_submit(**{**args, "sealed": other_sealed, "signature": other_signature})
    assert Bid.objects.count() == 1


def test_a_bid_just_before_the_deadline_is_accepted_and_at_it_refused(in_bidding, bidders):
    in_bidding.travel.move_to(in_bidding.bid_close_at - timedelta(microseconds=1))
    submit(in_bidding, bidders[0])
    in_bidding.travel.move_to(in_bidding.bid_close_at)
    with pytest.raises(BidTooLate) as refused:
        submit(in_bidding, bidders[1])
    assert refused.value.code == "deadline"
    assert Bid.objects.count() == 1


def test_bid_ids_tell_a_bidder_nothing_of_how_many_bids_came_between(in_bidding, bidders):
    mine = [submit(in_bidding, bidders[0]).bid.pk]
    for _ in range(3):
        submit(in_bidding, bidders[1])  # a competitor's bids, and replacements
        mine.append(submit(in_bidding, bidders[0]).bid.pk)
    gaps = [later - earlier for earlier, later in itertools.pairwise(mine)]
    assert gaps != [2, 2, 2]  # a sequence would have counted the competitor's bids
    assert all(0 < pk < 2**53 for pk in mine)  # ids JavaScript reads exactly
    assert Bid.objects.get(pk=mine[-1]).status == BidStatus.SEALED


def test_a_bid_after_the_clock_closed_bidding_hears_of_the_deadline(in_bidding, bidders):
    in_bidding.travel.move_to(in_bidding.bid_close_at + timedelta(seconds=1))
    Tender.objects.filter(pk=in_bidding.pk).update(status=TenderStatus.OPENING)
    with pytest.raises(BidTooLate) as refused:
        submit(in_bidding, bidders[0])
    assert refused.value.code == "deadline"
    assert nothing_stored()


def test_a_cancelled_tender_takes_no_bids(in_bidding, bidders):
    Tender.objects.filter(pk=in_bidding.pk).update(status=TenderStatus.CANCELLED)
    with pytest.raises(BidTooLate) as refused:
        submit(in_bidding, bidders[0])
    assert refused.value.code == "not_bidding"
    assert nothing_stored()


def test_no_bid_before_bidding_opens(in_bidding, bidders):
    in_bidding.travel.move_to(in_bidding.bid_open_at - timedelta(seconds=1))
    with pytest.raises(BidTooLate) as refused:
        submit(in_bidding, bidders[0])
    assert refused.value.code == "not_open"
    assert nothing_stored()


def test_an_unregistered_company_is_refused(in_bidding, bidders, bidder_a, company_b):
    from bidding.models import TenderRegistration

    TenderRegistration.objects.filter(supplier=bidders[1].supplier).delete()
    with pytest.raises(BidForbidden) as refused:
        submit(in_bidding, bidders[1])
    assert refused.value.code == "not_registered"
    assert nothing_stored()


def test_an_envelope_signed_by_someone_else_is_refused(in_bidding, bidders):
    sealed, _signature = bidders[0].envelope(in_bidding)
    with pytest.raises(BidForbidden) as refused:
        bid_submit(
            tender_id=in_bidding.pk,
            lot_number=1,
            sealed=sealed,
            signature=bidders[1].sign(sealed),
            actor=bidders[0].user,
        )
    assert refused.value.code == "certificate_not_yours"
    assert nothing_stored()


@pytest.mark.parametrize(
    ("mangle", "code"),
    [
        (lambda sealed, signature: (sealed + b"x", signature), "signature_mismatch"),
        (lambda sealed, signature: (sealed, signature[:-3]), "signature"),
        (lambda sealed, signature: (sealed, b"not a signature"), "signature"),
        (lambda sealed, signature: (b"short", signature), "envelope"),
    ],
)
def test_a_malformed_or_tampered_submission_is_refused(in_bidding, bidders, mangle, code):
    sealed, signature = mangle(*bidders[0].envelope(in_bidding))
    with pytest.raises(BidRefused) as refused:
        bid_submit(
            tender_id=in_bidding.pk, lot_number=1, sealed=sealed, signature=signature,
            actor=bidders[0].user,
        )  # fmt: skip
    assert refused.value.code == code
    assert nothing_stored()


def test_an_oversized_envelope_is_refused_before_anything_else(in_bidding, bidders):
    with pytest.raises(EnvelopeTooLarge):
        bid_submit(
            tender_id=in_bidding.pk,
            lot_number=1,
            sealed=b"x" * (MAX_SEALED_BYTES + 1),
            signature=b"",
            actor=bidders[0].user,
        )
    assert nothing_stored()


def test_a_revoked_certificate_cannot_bid(in_bidding, bidders):
    from esign.models import Certificate

    record = Certificate.objects.get(holder=bidders[0].user)
    certificate_revoke(
        certificate=record, actor=bidders[0].user, reason=RevocationReason.KEY_COMPROMISE
    )
    with pytest.raises(BidRefused) as refused:
        submit(in_bidding, bidders[0])
    assert refused.value.code == "certificate_status"
    assert nothing_stored()


def test_a_suspended_supplier_cannot_bid(in_bidding, bidders):
    Supplier.objects.filter(pk=bidders[0].supplier.pk).update(
        status="suspended", suspension_reason="담합", suspended_until=None
    )
    with pytest.raises(BidForbidden) as refused:
        submit(in_bidding, bidders[0])
    assert refused.value.code == "supplier"
    assert nothing_stored()


@pytest.mark.parametrize(
    ("ends", "accepted"),
    [(None, True), (timedelta(0), True), (timedelta(days=-1), False), ("other", False)],
    ids=["open-ended", "ending-today", "ended-yesterday", "only-another-category"],
)
def test_a_tender_naming_a_category_takes_bids_only_under_a_licence_valid_today(
    in_bidding, bidders, ends, accepted
):
    from django.utils import timezone

    from suppliers.models import Licence
    from tests.conftest import standard_category

    civil = standard_category("W-CIVIL")
    in_bidding.categories.add(civil)
    supplier = bidders[0].supplier  # holds an open-ended licence in furniture only
    if ends != "other":
        today = timezone.localdate(timezone.now())
        Licence.objects.create(
            supplier=supplier, category=civil, valid_until=None if ends is None else today + ends
        )
    if accepted:
        assert submit(in_bidding, bidders[0]).bid.status == BidStatus.SEALED
        return
    with pytest.raises(BidForbidden) as refused:
        submit(in_bidding, bidders[0])
    assert refused.value.code == "supplier"
    assert civil.name in " ".join(refused.value.messages)
    assert nothing_stored()


def test_a_licence_in_one_of_the_tenders_categories_is_enough(in_bidding, bidders):
    from tests.conftest import standard_category

    in_bidding.categories.add(standard_category("W-CIVIL"), standard_category("G-FURN"))
    assert submit(in_bidding, bidders[0]).bid.status == BidStatus.SEALED  # furniture only


def test_a_licence_valid_today_costs_a_submission_no_statement_of_its_own(in_bidding, bidders):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.conftest import standard_category

    for bidder in bidders:  # each certificate checked once; the replacements are compared
        submit(in_bidding, bidder)
    with CaptureQueriesContext(connection) as unrestricted:
        submit(in_bidding, bidders[0])
    in_bidding.categories.add(standard_category("G-FURN"))  # both hold a licence in it
    with CaptureQueriesContext(connection) as restricted:
        submit(in_bidding, bidders[1])
    assert len(restricted) == len(unrestricted)


def test_a_person_who_no_longer_bids_for_the_company_is_refused(in_bidding, bidders):
    from accounts.models import Membership

    # their certificate is still active (as if revocation were missed): the role decides
    Membership.objects.filter(user=bidders[0].user).delete()
    with pytest.raises(BidForbidden) as refused:
        submit(in_bidding, bidders[0])
    assert refused.value.code == "not_a_bidder"


def test_an_unknown_lot_is_refused(in_bidding, bidders):
    with pytest.raises(BidRefused) as refused:
        submit(in_bidding, bidders[0], lot=7)
    assert refused.value.code == "lot"


def test_a_bidder_withdraws_with_a_signed_statement_and_may_bid_again(in_bidding, bidders):
    accepted = submit(in_bidding, bidders[0])
    statement = withdrawal_statement(
        tender=in_bidding.ocid, lot=1, supplier=bidders[0].brn, envelope_sha256=accepted.bid.sha256
    )
    receipt = bid_withdraw(
        bid=accepted.bid, statement=statement, signature=bidders[0].sign(statement),
        actor=bidders[0].user,
    )  # fmt: skip
    accepted.bid.refresh_from_db()
    assert accepted.bid.status == BidStatus.WITHDRAWN
    content = json.loads(bytes(receipt.body))
    assert content["kind"] == "withdrawal"
    assert content["withdraws"] == accepted.receipt.number
    assert cms_verify_detached(bytes(receipt.signature), bytes(receipt.body)).valid
    again = bid_withdraw(
        bid=accepted.bid, statement=statement, signature=bidders[0].sign(statement),
        actor=bidders[0].user,
    )  # fmt: skip
    assert again.number == receipt.number
    submit(in_bidding, bidders[0])
    assert Bid.objects.filter(status=BidStatus.SEALED).count() == 1


def test_a_withdrawal_must_be_the_bidders_and_name_the_envelope(in_bidding, bidders):
    accepted = submit(in_bidding, bidders[0])
    wrong = withdrawal_statement(
        tender=in_bidding.ocid, lot=2, supplier=bidders[0].brn, envelope_sha256=accepted.bid.sha256
    )
    with pytest.raises(BidRefused) as refused:
        bid_withdraw(
            bid=accepted.bid, statement=wrong, signature=bidders[0].sign(wrong),
            actor=bidders[0].user,
        )  # fmt: skip
    assert refused.value.code == "statement"
    statement = withdrawal_statement(
        tender=in_bidding.ocid, lot=1, supplier=bidders[0].brn, envelope_sha256=accepted.bid.sha256
    )
    with pytest.raises(BidForbidden):
        bid_withdraw(
            bid=accepted.bid, statement=statement, signature=bidders[1].sign(statement),
            actor=bidders[1].user,
        )  # fmt: skip
    in_bidding.travel.move_to(in_bidding.bid_close_at)
    with pytest.raises(BidTooLate):
        bid_withdraw(
            bid=accepted.bid, statement=statement, signature=bidders[0].sign(statement),
            actor=bidders[0].user,
        )  # fmt: skip
    accepted.bid.refresh_from_db()
    assert accepted.bid.status == BidStatus.SEALED


def test_a_second_certificate_of_the_same_person_also_bids(in_bidding, bidders):
    again = bidder_make(bidders[0].user, bidders[0].supplier)
    accepted = submit(in_bidding, again)
    assert accepted.bid.certificate.holder == bidders[0].user


def test_a_forged_certificate_naming_the_platform_ca_is_not_trusted(pki):
    from datetime import UTC, datetime

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec

    from esign.authority import authority_certificate
    from esign.validation import certificate_check_cached

    issuing = authority_certificate("issuing")
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.now(UTC)
    forged = (
        x509.CertificateBuilder()
        .subject_name(x509.Name.from_rfc4514_string("CN=Mallory"))
        .issuer_name(issuing.subject)  # claims the platform CA, signed by another key
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    assert not certificate_check_cached(forged, now=now, register_read=True).trusted


def test_a_replacement_stores_nothing_if_the_bid_it_replaces_is_no_longer_sealed(
    in_bidding, bidders
):
    # What a concurrent change between the read and the write would leave: the new
    # envelope, its receipt and its audit event are not stored, the one found changed is
    # left as is.
    from bidding import submission_rows as rows

    first = submit(in_bidding, bidders[0]).bid
    Bid.objects.filter(pk=first.pk).update(status=BidStatus.WITHDRAWN)
    ready = ready_to_store(in_bidding, bidders[0], number="JR-REPLACEMENT", amount=1)
    assert ready.found.previous is None  # read now, there is nothing to replace
    previous = rows._partial(Bid, id=first.pk, status=BidStatus.SEALED.value)
    previous.supersede(now=first.received_at)
    events = AuditEvent.objects.count()
    assert not ready.store(superseding=previous)
    assert list(Bid.objects.values_list("pk", "status")) == [(first.pk, BidStatus.WITHDRAWN)]
    assert not Receipt.objects.filter(number="JR-REPLACEMENT").exists()
    assert AuditEvent.objects.count() == events


@pytest.mark.parametrize("superseding", [False, True])
def test_the_store_statement_stays_within_psycopgs_conversion_cache(superseding):
    # psycopg converts a statement's placeholders once and caches it, but only for one of
    # at most 50 parameters and 4,096 characters: beyond either it converts it on every
    # call, which cost a bid a quarter of a millisecond. Named parameters send each value
    # once; a field added to Bid or Receipt counts against the limit.
    import re

    from psycopg import _queries

    from bidding import submission_rows as rows

    sql = rows._store_sql(superseding)[0]
    names = set(re.findall(r"%\((\w+)\)s", sql))
    assert "%s" not in sql
    assert len(names) <= _queries.MAX_CACHED_STATEMENT_PARAMS
    assert len(sql) <= _queries.MAX_CACHED_STATEMENT_LENGTH


def test_the_envelopes_sha256_is_the_signatures_digest_only_when_that_is_sha256():
    sealed = b"sealed bytes"
    expected = hashlib.sha256(sealed).hexdigest()
    checked = DetachedSigner(None, "sha256", hashlib.sha256(sealed).digest())
    other = DetachedSigner(None, "sha384", hashlib.sha384(sealed).digest())
    assert envelope_sha256_of(sealed, checked) == expected
    assert envelope_sha256_of(sealed, other) == expected
    assert envelope_sha256_of(sealed) == expected


@needs_postgres("the database server's clock")
def test_the_database_clock_decides_when_it_is_the_authoritative_one(in_bidding, bidders, settings):
    # given the platform deciding by PostgreSQL's clock, far from this host's (travelled)
    settings.AUTHORITATIVE_CLOCK = "database"
    local = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute("SELECT clock_timestamp()")
        database = cursor.fetchone()[0]
    assert abs(local - database) > timedelta(days=1)

    # when the bid window holds this host's time but not the database's
    Tender.objects.filter(pk=in_bidding.pk).update(
        bid_open_at=local - timedelta(hours=1), bid_close_at=local + timedelta(hours=1)
    )
    with pytest.raises(BidTooLate) as refused:
        submit(in_bidding, bidders[0])
    # then the database's clock has it outside the window
    assert refused.value.code == ("not_open" if database < local else "deadline")

    # and when the window holds the database's time, the bid is received at that time
    Tender.objects.filter(pk=in_bidding.pk).update(
        bid_open_at=database - timedelta(hours=1), bid_close_at=database + timedelta(hours=1)
    )
    received_at = submit(in_bidding, bidders[0]).bid.received_at
    assert database <= received_at < database + timedelta(minutes=5)
