"""Evaluation over the API: the public summary, the officer's decisions with a signed
award, complaints by bidders and decisions by the review body; refusals are clear 4xx."""

import base64
from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from evaluation.estimated_price import estimated_price
from evaluation.models import Award, Evaluation, ReviewStatus

pytestmark = pytest.mark.django_db


def api(user=None):
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


@pytest.fixture
def reviewed(opened_tender, qualification_review):
    return opened_tender(qualification_review, {0: (92_000_000, (1, 2)), 1: (90_000_000, (3, 4))})


def under_review(tender):
    return Evaluation.objects.get(lot__tender=tender).reviews.get(status=ReviewStatus.PROPOSED)


def test_anyone_reads_the_evaluation_and_can_recompute_the_estimate(reviewed):
    [lot] = api().get(f"/api/v1/tenders/{reviewed.pk}/evaluation/").json()
    estimate = lot["estimate"]
    again = estimated_price(
        estimate["prices"],
        [
            r["supplier"] and picks
            for r, picks in zip(lot["reviews"], ([1, 2], [3, 4]), strict=False)
        ],
        chosen=4,
        floor_rate_pct=Decimal(estimate["floor_rate_pct"]),
    )
    assert estimate["estimated"] == again.estimated
    assert estimate["pick_counts"]["1"] == 1
    assert [r["status"] for r in lot["reviews"]].count("proposed") == 1


def test_the_officer_scores_and_awards_with_a_signed_statement(reviewed, officer_signer):
    officer = api(officer_signer.user)
    first = under_review(reviewed)
    scored = officer.post(
        f"/api/v1/reviews/{first.pk}/score/",
        {"capability": "70", "evidence": "실적"},
        format="json",
    )
    assert scored.status_code == 200, scored.content
    assert Decimal(scored.json()["total_score"]) >= 85
    statement = base64.b64decode(
        officer.get(f"/api/v1/reviews/{first.pk}/award-statement/").json()["statement"]
    )
    made = officer.post(
        f"/api/v1/reviews/{first.pk}/award/",
        {"signature": b64(officer_signer.sign(statement))},
        format="json",
    )
    assert made.status_code == 201, made.content
    assert made.json()["status"] == "pending"
    [lot] = api().get(f"/api/v1/tenders/{reviewed.pk}/evaluation/").json()
    assert lot["status"] == "awarded"
    assert lot["awards"][0]["signer_certificate"]


def test_refusals_are_clear_and_change_nothing(reviewed, officer_signer, bidders, other_officer):
    review = under_review(reviewed)
    url = f"/api/v1/reviews/{review.pk}"
    assert api().post(f"{url}/disqualification/", {"reason": "x"}).status_code in (401, 403)
    assert api(other_officer).post(f"{url}/disqualification/", {"reason": "x"}).status_code == 403
    assert api(bidders[0].user).get(f"{url}/award-statement/").status_code == 403
    bad = api(officer_signer.user).post(f"{url}/award/", {"signature": "***"}, format="json")
    assert (bad.status_code, bad.json()["code"]) == (400, "base64")
    unscored = api(officer_signer.user).post(
        f"{url}/award/", {"signature": b64(b"\x30\x00")}, format="json"
    )
    assert (unscored.status_code, unscored.json()["code"]) == (400, "unscored")
    blank = api(officer_signer.user).post(f"{url}/disqualification/", {"reason": " "})
    assert blank.status_code == 400
    assert not Award.objects.exists()
    assert under_review(reviewed) == review


def test_a_losing_bidder_complains_and_the_review_body_decides(
    reviewed, officer_signer, bidders, third_bidder, reviewer, operator
):
    from evaluation import services

    review = services.review_score(
        review=under_review(reviewed), actor=officer_signer.user, capability=Decimal(70),
        evidence="실적",
    )  # fmt: skip
    award = services.award_make(
        review=review, actor=officer_signer.user,
        signature=officer_signer.sign(services.award_statement(review)),
    )  # fmt: skip
    loser = bidders[0]  # B (90 million) was lowest and awarded; A lost
    body = {"supplier": loser.brn, "text": "평가 오류",
            "documents": [{"name": "근거.txt", "content": b64(b"proof")}]}  # fmt: skip
    url = f"/api/v1/awards/{award.pk}/complaints/"
    assert api(third_bidder.user).post(url, {**body, "supplier": third_bidder.brn},
                                       format="json").status_code == 403  # fmt: skip
    filed = api(loser.user).post(url, body, format="json")
    assert filed.status_code == 201, filed.content
    complaint = filed.json()["complaint"]
    decide = f"/api/v1/complaints/{complaint}/decision/"
    assert api(operator).post(decide, {"decision": "accept"}).status_code == 403
    assert api(reviewer).post(decide, {"decision": "dismiss", "reason": "x"}).status_code == 400
    assert api(reviewer).post(decide, {"decision": "accept"}).status_code == 200
    dismissed = api(reviewer).post(decide, {"decision": "dismiss", "reason": "평가 적정"})
    assert dismissed.json()["status"] == "dismissed"
    [lot] = api().get(f"/api/v1/tenders/{reviewed.pk}/evaluation/").json()
    assert lot["complaints"][0]["reason"] == "평가 적정"
    document = lot["complaints"][0]["documents"][0]
    url = f"/api/v1/complaints/{complaint}/documents/{document['id']}/"
    for person in (loser.user, reviewer, officer_signer.user):
        downloaded = api(person).get(url)
        assert downloaded.status_code == 200
        assert b"".join(downloaded.streaming_content) == b"proof"
    assert api(third_bidder.user).get(url).status_code == 404
