"""The bid submission checks an API token in its own read (PostgreSQL): the same answers as
every other endpoint's check before the view, one statement fewer a bid."""

import base64
import json
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import connection

from accounts.models import ApiToken
from accounts.tokens import api_token_create, api_token_revoke
from bidding.api_bids import TOKEN_FIRST_BYTES
from bidding.models import Bid

from ..conftest import needs_postgres

pytestmark = pytest.mark.django_db


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def post(client, tender, token: str, body, **headers):
    return client.post(
        f"/api/v1/tenders/{tender.pk}/lots/1/bids",
        data=body if isinstance(body, str) else json.dumps(body),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
        **headers,
    )


@pytest.fixture
def good_body(in_bidding, bidders):
    sealed, signature = bidders[0].envelope(in_bidding)
    return {"envelope": b64(sealed), "signature": b64(signature)}


UNKNOWN_TOKEN = "알 수 없거나 폐지된 API 토큰입니다."  # Unknown or revoked API token. (ko default)


def assert_refused_as_unauthenticated(response):
    assert response.status_code == 401, response.content
    assert response["WWW-Authenticate"] == 'Bearer realm="jangteo"'
    assert response.json() == {"detail": UNKNOWN_TOKEN}  # as every endpoint answers it
    assert not Bid.objects.exists()


def test_a_revoked_token_submits_nothing(client, in_bidding, bidders, good_body):
    row, token = api_token_create(user=bidders[0].user, name="erp")
    api_token_revoke(token=row, actor=bidders[0].user)
    assert_refused_as_unauthenticated(post(client, in_bidding, token, good_body))
    elsewhere = client.get("/api/v1/certificates/", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert (elsewhere.status_code, elsewhere.json()) == (401, {"detail": UNKNOWN_TOKEN})


def test_a_token_nobody_holds_submits_nothing(client, in_bidding, good_body):
    made = f"jt_00000000_{'x' * 43}"
    assert_refused_as_unauthenticated(post(client, in_bidding, made, good_body))
    assert_refused_as_unauthenticated(post(client, in_bidding, "not-a-token", good_body))


def test_an_inactive_persons_token_submits_nothing_and_is_not_marked_used(
    client, in_bidding, bidders, good_body
):
    _row, token = api_token_create(user=bidders[0].user, name="erp")
    bidders[0].user.is_active = False
    bidders[0].user.save(update_fields=["is_active"])
    assert_refused_as_unauthenticated(post(client, in_bidding, token, good_body))
    assert ApiToken.objects.get().last_used_at is None


def test_a_bad_token_is_answered_before_anything_wrong_with_the_body(
    client, in_bidding, bidders, good_body
):
    row, token = api_token_create(user=bidders[0].user, name="erp")
    api_token_revoke(token=row, actor=bidders[0].user)
    bodies = [
        "not json",
        {"envelope": "!!", "signature": good_body["signature"]},
        {"envelope": good_body["envelope"]},
        {"envelope": b64(b"short"), "signature": good_body["signature"]},
        {**good_body, "signature": b64(b"junk")},
    ]
    for body in bodies:
        assert_refused_as_unauthenticated(post(client, in_bidding, token, body))
    retried = post(client, in_bidding, token, bodies[-1], HTTP_IDEMPOTENCY_KEY="k-1")
    assert_refused_as_unauthenticated(retried)
    too_long_key = post(client, in_bidding, token, good_body, HTTP_IDEMPOTENCY_KEY="k" * 201)
    assert_refused_as_unauthenticated(too_long_key)


def test_a_good_token_with_a_bad_body_hears_about_the_body(client, in_bidding, bidders):
    _row, token = api_token_create(user=bidders[0].user, name="erp")
    response = post(client, in_bidding, token, "not json")
    assert (response.status_code, response.json()["code"]) == (400, "json")


def test_the_submission_keeps_the_tokens_last_use_to_the_minute(client, in_bidding, bidders):
    _row, token = api_token_create(user=bidders[0].user, name="erp")
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=5)

    def submit_at(moment):
        sealed, signature = bidders[0].envelope(in_bidding)
        with time_machine.travel(moment, tick=False):
            response = post(
                client, in_bidding, token, {"envelope": b64(sealed), "signature": b64(signature)}
            )
        assert response.status_code == 201, response.content
        return ApiToken.objects.get().last_used_at

    assert submit_at(start) == start
    assert submit_at(start + timedelta(seconds=30)) == start  # no write for every call
    assert submit_at(start + timedelta(seconds=61)) == start + timedelta(seconds=61)


@needs_postgres("the token is checked within the submission's read there")
def test_a_submission_with_a_token_is_two_statements(client, in_bidding, bidders):
    _row, token = api_token_create(user=bidders[0].user, name="erp")

    def body():
        sealed, signature = bidders[0].envelope(in_bidding)
        return {"envelope": b64(sealed), "signature": b64(signature)}

    assert post(client, in_bidding, token, body()).status_code == 201  # certificate checked
    sql = []

    def seen(execute, statement, params, many, context):
        sql.append(statement)
        return execute(statement, params, many, context)

    with connection.execute_wrapper(seen):
        replacing = post(client, in_bidding, token, body())
    assert replacing.status_code == 201, replacing.content
    sql = [statement for statement in sql if "SAVEPOINT" not in statement]  # the test's
    assert len(sql) == 2, sql
    assert "token_actor" in sql[0]
    assert "INSERT INTO" in sql[1]
    assert Bid.objects.filter(status="sealed").get().pk == replacing.json()["id"]


def large_body(tender, bidder) -> dict:
    # A document makes the envelope larger than what is read before the token's check.
    document = ("annex.txt", b"0123456789abcdef" * (TOKEN_FIRST_BYTES // 16))
    sealed, signature = bidder.envelope(tender, documents=[document])
    return {"envelope": b64(sealed), "signature": b64(signature)}


def test_a_large_body_with_a_bad_token_is_refused_for_the_token(client, in_bidding, bidders):
    body = large_body(in_bidding, bidders[0])
    body["signature"] = b64(b"not a signature")  # wrong too: the answer is the token's
    assert len(json.dumps(body)) > TOKEN_FIRST_BYTES
    assert_refused_as_unauthenticated(post(client, in_bidding, f"jt_00000000_{'x' * 43}", body))


@needs_postgres("the token is checked within the submission's read there")
def test_a_large_body_is_read_only_once_its_token_holds(client, in_bidding, bidders):
    _row, token = api_token_create(user=bidders[0].user, name="erp")
    assert post(client, in_bidding, token, large_body(in_bidding, bidders[0])).status_code == 201
    sql = []

    def seen(execute, statement, params, many, context):
        sql.append(statement)
        return execute(statement, params, many, context)

    with connection.execute_wrapper(seen):
        replacing = post(client, in_bidding, token, large_body(in_bidding, bidders[0]))
    assert replacing.status_code == 201, replacing.content
    sql = [statement for statement in sql if "SAVEPOINT" not in statement]  # the test's
    # The token's own check, then the submission's read (without it) and its store.
    assert len(sql) == 3, sql
    assert "accounts_apitoken" in sql[0]
    assert "token_actor" not in sql[1]
    assert "INSERT INTO" in sql[2]
    assert Bid.objects.filter(status="sealed").count() == 1
