"""Publication makes the tender's opening key, seals each designated officer's share to
them, and (qualification review) draws and seals the reserve prices."""

import hashlib

import pytest
from django.core.exceptions import PermissionDenied

from accounts.models import Membership, Role
from bidding.models import OpeningKey, OpeningShare, ReservePriceSet
from bidding.opening_key import OpeningKeyError, private_key_rebuild
from bidding.publication import opening_share_received, opening_shares_of
from bidding.reserve_prices import reserve_prices_open
from core.models import AuditEvent
from procurement import services
from procurement.exceptions import TenderError
from procurement.models import TenderStatus
from tests.conftest import _person

pytestmark = pytest.mark.django_db


def rebuild(tender, shares):
    key = tender.opening_key
    return private_key_rebuild(
        tender=tender.ocid,
        shares=shares,
        wrapped_private_key=bytes(key.wrapped_private_key),
        public_key=bytes(key.public_key),
    )


def test_each_designated_officer_gets_a_share_and_together_they_rebuild_the_key(published, openers):
    tender = published()
    key = OpeningKey.objects.get(tender=tender)
    assert tender.opening_public_key == bytes(key.public_key).hex()
    assert tender.sealing["threshold"] == key.threshold == 2
    assert tender.sealing["shares"] == key.share_count == 2
    first, second = (openers[n].shares()[tender.ocid] for n in (0, 1))
    assert openers[2].shares() == {}  # not designated
    private_key = rebuild(tender, [first, second])
    assert private_key.public_key().public_bytes_raw() == bytes(key.public_key)
    with pytest.raises(OpeningKeyError):
        rebuild(tender, [first])


def test_the_platform_keeps_no_share_in_the_clear(published, openers):
    tender = published()
    words = openers[0].shares()[tender.ocid]
    published_event = AuditEvent.objects.get(kind="tender.published")
    notice = str(published_event.data)
    share_words = words.split()
    # No part of the share: none of its runs of three words (one word alone may be part of
    # the notice's own text, as "numb" is of "number").
    for start in range(len(share_words) - 2):
        assert " ".join(share_words[start : start + 3]) not in notice
    for share in OpeningShare.objects.all():
        assert words.encode() not in bytes(share.sealed_share)
        assert share.entered_share == ""
    assert published_event.data["sealing"]["opening_public_key"] == tender.opening_public_key
    assert published_event.data["opening"] == {
        "officers": ["opener1", "opener2"],
        "threshold": 2,
    }


def test_an_officer_without_a_receiving_key_stops_the_publication(make_draft, officer, agency):
    keyless = _person("keyless", agency, Role.OPENING_OFFICER)
    tender = make_draft(opening_officers=[keyless], opening_threshold=1)
    with pytest.raises(TenderError) as refused:
        services.tender_publish(tender=tender, actor=officer)
    assert refused.value.code == "receiving_keys"
    assert "keyless" in refused.value.message
    tender.refresh_from_db()
    assert tender.status == TenderStatus.DRAFT
    assert tender.sealing == {}
    assert not OpeningKey.objects.exists()


def test_a_tender_without_opening_officers_is_not_published(make_draft, officer):
    tender = make_draft(opening_officers=[], opening_threshold=1)
    with pytest.raises(TenderError) as refused:
        services.tender_publish(tender=tender, actor=officer)
    assert refused.value.code == "opening_officers"


@pytest.mark.parametrize("who", ["officer", "bidder_a", "other_opener"])
def test_only_the_buyers_opening_officers_can_be_designated(request, make_draft, other_agency, who):
    person = (
        _person("other_opener", other_agency, Role.OPENING_OFFICER)
        if who == "other_opener"
        else request.getfixturevalue(who)
    )
    with pytest.raises(TenderError) as refused:
        make_draft(opening_officers=[person], opening_threshold=1)
    assert refused.value.code == "opening_officers"


@pytest.mark.parametrize(("count", "threshold"), [(2, 1), (2, 3), (1, 0), (3, 1)])
def test_a_threshold_the_shares_cannot_have_is_refused(
    make_draft, officer, openers, count, threshold
):
    tender = make_draft()
    with pytest.raises(TenderError) as refused:
        services.tender_update(
            tender=tender,
            actor=officer,
            opening_officers=[o.user for o in openers[:count]],
            opening_threshold=threshold,
        )
    assert refused.value.code == "opening_threshold"
    tender.refresh_from_db()
    assert tender.opening_threshold == 2
    assert tender.opening_officers.count() == 2


def test_an_officer_who_lost_the_role_stops_the_publication(make_draft, officer, openers):
    tender = make_draft()
    Membership.objects.filter(user=openers[1].user).delete()
    with pytest.raises(TenderError) as refused:
        services.tender_publish(tender=tender, actor=officer)
    assert refused.value.code == "opening_officers"


def test_three_officers_two_needed(make_draft, officer, openers):
    tender = make_draft(opening_officers=[o.user for o in openers], opening_threshold=2)
    tender = services.tender_publish(tender=tender, actor=officer)
    shares = [opener.shares()[tender.ocid] for opener in openers]
    for pair in ([0, 1], [1, 2], [0, 2]):
        rebuild(tender, [shares[i] for i in pair])


def test_qualification_review_seals_reserve_prices_and_publishes_their_commitment(
    published, qualification_review, openers
):
    tender = published(procedure=qualification_review, lots=2)
    terms = tender.terms
    commitments = tender.sealing["reserve_price_commitments"]
    assert set(commitments) == {"1", "2"}
    private_key = rebuild(
        tender, [openers[0].shares()[tender.ocid], openers[1].shares()[tender.ocid]]
    )
    for lot in tender.lots.all():
        stored = ReservePriceSet.objects.get(lot=lot)
        assert stored.commitment == commitments[str(lot.number)]
        assert stored.revealed is None
        assert stored.prices is None
        plaintext, prices = reserve_prices_open(
            bytes(stored.sealed),
            private_key,
            tender=tender.ocid,
            lot=lot.number,
            commitment=stored.commitment,
        )
        assert hashlib.sha256(plaintext).hexdigest() == commitments[str(lot.number)]
        assert len(prices) == terms["reserve_price_count"] == 15
        spread = lot.base_amount * float(terms["reserve_price_range_pct"]) / 100
        assert all(abs(price - lot.base_amount) <= spread for price in prices)


def test_lowest_price_draws_no_reserve_prices(published):
    tender = published()
    assert "reserve_price_commitments" not in tender.sealing
    assert not ReservePriceSet.objects.exists()


def test_an_officer_confirms_receipt_and_the_sealed_copy_is_dropped(published, openers):
    tender = published()
    share = opening_shares_of(openers[0].user).get()
    with pytest.raises(PermissionDenied):
        opening_share_received(share=share, actor=openers[1].user)
    opening_share_received(share=share, actor=openers[0].user)
    share.refresh_from_db()
    assert share.sealed_share is None
    assert share.received_at is not None
    assert openers[0].shares() == {}
    event = AuditEvent.objects.get(kind="opening.share_received")
    assert event.stream == f"tender:{tender.ocid}"
