"""The demo data `make run` starts with: tenders in several states, opening officers whose
demo keys open their shares."""

import io

import pytest
from cryptography.hazmat.primitives import serialization
from django.core.management import call_command

from bidding.models import Bid, BidStatus, OpeningShare
from bidding.opening_key import share_unseal
from procurement.models import Tender, TenderStatus

pytestmark = pytest.mark.django_db


def test_the_demo_publishes_tenders_whose_shares_open_with_the_demo_keys(settings, tmp_path, pki):
    settings.VAR_DIR = tmp_path
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    assert "demo-keys" in out.getvalue()
    statuses = set(Tender.objects.values_list("status", flat=True))
    sealed = Bid.objects.filter(status=BidStatus.SEALED)
    assert sealed.count() == 4  # demo suppliers' bids on the three tenders in bidding
    assert not sealed.exclude(amount=None).exists()  # sealed: not even the demo knows
    assert {TenderStatus.NOTICE, TenderStatus.CANCELLED, TenderStatus.DRAFT} <= statuses
    shares = OpeningShare.objects.select_related("officer", "opening_key__tender")
    assert shares.count() == 3 * 6 + 1  # three PPS officers on six tenders, one in Seoul
    for share in shares:
        path = tmp_path / "demo-keys" / f"{share.officer.username}-receiving-key.pem"
        key = serialization.load_pem_private_key(path.read_bytes(), None)
        words = share_unseal(
            bytes(share.sealed_share),
            key,
            tender=share.opening_key.tender.ocid,
            officer=share.officer_id,
        )
        assert len(words.split()) == 33  # SLIP-39 words for a 256-bit secret
