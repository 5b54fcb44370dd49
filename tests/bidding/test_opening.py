"""The opening ceremony: shares only after the deadline and only from the designated
officers; k of them open every envelope, each opened or rejected with its reason; the
results and the private key become public."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied

from bidding import envelope
from bidding.exceptions import ShareRefused
from bidding.models import Bid, BidStatus, OpeningKey, OpeningShare, ReservePriceSet
from bidding.opening import (
    cancelled_shares_forget,
    envelopes_open,
    opening_share_enter,
    openings_resume,
)
from bidding.submission import bid_submit
from core.audit import tender_stream, verify_stream
from core.models import AuditEvent, LiveEvent
from procurement.clock import clock_jobs_run
from procurement.models import TenderStatus
from procurement.services import tender_cancel

from .sealing import bidder_make

pytestmark = pytest.mark.django_db


def submit(tender, bidder, lot=1, **kw):
    return bidder.submit(tender, lot=lot, **kw).bid


def after_deadline(tender):
    tender.travel.move_to(tender.bid_close_at + timedelta(minutes=1))


def open_with(tender, *openers):
    shares = {opener.user.pk: opener.shares()[tender.ocid] for opener in openers}
    after_deadline(tender)
    entries = [
        opening_share_enter(tender=tender, actor=opener.user, share=shares[opener.user.pk])
        for opener in openers
    ]
    openings_resume()
    tender.refresh_from_db()
    return entries


def test_two_officers_open_every_envelope_and_the_results_become_public(
    in_bidding, bidders, openers, django_capture_on_commit_callbacks
):
    a, b = bidders
    first_a = submit(in_bidding, a, amount=99_000_000)
    bid_a = submit(in_bidding, a, amount=93_500_000)  # replaces the first
    bid_b = submit(in_bidding, b, amount=94_100_000)
    bid_a2 = submit(in_bidding, a, lot=2, amount=50_000_000)
    with django_capture_on_commit_callbacks(execute=True):
        entries = open_with(in_bidding, openers[0], openers[1])
    assert [(e.entered, e.needed, e.key_rebuilt) for e in entries] == [(1, 2, False), (2, 2, True)]
    assert in_bidding.status == TenderStatus.EVALUATION
    for bid, amount in ((bid_a, 93_500_000), (bid_b, 94_100_000), (bid_a2, 50_000_000)):
        bid.refresh_from_db()
        assert bid.status == BidStatus.OPENED
        assert bid.amount == amount
        assert bid.signer
    first_a.refresh_from_db()
    assert first_a.status == BidStatus.SUPERSEDED
    assert first_a.amount is None  # a replaced envelope is never opened
    key = OpeningKey.objects.get(tender=in_bidding)
    assert key.completed_at is not None
    assert key.private_key is not None
    assert not key.shares.exclude(entered_share="").exists()  # entered shares erased
    kinds = list(AuditEvent.objects.values_list("kind", flat=True))
    assert kinds.count("opening.share_entered") == 2
    assert kinds.count("bid.opened") == 3
    assert "opening.completed" in kinds
    opened = AuditEvent.objects.filter(kind="bid.opened").order_by("position")
    assert {e.object_id for e in opened} == {str(b.pk) for b in (bid_a, bid_b, bid_a2)}
    assert verify_stream(tender_stream(in_bidding.ocid)) is None
    live = list(
        LiveEvent.objects.filter(topic=f"tender.{in_bidding.pk}").values_list("kind", flat=True)
    )
    assert "opening.progress" in live
    completed = LiveEvent.objects.get(kind="opening.completed", topic=f"tender.{in_bidding.pk}")
    assert {r["amount"] for r in completed.payload["results"]} == {
        93_500_000,
        94_100_000,
        50_000_000,
    }
    assert completed.payload["opening_private_key"] == bytes(key.private_key).hex()


def test_no_share_before_the_deadline(in_bidding, openers):
    share = openers[0].shares()[in_bidding.ocid]
    with pytest.raises(ShareRefused) as refused:
        opening_share_enter(tender=in_bidding, actor=openers[0].user, share=share)
    assert refused.value.code == "too_early"
    assert AuditEvent.objects.filter(kind="opening.share_refused").count() == 1


def test_only_designated_officers_enter_shares(in_bidding, openers, officer, bidder_a):
    after_deadline(in_bidding)
    share = openers[0].shares()[in_bidding.ocid]
    for person in (openers[2].user, officer, bidder_a):
        with pytest.raises(PermissionDenied):
            opening_share_enter(tender=in_bidding, actor=person, share=share)
    assert AuditEvent.objects.filter(kind="opening.share_refused").count() == 3


def test_a_share_counts_only_for_its_own_officer_and_tender(in_bidding, openers, published):
    other = published()
    after_deadline(in_bidding)
    mine, theirs = (openers[n].shares()[in_bidding.ocid] for n in (0, 1))
    other_tender_share = openers[0].shares()[other.ocid]
    for share, code in (
        (theirs, "not_your_share"),
        (other_tender_share, "not_your_share"),
        (mine.replace(mine.split()[3], "zero" if mine.split()[3] != "zero" else "acid"), "share"),
        ("correct horse battery staple", "share"),
    ):
        with pytest.raises(ShareRefused) as refused:
            opening_share_enter(tender=in_bidding, actor=openers[0].user, share=share)
        assert refused.value.code == code
    # typed in capitals with extra spaces, the right share still counts, once
    for _ in range(2):
        entry = opening_share_enter(
            tender=in_bidding, actor=openers[0].user, share="  " + mine.upper().replace(" ", "   ")
        )
    assert (entry.entered, entry.key_rebuilt) == (1, False)


def test_too_few_shares_open_nothing(in_bidding, bidders, openers):
    bid = submit(in_bidding, bidders[0])
    share = openers[0].shares()[in_bidding.ocid]
    after_deadline(in_bidding)
    opening_share_enter(tender=in_bidding, actor=openers[0].user, share=share)
    assert openings_resume() == 0
    bid.refresh_from_db()
    assert bid.status == BidStatus.SEALED
    assert OpeningKey.objects.get(tender=in_bidding).private_key is None


def test_shares_entered_for_a_tender_cancelled_before_its_opening_are_erased(
    in_bidding, bidders, openers, officer
):
    submit(in_bidding, bidders[0])
    share = openers[0].shares()[in_bidding.ocid]
    after_deadline(in_bidding)
    opening_share_enter(tender=in_bidding, actor=openers[0].user, share=share)
    assert OpeningShare.objects.exclude(entered_share="").count() == 1
    assert cancelled_shares_forget() == 0  # an opening still to come needs it

    # when the tender is cancelled before the second share, and the clock runs its jobs
    tender_cancel(tender=in_bidding, actor=officer, reason="예산 삭감")
    clock_jobs_run()

    # then the platform keeps no share of it, and says so in the tender's log
    assert not OpeningShare.objects.exclude(entered_share="").exists()
    erased = AuditEvent.objects.get(kind="opening.shares_erased")
    assert (erased.stream, erased.data) == (
        tender_stream(in_bidding.ocid),
        {"shares": 1, "why": "cancelled"},
    )
    assert verify_stream(tender_stream(in_bidding.ocid)) is None
    assert cancelled_shares_forget() == 0


def test_moved_tampered_and_wrongly_signed_envelopes_are_rejected_with_reasons(
    in_bidding, bidders, openers, company_a, supplier_a
):
    a, b = bidders
    sealed, signature = a.envelope(in_bidding, lot=2)  # made for lot 2, sent as lot 1
    moved = bid_submit(
        tender_id=in_bidding.pk, lot_number=1, sealed=sealed, signature=signature, actor=a.user
    ).bid
    tampered = submit(in_bidding, a, lot=2)
    # One bit of the tag flipped (setting the last byte to zero left it as it was 1 time in 256)
    sealed_tampered = bytes(tampered.sealed)
    sealed_tampered = sealed_tampered[:-1] + bytes([sealed_tampered[-1] ^ 1])
    Bid.objects.filter(pk=tampered.pk).update(sealed=sealed_tampered)
    # b signs the inner bid with a certificate of company a (b's person holds none there):
    # b's own signing key over a bid that names b, but the inner signer is a's certificate
    sealed_b = _inner_signed_by(in_bidding, b, a)
    foreign_inner = bid_submit(
        tender_id=in_bidding.pk,
        lot_number=1,
        sealed=sealed_b,
        signature=b.sign(sealed_b),
        actor=b.user,
    ).bid
    open_with(in_bidding, openers[0], openers[1])
    expected = {moved: "unseal", tampered: "unseal", foreign_inner: "signer"}
    for bid, code in expected.items():
        bid.refresh_from_db()
        assert bid.status == BidStatus.REJECTED
        assert bid.rejection_code == code
        assert bid.rejection_reason
        assert bid.amount is None


def _inner_signed_by(tender, bidder, signer):
    from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PublicKey

    bid = envelope.bid_json(tender=tender.ocid, lot=1, supplier=bidder.brn, amount=1_000_000)
    contents = envelope.contents_pack(bid, signer.sign(bid))
    return envelope.seal(
        contents,
        X25519PublicKey.from_public_bytes(bytes.fromhex(tender.opening_public_key)),
        envelope.seal_info(tender=tender.ocid, lot=1, supplier=bidder.brn),
    )


def test_qualification_review_reveals_prices_and_checks_picks(
    published, qualification_review, bidders, openers
):
    import time_machine

    from bidding.services import tender_register

    tender = published(procedure=qualification_review)
    for bidder in bidders:
        tender_register(tender=tender, supplier=bidder.supplier, actor=bidder.user)
    with time_machine.travel(tender.bid_open_at + timedelta(hours=1), tick=False) as travel:
        tender.travel = travel
        good = submit(tender, bidders[0], picks=[3, 11])
        bad = submit(tender, bidders[1], picks=[3])
        open_with(tender, openers[0], openers[1])
    good.refresh_from_db()
    bad.refresh_from_db()
    assert good.status == BidStatus.OPENED
    assert good.reserve_picks == [3, 11]
    assert bad.rejection_code == "picks"
    prices = ReservePriceSet.objects.get(lot__tender=tender)
    assert len(prices.prices) == 15
    assert bytes(prices.revealed)


def test_one_runner_at_a_time(in_bidding, bidders, openers):
    submit(in_bidding, bidders[0])
    shares = [openers[n].shares()[in_bidding.ocid] for n in (0, 1)]
    after_deadline(in_bidding)
    for opener, share in zip(openers[:2], shares, strict=True):
        opening_share_enter(tender=in_bidding, actor=opener.user, share=share)
    key = OpeningKey.objects.get(tender=in_bidding)
    OpeningKey.objects.filter(pk=key.pk).update(
        lease_until=in_bidding.bid_close_at + timedelta(hours=1)
    )
    assert envelopes_open(opening_key_id=key.pk) is False
    assert Bid.objects.get().status == BidStatus.SEALED
    in_bidding.travel.shift(timedelta(hours=2))  # the other runner died: its lease expires
    assert envelopes_open(opening_key_id=key.pk) is True
    assert Bid.objects.get().status == BidStatus.OPENED


def test_a_second_certificate_signs_the_inner_bid_of_the_same_company(in_bidding, bidders, openers):
    other_cert = bidder_make(bidders[0].user, bidders[0].supplier)
    bid = submit(in_bidding, other_cert)
    open_with(in_bidding, openers[0], openers[1])
    bid.refresh_from_db()
    assert bid.status == BidStatus.OPENED
