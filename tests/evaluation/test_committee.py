"""Best value: a committee of evaluators, each declaring no conflict of interest with their
certificate, scores every bid alone and signs the sheet; when the last sheet is in, the
technical and price scores combine by the procedure's weights and the first is proposed."""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from core.models import LiveEvent
from esign.exceptions import SignatureRefused
from evaluation import committee
from evaluation.exceptions import EvaluationError
from evaluation.models import CommitteeMember, Evaluation, ReviewStatus
from evaluation.scoring import best_value_price_score, best_value_total, technical_score
from procurement.models import LotStatus
from tests.conftest import deadlines

pytestmark = pytest.mark.django_db

CRITERIA = {"plan": 40, "capability": 30, "record": 20, "support": 10}
A, B, C = "1018163364", "2148712348", "1208112342"


@pytest.fixture
def best_value_lot(opened_tender, best_value):
    longer = deadlines(timezone.now(), questions=9, registration=10, bid_close=11, opening=11.1)
    tender = opened_tender(
        best_value, {0: (92_000_000, ()), 1: (90_000_000, ()), 2: (95_000_000, ())}, **longer
    )
    return Evaluation.objects.get(lot__tender=tender)


def sha_of(evaluation):
    return {r.bid.supplier.organisation.code: r.bid.sha256 for r in evaluation.reviews.all()}


def sheet(evaluation, marks: dict):
    """marks: {supplier: share of each criterion's points (0..1)}"""
    shas = sha_of(evaluation)
    return [
        {"bid": shas[supplier], "criterion": code, "score": str(round(points * share, 2))}
        for supplier, share in marks.items()
        for code, points in CRITERIA.items()
    ]


def declare(membership, signer):
    return committee.declaration_sign(
        membership=membership,
        actor=signer.user,
        signature=signer.sign(committee.declaration_statement(membership)),
    )


def submit(membership, signer, scores):
    return committee.scoresheet_submit(
        membership=membership,
        actor=signer.user,
        scores=scores,
        signature=signer.sign(committee.scoresheet_statement(membership, scores)),
    )


def membership_of(evaluation, signer):
    return CommitteeMember.objects.get(evaluation=evaluation, member=signer.user)


def test_the_committee_declares_scores_alone_and_the_best_total_is_proposed(
    best_value_lot, officer, evaluators
):
    evaluation = best_value_lot
    committee.committee_appoint(
        evaluation=evaluation, actor=officer, members=[e.user for e in evaluators]
    )
    # every member marks C's technical offer best, one of them extremely (an outlier)
    marks = [{A: 0.90, B: 0.86, C: 0.95}] * 4 + [{A: 0.88, B: 0.99, C: 0.86}]
    for signer, mark in zip(evaluators, marks, strict=True):
        membership = membership_of(evaluation, signer)
        with pytest.raises(EvaluationError, match="declaration first"):
            submit(membership, signer, sheet(evaluation, mark))
        declare(membership, signer)
        submit(membership, signer, sheet(evaluation, mark))
        if signer is not evaluators[-1]:  # nobody sees a score before the last sheet is in
            assert not evaluation.reviews.exclude(technical_score=None).exists()
            last = LiveEvent.objects.filter(kind="committee.changed").latest("seq").payload
            assert set(last) == {"lot", "members", "declared", "submitted"}

    reviews = {r.bid.supplier.organisation.code: r for r in evaluation.reviews.all()}
    expected = {}
    for supplier in (A, B, C):
        per_criterion = [
            [Decimal(str(round(points * m[supplier], 2))) for m in marks]
            for points in CRITERIA.values()
        ]
        technical = technical_score(per_criterion)
        price = best_value_price_score(reviews[supplier].bid.amount, 90_000_000)
        expected[supplier] = best_value_total(
            technical, price, quality_weight=Decimal(80), price_weight=Decimal(20)
        )
        assert reviews[supplier].technical_score == technical
        assert reviews[supplier].total_score == expected[supplier]
    ranked = sorted(expected, key=lambda s: -expected[s])
    assert [reviews[s].rank for s in ranked] == [1, 2, 3]
    assert reviews[ranked[0]].status == ReviewStatus.PROPOSED


def test_below_the_technical_threshold_a_bid_is_not_ranked(best_value_lot, officer, evaluators):
    evaluation = best_value_lot
    committee.committee_appoint(
        evaluation=evaluation, actor=officer, members=[e.user for e in evaluators[:3]]
    )
    for signer in evaluators[:3]:
        membership = membership_of(evaluation, signer)
        declare(membership, signer)
        submit(membership, signer, sheet(evaluation, {A: 0.9, B: 0.5, C: 0.84}))
    reviews = {r.bid.supplier.organisation.code: r for r in evaluation.reviews.all()}
    assert reviews[A].status == ReviewStatus.PROPOSED
    assert reviews[B].status == reviews[C].status == ReviewStatus.FAILED
    assert "threshold" in reviews[C].reason
    assert reviews[C].rank is None


def test_no_bid_over_the_threshold_leaves_the_lot_unsuccessful(best_value_lot, officer, evaluators):
    evaluation = best_value_lot
    committee.committee_appoint(
        evaluation=evaluation, actor=officer, members=[e.user for e in evaluators[:3]]
    )
    for signer in evaluators[:3]:
        membership = membership_of(evaluation, signer)
        declare(membership, signer)
        submit(membership, signer, sheet(evaluation, {A: 0.5, B: 0.5, C: 0.5}))
    evaluation.lot.refresh_from_db()
    assert evaluation.lot.status == LotStatus.UNSUCCESSFUL


def test_a_committee_is_appointed_once_from_at_least_three_evaluators_of_the_agency(
    best_value_lot, officer, evaluators, other_officer, bidder_a
):
    evaluation, people = best_value_lot, [e.user for e in evaluators]
    with pytest.raises(EvaluationError, match="at least 3"):
        committee.committee_appoint(evaluation=evaluation, actor=officer, members=people[:2])
    with pytest.raises(EvaluationError, match="not an evaluator"):
        committee.committee_appoint(
            evaluation=evaluation, actor=officer, members=[*people[:2], bidder_a]
        )
    with pytest.raises(PermissionDenied):
        committee.committee_appoint(evaluation=evaluation, actor=other_officer, members=people)
    committee.committee_appoint(evaluation=evaluation, actor=officer, members=people[:3])
    with pytest.raises(EvaluationError, match="already"):
        committee.committee_appoint(evaluation=evaluation, actor=officer, members=people)


def test_a_score_sheet_must_be_complete_in_range_and_signed_over_what_was_sent(
    best_value_lot, officer, evaluators
):
    evaluation = best_value_lot
    committee.committee_appoint(
        evaluation=evaluation, actor=officer, members=[e.user for e in evaluators[:3]]
    )
    signer = evaluators[0]
    membership = membership_of(evaluation, signer)
    declare(membership, signer)
    full = sheet(evaluation, {A: 0.9, B: 0.9, C: 0.9})
    with pytest.raises(EvaluationError, match="every bid"):
        submit(membership, signer, full[:-1])
    over = [dict(s, score="41") if s["criterion"] == "plan" else s for s in full]
    with pytest.raises(EvaluationError, match="between 0 and 40"):
        submit(membership, signer, over)
    other = [dict(s, score="1") for s in full]
    with pytest.raises(SignatureRefused):
        committee.scoresheet_submit(
            membership=membership, actor=signer.user, scores=other,
            signature=signer.sign(committee.scoresheet_statement(membership, full)),
        )  # fmt: skip
    with pytest.raises(PermissionDenied):
        submit(membership, evaluators[1], full)  # someone else's seat
    membership.refresh_from_db()
    assert membership.submitted_at is None
    assert not membership.scores.exists()
