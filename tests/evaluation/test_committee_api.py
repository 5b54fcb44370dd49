"""The committee over the API: appointed by the officer, each member's seat, declaration
and signed score sheet; nobody but the member sits in their seat."""

import base64

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from evaluation import services
from evaluation.models import CommitteeMember, Evaluation, ReviewStatus
from tests.conftest import deadlines

pytestmark = pytest.mark.django_db


def api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


@pytest.fixture
def evaluation(opened_tender, best_value):
    longer = deadlines(timezone.now(), questions=9, registration=10, bid_close=11, opening=11.1)
    tender = opened_tender(best_value, {0: (92_000_000, ()), 1: (90_000_000, ())}, **longer)
    return Evaluation.objects.get(lot__tender=tender)


def test_a_committee_sits_declares_and_scores_over_the_api(
    evaluation, officer, evaluators, officer_signer
):
    appointed = api(officer).post(
        f"/api/v1/evaluations/{evaluation.pk}/committee/",
        {"members": [e.user.pk for e in evaluators[:3]]},
        format="json",
    )
    assert appointed.status_code == 201, appointed.content
    for signer in evaluators[:3]:
        client = api(signer.user)
        [seat] = client.get("/api/v1/committee/").json()
        assert seat["bids"] is None  # nothing to score before the declaration
        declared = client.post(
            f"/api/v1/committee/{seat['id']}/declaration/",
            {"signature": b64(signer.sign(base64.b64decode(seat["declaration"])))},
            format="json",
        )
        assert declared.status_code == 200, declared.content
        seat = declared.json()
        scores = [
            {"bid": bid["bid"], "criterion": c["code"], "score": str(c["points"] * 0.9)}
            for bid in seat["bids"]
            for c in seat["criteria"]
        ]
        url = f"/api/v1/committee/{seat['id']}/scoresheet/"
        statement = base64.b64decode(
            client.post(url, {"scores": scores}, format="json").json()["statement"]
        )
        sent = client.post(
            url, {"scores": scores, "signature": b64(signer.sign(statement))}, format="json"
        )
        assert sent.status_code == 200, sent.content
        assert sent.json()["submitted_at"]
    assert evaluation.reviews.filter(status=ReviewStatus.PROPOSED).count() == 1
    public = f"/api/v1/tenders/{evaluation.lot.tender_id}/evaluation/"
    assert APIClient().get(public).json()[0]["member_scores"] is None  # not before the award
    review = evaluation.reviews.get(status=ReviewStatus.PROPOSED)
    services.award_make(
        review=review, actor=officer_signer.user,
        signature=officer_signer.sign(services.award_statement(review)),
    )  # fmt: skip
    published = APIClient().get(public).json()[0]["member_scores"]
    assert len(published) == 3
    assert all(len(member["scores"]) == 2 * 4 for member in published)


def test_nobody_else_sits_in_a_members_seat(evaluation, officer, evaluators):
    api(officer).post(
        f"/api/v1/evaluations/{evaluation.pk}/committee/",
        {"members": [e.user.pk for e in evaluators[:3]]},
        format="json",
    )
    seat = CommitteeMember.objects.get(member=evaluators[0].user)
    other = api(evaluators[1].user)
    assert other.post(f"/api/v1/committee/{seat.pk}/declaration/", {"signature": "AA=="},
                      format="json").status_code == 404  # fmt: skip
    refused = api(evaluators[0].user).post(
        f"/api/v1/committee/{seat.pk}/declaration/", {"signature": b64(b"junk")}, format="json"
    )
    assert (refused.status_code, refused.json()["code"]) == (400, "signature")
    assert (
        api(evaluators[0].user)
        .post(
            f"/api/v1/evaluations/{evaluation.pk}/committee/", {"members": [1, 2, 3]}, format="json"
        )
        .status_code
        == 403
    )
