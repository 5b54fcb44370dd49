"""The opening as the public and the officers see it over the API."""

import base64
import hashlib
from datetime import timedelta

import pytest

from accounts.tokens import api_token_create
from bidding.opening import openings_resume
from bidding.submission import bid_submit

pytestmark = pytest.mark.django_db


def test_nothing_about_bids_before_the_opening_everything_after(
    client, in_bidding, bidders, openers
):
    sealed, signature = bidders[0].envelope(in_bidding, amount=77_000_000)
    bid = bid_submit(
        tender_id=in_bidding.pk, lot_number=1, sealed=sealed, signature=signature,
        actor=bidders[0].user,
    ).bid  # fmt: skip
    shares = [opener.shares()[in_bidding.ocid] for opener in openers[:2]]
    state = client.get(f"/api/v1/tenders/{in_bidding.pk}/opening/").json()
    assert state["public_key"] == in_bidding.opening_public_key
    assert state["private_key"] is None
    assert state["results"] is None
    assert client.get(f"/api/v1/tenders/{in_bidding.pk}/envelopes/").status_code == 404
    stored, never_made = (client.get(f"/api/v1/bids/{pk}/envelope") for pk in (bid.pk, bid.pk + 1))
    # the same answer whether the envelope exists or not: nobody counts the bids by probing
    assert (stored.status_code, stored.content) == (never_made.status_code, never_made.content)
    assert stored.status_code == 404
    detail = client.get(f"/api/v1/tenders/{in_bidding.pk}/").content.decode()
    assert "77000000" not in detail

    def enter(opener, words):
        token = api_token_create(user=opener.user, name="x")[1]
        return client.post(
            f"/api/v1/tenders/{in_bidding.pk}/opening/shares/",
            {"share": words},
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {token}",
        )

    early = enter(openers[0], shares[0])
    assert early.status_code == 409
    assert early.json()["code"] == "too_early"
    in_bidding.travel.move_to(in_bidding.bid_close_at + timedelta(minutes=1))
    assert enter(openers[2], shares[0]).status_code == 403
    wrong = enter(openers[0], shares[1])
    assert (wrong.status_code, wrong.json()["code"]) == (400, "not_your_share")
    assert enter(openers[0], shares[0]).json() == {"entered": 1, "needed": 2, "key_rebuilt": False}
    assert enter(openers[1], shares[1]).json()["key_rebuilt"] is True
    openings_resume()

    state = client.get(f"/api/v1/tenders/{in_bidding.pk}/opening/").json()
    assert state["private_key"]
    assert [(r["supplier"], r["amount"], r["status"]) for r in state["results"]] == [
        (bidders[0].brn, 77_000_000, "opened")
    ]
    envelopes = client.get(f"/api/v1/tenders/{in_bidding.pk}/envelopes/").json()
    assert len(envelopes) == 1
    raw = client.get(f"/api/v1/bids/{bid.pk}/envelope").content
    assert hashlib.sha256(raw).hexdigest() == envelopes[0]["envelope_sha256"]
    assert base64.b64decode(envelopes[0]["outer_signature"]) == signature
