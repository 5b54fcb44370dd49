"""jangteo-client end to end against a real server process: a supplier signs and seals a bid
on their machine, two officers enter their shares, the server's clock opens the envelopes,
and anyone re-checks the opening from public data alone."""

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from bidding.models import Bid, BidStatus
from bidding.services import tender_register
from procurement.management.commands.seed_demo import demo_procedure
from procurement.models import Tender, TenderStatus

from ..esign.conftest import needs_openssl

pytestmark = [pytest.mark.django_db(transaction=True), needs_openssl]


def wait_for(condition, seconds: float = 40) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.3)
    pytest.fail("timed out")


def test_bid_open_and_verify_with_the_client(
    client_cli, pki, bidder_a, supplier_a, openers, make_draft, officer
):
    from procurement import services

    enrolled = client_cli(bidder_a, "enroll", "--organisation", "1018163364")
    assert enrolled.returncode == 0, enrolled.stderr
    now = timezone.now()
    tender = make_draft(
        procedure=demo_procedure("lowest-price"),
        questions_close_at=now + timedelta(seconds=5),
        registration_close_at=now + timedelta(seconds=5),
        bid_open_at=now - timedelta(minutes=1),
        bid_close_at=now + timedelta(seconds=20),
        opening_at=now + timedelta(seconds=20),
    )
    tender = services.tender_publish(tender=tender, actor=officer)
    tender_register(tender=tender, supplier=supplier_a, actor=bidder_a)
    shares = [opener.shares()[tender.ocid] for opener in openers[:2]]

    result = client_cli(
        bidder_a, "bid", str(tender.pk), "--supplier", "1018163364", "--amount", "91234000"
    )
    assert result.returncode == 0, result.stderr
    assert "receipt JR-" in result.stdout
    bid = Bid.objects.get()
    assert bid.amount is None
    assert bid.idempotency_key

    early = client_cli(openers[0].user, "opening-share", str(tender.pk), "--words", shares[0])
    assert early.returncode == 2
    assert "409, too_early" in early.stderr

    wait_for(lambda: timezone.now() > tender.bid_close_at, seconds=30)
    for opener, words in zip(openers[:2], shares, strict=True):
        entered = client_cli(opener.user, "opening-share", str(tender.pk), "--words", words)
        assert entered.returncode == 0, entered.stderr
    wait_for(lambda: Tender.objects.get(pk=tender.pk).status == TenderStatus.EVALUATION)
    bid.refresh_from_db()
    assert (bid.status, bid.amount) == (BidStatus.OPENED, 91_234_000)

    verified = client_cli(None, "verify-opening", str(tender.pk))
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert "everything agrees" in verified.stdout

    Bid.objects.filter(pk=bid.pk).update(amount=1_000)  # someone rewrites the result
    caught = client_cli(None, "verify-opening", str(tender.pk))
    assert caught.returncode == 1
    assert "MISMATCH" in caught.stdout
