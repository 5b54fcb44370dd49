"""Evaluating a lot after its opening and awarding it: lowest price and qualification
review review the bids one at a time, in order; the officer awards with a signed statement
and the standstill starts. Every step is audited and published."""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from core.models import AuditEvent, LiveEvent
from core.workdays import working_days_after
from esign.exceptions import SignatureRefused
from evaluation import services
from evaluation.estimated_price import estimated_price
from evaluation.exceptions import EvaluationError
from evaluation.models import Award, AwardStatus, Evaluation, ReviewStatus
from procurement.models import LotStatus, TenderStatus
from tests.conftest import deadlines

pytestmark = pytest.mark.django_db


def reviews_of(tender):
    evaluation = Evaluation.objects.get(lot__tender=tender, lot__number=1)
    return {r.bid.supplier.organisation.code: r for r in evaluation.reviews.all()}


def under_review(tender):
    return Evaluation.objects.get(lot__tender=tender).reviews.get(status=ReviewStatus.PROPOSED)


def award(review, signer):
    return services.award_make(
        review=review, actor=signer.user, signature=signer.sign(services.award_statement(review))
    )


A, B, C = "1018163364", "2148712348", "1208112342"


def test_lowest_price_reviews_from_the_lowest_and_awards_with_a_signed_statement(
    opened_tender, lowest_price, officer_signer, django_capture_on_commit_callbacks
):
    tender = opened_tender(lowest_price, {0: (95_000_000, ()), 1: (93_000_000, ()),
                                          2: (97_000_000, ())})  # fmt: skip
    reviews = reviews_of(tender)
    assert [reviews[x].rank for x in (B, A, C)] == [1, 2, 3]
    assert reviews[B].status == ReviewStatus.PROPOSED

    # when the officer disqualifies the lowest, the next is proposed, then awarded
    services.review_disqualify(review=reviews[B], actor=officer_signer.user, reason="면허 만료")
    assert under_review(tender).bid.supplier.organisation.code == A
    with django_capture_on_commit_callbacks(execute=True):
        made = award(under_review(tender), officer_signer)

    # then the award is pending through the standstill, the lot and tender are awarded
    assert made.status == AwardStatus.PENDING
    assert made.standstill_until == working_days_after(made.decided_at, 5)
    assert (
        made.signer
        == officer_signer.certificate.fingerprint(
            officer_signer.certificate.signature_hash_algorithm
        ).hex()
    )
    tender.refresh_from_db()
    assert tender.status == TenderStatus.AWARDED
    assert tender.lots.get().status == LotStatus.AWARDED
    assert reviews_of(tender)[B].reason == "면허 만료"
    kinds = list(
        AuditEvent.objects.filter(stream=f"tender:{tender.ocid}").values_list("kind", flat=True)
    )
    for kind in ("evaluation.started", "evaluation.disqualified", "lot.awarded", "award.made"):
        assert kind in kinds
    live = LiveEvent.objects.filter(topic=f"tender.{tender.pk}", kind="award.changed").get()
    assert live.payload["supplier"] == A
    assert live.payload["amount"] == 95_000_000


def test_when_every_bid_is_disqualified_the_lot_is_unsuccessful(
    opened_tender, lowest_price, officer
):
    tender = opened_tender(lowest_price, {0: (95_000_000, ()), 1: (93_000_000, ())})
    for _ in range(2):
        services.review_disqualify(review=under_review(tender), actor=officer, reason="부적격")
    tender.refresh_from_db()
    assert tender.lots.get().status == LotStatus.UNSUCCESSFUL
    assert tender.status == TenderStatus.UNSUCCESSFUL


def test_qualification_review_ranks_within_the_estimate_and_scores_against_the_pass_mark(
    opened_tender, qualification_review, officer_signer
):
    # 90–97.9 million lies within any estimate's range (E between 98 and 102 million)
    tender = opened_tender(qualification_review, {0: (92_000_000, (1, 2)),
                                                  1: (90_000_000, (3, 4)),
                                                  2: (103_000_000, (1, 3))})  # fmt: skip
    evaluation = Evaluation.objects.get(lot__tender=tender)
    estimate = evaluation.estimate
    recomputed = estimated_price(
        estimate["prices"], [[1, 2], [3, 4], [1, 3]], chosen=4, floor_rate_pct=Decimal("87.745")
    )
    assert (estimate["estimated"], estimate["chosen"]) == (recomputed.estimated, [1, 2, 3, 4])
    reviews = reviews_of(tender)
    assert reviews[C].status == ReviewStatus.OUT_OF_RANGE
    assert reviews[C].rank is None
    assert "estimated price" in reviews[C].reason

    # the lowest in range scores below the pass mark: the next is proposed
    failed = services.review_score(
        review=under_review(tender), actor=officer_signer.user, capability=Decimal(40),
        evidence="납품실적 2건",
    )  # fmt: skip
    assert failed.status == ReviewStatus.FAILED
    assert failed.total_score == failed.capability_score + failed.price_score < 85
    proposed = under_review(tender)
    assert proposed.bid.supplier.organisation.code == A
    with pytest.raises(EvaluationError, match="Score the bid"):
        award(proposed, officer_signer)
    passed = services.review_score(
        review=proposed, actor=officer_signer.user, capability=Decimal(70), evidence="실적 충분"
    )
    assert passed.status == ReviewStatus.PROPOSED
    assert passed.total_score >= 85
    made = award(passed, officer_signer)
    assert made.review.total_score == passed.total_score
    assert b'"estimated_price":%d' % estimate["estimated"] in bytes(made.statement)


def test_too_few_valid_bids_make_the_lot_unsuccessful_at_once(opened_tender, qualification_review):
    tender = opened_tender(qualification_review, {0: (92_000_000, (1, 2))})  # needs two
    tender.refresh_from_db()
    lot = tender.lots.get()
    assert lot.status == LotStatus.UNSUCCESSFUL
    assert "at least 2" in lot.status_reason


def test_best_value_waits_for_its_committee(opened_tender, best_value):
    longer = deadlines(timezone.now(), questions=9, registration=10, bid_close=11, opening=11.1)
    tender = opened_tender(best_value, {0: (92_000_000, ())}, **longer)
    evaluation = Evaluation.objects.get(lot__tender=tender)
    assert evaluation.method == "best_value"
    assert not evaluation.reviews.filter(status=ReviewStatus.PROPOSED).exists()
    assert tender.lots.get().status == LotStatus.EVALUATION


def test_only_the_buyers_officers_evaluate(opened_tender, lowest_price, other_officer, bidder_a):
    tender = opened_tender(lowest_price, {0: (95_000_000, ())})
    for person in (other_officer, bidder_a):
        with pytest.raises(PermissionDenied):
            services.review_disqualify(review=under_review(tender), actor=person, reason="x")
    assert under_review(tender).status == ReviewStatus.PROPOSED


def test_an_award_must_be_signed_by_the_officer_over_its_statement(
    opened_tender, lowest_price, officer_signer, bidders
):
    tender = opened_tender(lowest_price, {0: (95_000_000, ())})
    review = under_review(tender)
    with pytest.raises(SignatureRefused) as wrong_content:
        services.award_make(
            review=review, actor=officer_signer.user, signature=officer_signer.sign(b"other")
        )
    assert wrong_content.value.code == "signature"
    with pytest.raises(SignatureRefused) as not_theirs:
        services.award_make(
            review=review, actor=officer_signer.user,
            signature=bidders[0].sign(services.award_statement(review)),
        )  # fmt: skip
    assert not_theirs.value.code == "certificate_not_yours"
    assert not Award.objects.exists()
    assert tender.lots.get().status == LotStatus.EVALUATION


def test_only_the_bid_under_review_can_be_decided(opened_tender, lowest_price, officer):
    tender = opened_tender(lowest_price, {0: (95_000_000, ()), 1: (93_000_000, ())})
    waiting = Evaluation.objects.get(lot__tender=tender).reviews.get(status=ReviewStatus.WAITING)
    with pytest.raises(EvaluationError, match="not the one under review"):
        services.review_disqualify(review=waiting, actor=officer, reason="x")
    with pytest.raises(EvaluationError, match="why"):
        services.review_disqualify(review=under_review(tender), actor=officer, reason="  ")


def test_a_supplier_suspended_since_its_bid_cannot_be_awarded(
    opened_tender, lowest_price, officer_signer, operator
):
    from suppliers.services import supplier_suspend

    tender = opened_tender(lowest_price, {0: (95_000_000, ())})
    review = under_review(tender)
    supplier_suspend(supplier=review.bid.supplier, actor=operator, reason="입찰 담합", until=None)
    with pytest.raises(EvaluationError, match="does not qualify") as refused:
        award(review, officer_signer)
    assert refused.value.code == "supplier"
    assert not Award.objects.exists()
