"""Anyone can re-check an opening from public data alone (jangteo-client verify-opening):
every rule is applied again to every envelope, so a result the platform published wrongly —
an amount changed, a valid bid rejected, a broken one opened, the wrong reason — is caught.
The public data is read through the real API and PKI endpoints."""

from datetime import timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PublicKey

from bidding import envelope
from bidding.models import Bid, BidStatus
from bidding.submission import bid_submit
from esign.models import Certificate
from esign.services import certificate_revoke
from jangteo_client.common import ClientError
from jangteo_client.verify import opening_report

from .sealing import bidder_make
from .test_opening import open_with, submit

pytestmark = pytest.mark.django_db


def fetcher(client):
    def fetch(path: str, raw: bool):
        response = client.get(path.removeprefix("http://testserver"))
        assert response.status_code == 200, (path, response.status_code)
        return response.content if raw else response.json()

    return fetch


def submit_inner_signed_by(tender, bidder, signer, *, lot: int) -> Bid:
    """`bidder` submits a bid for their company whose inner signature is `signer`'s."""
    bid = envelope.bid_json(tender=tender.ocid, lot=lot, supplier=bidder.brn, amount=1_000_000)
    sealed = envelope.seal(
        envelope.contents_pack(bid, signer.sign(bid)),
        X25519PublicKey.from_public_bytes(bytes.fromhex(tender.opening_public_key)),
        envelope.seal_info(tender=tender.ocid, lot=lot, supplier=bidder.brn),
    )
    return bid_submit(
        tender_id=tender.pk, lot_number=lot, sealed=sealed, signature=bidder.sign(sealed),
        actor=bidder.user,
    ).bid  # fmt: skip


@pytest.fixture
def opened(in_bidding, bidders, openers):
    """An opened tender: one valid bid and one broken by each rule about the signer and the
    picks, which only a verifier that applies the rules itself can check."""
    a, b = bidders
    second = bidder_make(a.user, a.supplier)  # a's person's second certificate ...
    certificate_revoke(
        certificate=Certificate.objects.filter(holder=a.user).latest("pk"),
        actor=a.user,
        reason="key_compromise",
    )  # ... revoked before it signs anything
    in_bidding.travel.shift(timedelta(minutes=1))
    bids = {
        "opened": submit(in_bidding, a, amount=93_500_000),
        "signer": submit_inner_signed_by(in_bidding, b, a, lot=1),  # b's bid, a's signature
        "signer_untrusted": submit_inner_signed_by(in_bidding, a, second, lot=2),
        "picks": submit(in_bidding, b, lot=2, picks=(1, 2)),  # lowest price: no picks
    }
    open_with(in_bidding, openers[0], openers[1])
    return in_bidding, bids


def report_of(client, tender, **kw):
    return opening_report(fetcher(client), tender.pk, **kw)


def test_an_honest_opening_agrees_rule_for_rule(client, opened):
    tender, bids = opened
    for name, bid in bids.items():
        bid.refresh_from_db()
        assert (bid.status, bid.rejection_code) == (
            ("opened", "") if name == "opened" else ("rejected", name)
        )
    report = report_of(client, tender)
    assert report.problems == []
    assert (report.envelopes, report.opened, report.rejected) == (4, 1, 3)
    assert report.root_fingerprint


@pytest.mark.parametrize(
    ("bid", "lie", "said"),
    [
        ("opened", {"amount": 1_000}, "the results say 1000"),
        ("opened", {"status": "rejected", "rejection_code": "signature", "amount": None},
         "published as rejected (signature), but by the rules it is a valid bid"),
        ("picks", {"status": "opened", "amount": 1_000_000, "rejection_code": ""},
         "published as opened, but by the rules it is rejected (picks)"),
        ("signer_untrusted", {"status": "opened", "amount": 1_000_000, "rejection_code": ""},
         "rejected (signer_untrusted)"),
        ("signer", {"rejection_code": "signature"},
         "rejected as signature, but the first rule it breaks is signer"),
    ],
)  # fmt: skip
def test_a_wrongly_published_result_is_caught(client, opened, bid, lie, said):
    tender, bids = opened
    Bid.objects.filter(pk=bids[bid].pk).update(**lie)  # the platform publishes a lie
    report = report_of(client, tender)
    assert len(report.problems) == 1
    assert f"bid {bids[bid].pk} " in report.problems[0]
    assert said in report.problems[0]


def test_an_envelope_swapped_after_the_opening_is_caught(client, opened):
    tender, bids = opened
    other = bytes(bids["picks"].sealed)
    Bid.objects.filter(pk=bids["opened"].pk).update(sealed=other)
    assert "not the ones received" in " ".join(report_of(client, tender).problems)


def test_a_receipted_envelope_left_out_of_the_opening_is_caught(client, opened):
    tender, bids = opened
    # the platform quietly drops a bid: neither opened nor published
    Bid.objects.filter(pk=bids["opened"].pk).update(status=BidStatus.SUPERSEDED)
    problems = report_of(client, tender).problems
    assert len(problems) == 1
    assert f"the envelope {bids['opened'].sha256} was receipted" in problems[0]


def test_an_older_envelope_opened_in_place_of_the_newest_is_caught(
    client, in_bidding, bidders, openers
):
    first = submit(in_bidding, bidders[0], amount=95_000_000)
    newest = submit(in_bidding, bidders[0], amount=94_000_000)  # replaces the first
    open_with(in_bidding, openers[0], openers[1])
    assert report_of(client, in_bidding).problems == []
    # the platform publishes the first envelope as the one it opened
    Bid.objects.filter(pk=newest.pk).update(status=BidStatus.SUPERSEDED)
    Bid.objects.filter(pk=first.pk).update(status=BidStatus.OPENED, amount=95_000_000)
    problems = report_of(client, in_bidding).problems
    assert any(f"the envelope {newest.sha256} was receipted" in p for p in problems)
    assert any(f"the envelope {first.sha256} was opened, but" in p for p in problems)


def test_a_sealed_audit_log_served_changed_is_caught(client, opened):
    tender, bids = opened
    honest = fetcher(client)

    def doctored(path: str, raw: bool):
        # the platform serves a log whose record of one bid says another envelope
        answer = honest(path, raw)
        if "stream=sealed" in path:
            for event in answer["events"]:
                if event["object"]["id"] == str(bids["picks"].pk):
                    event["data"]["envelope_sha256"] = bids["opened"].sha256
        return answer

    problems = opening_report(doctored, tender.pk).problems
    assert len(problems) == 1
    assert "sealed audit log does not hold together" in problems[0]


def test_a_root_obtained_elsewhere_that_is_not_the_platforms_is_refused(client, opened):
    from cryptography.hazmat.primitives import serialization

    from tests.esign.foreign import ForeignCa

    tender, _ = opened
    impostor = ForeignCa().certificate.public_bytes(serialization.Encoding.PEM)
    with pytest.raises(ClientError, match="CA material"):
        report_of(client, tender, root=impostor)


def test_before_the_opening_there_is_nothing_to_verify(client, in_bidding):
    with pytest.raises(ClientError, match="not complete"):
        report_of(client, in_bidding)
