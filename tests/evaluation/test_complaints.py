"""Complaints during the standstill: a bidder of the lot files one with documents; the
review body accepts it and decides it with reasons. A pending complaint keeps the award from
becoming final; an upheld one cancels it and evaluation resumes; after a clean standstill the
lot goes to contracting."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied

from core.models import AuditEvent, LiveEvent
from evaluation import complaints, services
from evaluation.exceptions import EvaluationError
from evaluation.models import Award, AwardStatus, ComplaintStatus, Evaluation, ReviewStatus
from procurement.models import LotStatus, TenderStatus

pytestmark = pytest.mark.django_db


@pytest.fixture
def awarded(opened_tender, lowest_price, officer_signer):
    """Bidder B's lowest bid awarded; A (second) and C (did not bid) are the others."""
    tender = opened_tender(lowest_price, {0: (95_000_000, ()), 1: (93_000_000, ())})
    review = Evaluation.objects.get(lot__tender=tender).reviews.get(status=ReviewStatus.PROPOSED)
    award = services.award_make(
        review=review,
        actor=officer_signer.user,
        signature=officer_signer.sign(services.award_statement(review)),
    )
    return tender, award


def file(award, bidder, text="낙찰자의 면허가 만료되었습니다", documents=()):
    return complaints.complaint_file(
        award=award, supplier=bidder.supplier, actor=bidder.user, text=text, documents=documents
    )


def after_standstill(tender, award):
    tender.travel.move_to(award.standstill_until + timedelta(minutes=1))


def status_of(tender):
    tender.refresh_from_db()
    return tender.status, tender.lots.get().status


def test_a_clean_standstill_makes_the_award_final_and_the_lot_goes_to_contracting(awarded):
    tender, award = awarded
    assert complaints.awards_finalise_due() == 0  # still in its standstill
    after_standstill(tender, award)
    assert complaints.awards_finalise_due() == 1
    award.refresh_from_db()
    assert award.status == AwardStatus.ACTIVE
    assert status_of(tender) == (TenderStatus.CONTRACTING, LotStatus.CONTRACTING)
    assert complaints.awards_finalise_due() == 0  # once


def test_a_dismissed_complaint_holds_the_award_until_it_is_decided(
    awarded, bidders, reviewer, django_capture_on_commit_callbacks
):
    tender, award = awarded
    with django_capture_on_commit_callbacks(execute=True):
        complaint = file(award, bidders[0], documents=[("증빙.pdf", b"%PDF-1.7 proof")])
    assert complaint.documents.get().sha256
    after_standstill(tender, award)
    assert complaints.awards_finalise_due() == 0  # pending: blocked
    complaints.complaint_accept(complaint=complaint, actor=reviewer)
    assert complaints.awards_finalise_due() == 0  # under review: still blocked
    complaints.complaint_decide(
        complaint=complaint, actor=reviewer, upheld=False, reason="면허는 유효합니다"
    )
    assert complaints.awards_finalise_due() == 1
    assert status_of(tender) == (TenderStatus.CONTRACTING, LotStatus.CONTRACTING)
    kinds = set(AuditEvent.objects.values_list("kind", flat=True))
    assert {"complaint.filed", "complaint.accepted", "complaint.dismissed", "award.final"} <= kinds
    docket = LiveEvent.objects.filter(kind="complaint.changed").first()
    assert docket.payload["supplier"] == bidders[0].brn
    assert docket.payload["documents"][0]["name"] == "증빙.pdf"


def test_an_upheld_complaint_cancels_the_award_and_evaluation_resumes(
    awarded, bidders, reviewer, officer_signer
):
    tender, award = awarded
    complaint = file(award, bidders[0])
    complaints.complaint_accept(complaint=complaint, actor=reviewer)
    complaints.complaint_decide(
        complaint=complaint, actor=reviewer, upheld=True, reason="면허 만료 확인"
    )
    award.refresh_from_db()
    assert (award.status, award.reason) == (AwardStatus.CANCELLED, "면허 만료 확인")
    assert status_of(tender) == (TenderStatus.EVALUATION, LotStatus.EVALUATION)
    # the bid is under review again: the officer disqualifies it and awards the next
    review = award.review
    review.refresh_from_db()
    assert review.status == ReviewStatus.PROPOSED
    services.review_disqualify(review=review, actor=officer_signer.user, reason="면허 만료")
    nxt = Evaluation.objects.get(lot__tender=tender).reviews.get(status=ReviewStatus.PROPOSED)
    second = services.award_make(
        review=nxt,
        actor=officer_signer.user,
        signature=officer_signer.sign(services.award_statement(nxt)),
    )
    assert second.review.bid.supplier == bidders[0].supplier
    assert Award.objects.filter(status__in=["pending", "active"]).count() == 1


def test_only_bidders_of_the_lot_complain_and_only_during_the_standstill(
    awarded, bidders, third_bidder, outsider
):
    tender, award = awarded
    with pytest.raises(PermissionDenied, match="bidders of this lot"):
        file(award, third_bidder)  # registered, but did not bid
    with pytest.raises(PermissionDenied):
        complaints.complaint_file(
            award=award, supplier=bidders[0].supplier, actor=outsider, text="x"
        )
    with pytest.raises(EvaluationError, match="grounds"):
        file(award, bidders[0], text="  ")
    after_standstill(tender, award)
    with pytest.raises(EvaluationError, match="ended"):
        file(award, bidders[0])
    assert not award.complaints.exists()


def test_only_the_review_body_decides_and_always_with_reasons(
    awarded, bidders, officer, reviewer, operator
):
    _, award = awarded
    complaint = file(award, bidders[0])
    for person in (officer, bidders[0].user, operator):
        with pytest.raises(PermissionDenied):
            complaints.complaint_accept(complaint=complaint, actor=person)
    with pytest.raises(EvaluationError, match="cannot be done now"):
        complaints.complaint_decide(complaint=complaint, actor=reviewer, upheld=True, reason="x")
    with pytest.raises(EvaluationError, match="reasons"):
        complaints.complaint_reject(complaint=complaint, actor=reviewer, reason="")
    complaints.complaint_reject(complaint=complaint, actor=reviewer, reason="기간 경과 후 접수")
    complaint.refresh_from_db()
    assert complaint.status == ComplaintStatus.DISMISSED
    assert complaint.decision_reason == "기간 경과 후 접수"


def test_the_complainant_may_withdraw_and_nobody_else(awarded, bidders):
    tender, award = awarded
    complaint = file(award, bidders[0])
    with pytest.raises(PermissionDenied):
        complaints.complaint_withdraw(complaint=complaint, actor=bidders[1].user)
    complaints.complaint_withdraw(complaint=complaint, actor=bidders[0].user)
    after_standstill(tender, award)
    assert complaints.awards_finalise_due() == 1
