"""The bid API as a supplier's system uses it: JSON with base64, Idempotency-Key, clear
4xx codes, receipts to download."""

import base64
import json

import pytest

from accounts.tokens import api_token_create
from bidding.envelope import withdrawal_statement
from bidding.models import Bid

pytestmark = pytest.mark.django_db


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


@pytest.fixture
def api(client):
    def call(user, method, path, body=None, **headers):
        token = api_token_create(user=user, name="system")[1]
        return getattr(client, method)(
            path,
            data=json.dumps(body) if body is not None else None,
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {token}",
            **headers,
        )

    return call


def test_submit_retry_list_download_and_withdraw(api, in_bidding, bidders):
    bidder = bidders[0]
    sealed, signature = bidder.envelope(in_bidding)
    path = f"/api/v1/tenders/{in_bidding.pk}/lots/1/bids"
    body = {"envelope": b64(sealed), "signature": b64(signature)}
    first = api(bidder.user, "post", path, body, HTTP_IDEMPOTENCY_KEY="k-1")
    assert first.status_code == 201, first.content
    receipt = first.json()["receipts"][0]
    assert receipt["receipt"]["envelope_sha256"] == first.json()["sha256"]
    again = api(bidder.user, "post", path, body, HTTP_IDEMPOTENCY_KEY="k-1")
    assert again.status_code == 200
    assert again["Idempotent-Replayed"] == "true"
    assert again.json()["receipts"][0]["number"] == receipt["number"]
    assert Bid.objects.count() == 1

    mine = api(bidder.user, "get", f"/api/v1/tenders/{in_bidding.pk}/my-bids/")
    assert [b["id"] for b in mine.json()] == [first.json()["id"]]
    assert api(bidders[1].user, "get", f"/api/v1/tenders/{in_bidding.pk}/my-bids/").json() == []

    download = api(bidder.user, "get", f"/api/v1/receipts/{receipt['number']}/")
    assert download.status_code == 200
    bundle = json.loads(download.content)
    assert bundle["format"] == "jangteo-receipt-bundle/1"
    assert (
        base64.b64decode(bundle["body"])
        == json.dumps(
            receipt["receipt"], separators=(",", ":"), sort_keys=True, ensure_ascii=False
        ).encode()
    )
    assert api(bidders[1].user, "get", f"/api/v1/receipts/{receipt['number']}/").status_code == 404

    statement = withdrawal_statement(
        tender=in_bidding.ocid, lot=1, supplier=bidder.brn, envelope_sha256=first.json()["sha256"]
    )
    withdrawn = api(
        bidder.user,
        "post",
        f"/api/v1/bids/{first.json()['id']}/withdrawal/",
        {"statement": b64(statement), "signature": b64(bidder.sign(statement))},
    )
    assert withdrawn.status_code == 200, withdrawn.content
    assert withdrawn.json()["kind"] == "withdrawal"
    other = api(
        bidders[1].user,
        "post",
        f"/api/v1/bids/{first.json()['id']}/withdrawal/",
        {"statement": b64(statement), "signature": b64(bidders[1].sign(statement))},
    )
    assert other.status_code == 404


def test_refusals_are_clear_and_store_nothing(api, in_bidding, bidders, outsider, make_draft):
    bidder = bidders[0]
    sealed, signature = bidder.envelope(in_bidding)
    path = f"/api/v1/tenders/{in_bidding.pk}/lots/1/bids"
    good = {"envelope": b64(sealed), "signature": b64(signature)}
    cases = [
        (bidder.user, {"envelope": "!!", "signature": b64(signature)}, 400, "base64"),
        (bidder.user, {**good, "signature": b64(b"junk")}, 400, "signature"),
        (bidders[1].user, good, 403, "certificate_not_yours"),
        (outsider, good, 403, "certificate_not_yours"),
    ]
    for user, body, status, code in cases:
        response = api(user, "post", path, body)
        assert response.status_code == status, (code, response.content)
        assert response.json()["code"] == code
    assert api(bidder.user, "post", path, None).status_code == 400
    assert (
        api(bidder.user, "post", f"/api/v1/tenders/{in_bidding.pk}/lots/9/bids", good).json()[
            "code"
        ]
        == "lot"
    )
    missing = api(bidder.user, "post", "/api/v1/tenders/99999/lots/1/bids", good)
    assert (missing.status_code, missing.json()["code"]) == (404, "not_found")
    # A draft is not found either, as on its pages: not even that it exists.
    draft = api(bidder.user, "post", f"/api/v1/tenders/{make_draft().pk}/lots/1/bids", good)
    assert (draft.status_code, draft.json()["code"]) == (404, "not_found")
    in_bidding.travel.move_to(in_bidding.bid_close_at)
    late = api(bidder.user, "post", path, good)
    assert late.status_code == 409
    assert late.json()["code"] == "deadline"
    assert not Bid.objects.exists()


def test_anonymous_callers_are_refused(client, in_bidding):
    response = client.post(
        f"/api/v1/tenders/{in_bidding.pk}/lots/1/bids", "{}", content_type="application/json"
    )
    assert response.status_code in (401, 403)


def test_a_submission_answers_in_json_only(api, in_bidding, bidders):
    sealed, signature = bidders[0].envelope(in_bidding)
    body = {"envelope": b64(sealed), "signature": b64(signature)}
    path = f"/api/v1/tenders/{in_bidding.pk}/lots/1/bids"
    refused = api(bidders[0].user, "post", path, body, HTTP_ACCEPT="text/html")
    assert refused.status_code == 406
    assert not Bid.objects.exists()
    accepted = api(bidders[0].user, "post", path, body, HTTP_ACCEPT="*/*")
    assert accepted.status_code == 201
    assert accepted["Content-Type"] == "application/json"


def test_a_request_too_large_for_any_envelope_is_refused_unread(api, in_bidding, bidders):
    from bidding.api_bids import MAX_BODY_BYTES

    response = api(
        bidders[0].user,
        "post",
        f"/api/v1/tenders/{in_bidding.pk}/lots/1/bids",
        {"envelope": "A" * (MAX_BODY_BYTES + 10), "signature": ""},
    )
    assert response.status_code == 413
