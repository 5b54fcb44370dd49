"""A signed-in browser calls the API with its session: the CSRF token is required, and
endpoints that read their own body (sealed envelopes) accept the session too."""

import json

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


@pytest.fixture
def browser_client(bidder_a):
    client = Client(enforce_csrf_checks=True)
    client.force_login(bidder_a)
    client.get("/accounts/me/")  # the page sets the CSRF cookie, as a browser's would
    return client


def post(client, url, body, **headers):
    return client.post(url, json.dumps(body), content_type="application/json", **headers)


def test_a_session_post_without_the_csrf_token_is_refused(browser_client, in_bidding):
    response = post(
        browser_client,
        f"/api/v1/tenders/{in_bidding.pk}/lots/1/bids",
        {"envelope": "AAAA", "signature": "AAAA"},
    )
    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]


def test_a_session_post_with_the_token_reaches_the_envelope_checks(browser_client, in_bidding):
    token = browser_client.cookies["csrftoken"].value
    response = post(
        browser_client,
        f"/api/v1/tenders/{in_bidding.pk}/lots/1/bids",
        {"envelope": "AAAA", "signature": "AAAA"},
        HTTP_X_CSRFTOKEN=token,
    )
    assert response.status_code == 400  # looked at, and refused for what it is
    assert response.json()["code"] in ("signature", "sealed", "envelope")


def test_form_posts_to_the_api_still_need_the_token(browser_client, published, supplier_a):
    tender = published()
    url = f"/api/v1/tenders/{tender.pk}/registrations/"
    refused = browser_client.post(url, {"supplier": supplier_a.organisation.code})
    assert refused.status_code == 403
    token = browser_client.cookies["csrftoken"].value
    accepted = browser_client.post(
        url, {"supplier": supplier_a.organisation.code, "csrfmiddlewaretoken": token}
    )
    assert accepted.status_code == 201
