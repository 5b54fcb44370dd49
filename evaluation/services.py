"""Evaluating a lot and awarding it, by the method its tender's procedure names.

Lowest price and qualification review review the opened bids one at a time, in order:
the bid under review is awarded, or disqualified with a reason (or, in a qualification
review, scored below the pass mark), and the next is proposed; when none remains the lot is
unsuccessful. Best value waits for its committee (evaluation.committee). The award is the
officer's signed statement; it opens the standstill (core.workdays).
"""

from datetime import timedelta
from decimal import Decimal

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from bidding.envelope import canonical_json
from bidding.models import Bid, BidStatus
from core import clock
from core.audit import audit_record, tender_stream
from core.workdays import working_days_after
from esign.person_signature import person_signature_check
from procurement import lots
from procurement.models import Lot, LotStatus, Method, Tender
from suppliers.selectors import supplier_refusals

from . import events, selectors
from .estimated_price import estimated_price
from .exceptions import EvaluationError
from .models import Award, BidReview, Evaluation, ReviewStatus
from .scoring import qualification_score

AWARD_FORMAT = "jangteo-award/1"


def lot_audit(lot: Lot, kind: str, actor, data: dict, obj=None) -> None:
    """An evaluation event on the tender's public stream."""
    audit_record(
        stream=tender_stream(lot.tender.ocid),
        kind=kind,
        actor=actor,
        obj=obj or lot,
        data={"lot": lot.number, **data},
    )


def _require_officer(lot: Lot, actor) -> None:
    if not selectors.may_evaluate(actor, lot.tender):
        raise PermissionDenied(_("Only the buying agency's procurement officers evaluate."))


# --- start -----------------------------------------------------------------------------------


def evaluation_start(*, lot: Lot) -> Evaluation:
    """The platform, in the transaction that completes the opening: rank the lot's opened
    bids by the method and put the first under review. Nothing to review: unsuccessful."""
    terms = lot.tender.terms
    bids = list(
        Bid.objects.filter(lot=lot, status=BidStatus.OPENED)
        .select_related("supplier__organisation")
        .order_by("amount", "received_at", "id")
    )
    evaluation = Evaluation.objects.create(lot=lot, method=terms["method"], started_at=clock.now())
    in_range = bids
    if evaluation.method == Method.QUALIFICATION_REVIEW:
        estimate = estimated_price(
            lot.reserve_prices.prices,
            [bid.reserve_picks for bid in bids],
            chosen=terms["reserve_price_chosen"],
            floor_rate_pct=Decimal(terms["floor_rate_pct"]),
        )
        evaluation.estimate = events.estimate_payload(lot.reserve_prices.prices, estimate)
        evaluation.save(update_fields=["estimate"])
        in_range = [bid for bid in bids if estimate.within(bid.amount)]
    # Best value is ranked by its committee, at the end (evaluation.committee).
    ranked = (
        {}
        if evaluation.method == Method.BEST_VALUE
        else {bid.pk: rank for rank, bid in enumerate(in_range, start=1)}
    )
    reviews = [BidReview(evaluation=evaluation, bid=bid, rank=ranked.get(bid.pk)) for bid in bids]
    for review in reviews:
        if review.rank is None and evaluation.method != Method.BEST_VALUE:
            review.out_of_range(reason=_out_of_range_reason(review.bid.amount, evaluation.estimate))
    # One statement for all of them, inside the opening's transaction: a tender's thousand
    # bids were a thousand inserts (and more updates) before the opening could complete.
    BidReview.objects.bulk_create(reviews)
    lot_audit(
        lot,
        "evaluation.started",
        None,
        {"method": evaluation.method, "bids": len(bids), "estimate": evaluation.estimate},
        obj=evaluation,
    )
    if len(bids) < terms["min_bids"]:
        lots.lot_fail(
            lot=lot,
            actor=None,
            reason=_("%(n)s valid bids; the procedure needs at least %(min)s.")
            % {"n": len(bids), "min": terms["min_bids"]},
        )
    elif evaluation.method != Method.BEST_VALUE:
        _propose_next(evaluation, actor=None)
    return evaluation


def _out_of_range_reason(amount: int, estimate: dict) -> str:
    if amount > estimate["estimated"]:
        return _("Above the estimated price.")
    return _("Below the floor (%(rate)s %% of the estimated price).") % {
        "rate": estimate["floor_rate_pct"]
    }


def _propose_next(evaluation: Evaluation, *, actor) -> BidReview | None:
    """Put the next waiting bid under review, or declare the lot unsuccessful."""
    review = (
        evaluation.reviews.select_for_update()
        .filter(status=ReviewStatus.WAITING, rank__isnull=False)
        .order_by("rank")
        .first()
    )
    if review is None:
        lots.lot_fail(lot=evaluation.lot, actor=actor, reason=_("No bid remains after the review."))
        return None
    review.propose()
    review.save()
    events.review_changed(review)
    return review


# --- reviewing the bid under review ----------------------------------------------------------


def _locked_review(review: BidReview) -> BidReview:
    return (
        BidReview.objects.select_for_update(of=("self",))
        .select_related("evaluation__lot__tender", "bid__supplier__organisation")
        .get(pk=review.pk)
    )


def _under_review(review: BidReview, actor) -> BidReview:
    # The tender, then the lot, then the review: the order procurement.lots locks in.
    lot = Lot.objects.select_related("tender").get(pk=review.evaluation.lot_id)
    Tender.objects.select_for_update().get(pk=lot.tender_id)
    lot = Lot.objects.select_for_update().get(pk=lot.pk)
    review = _locked_review(review)
    _require_officer(lot, actor)
    if lot.status != LotStatus.EVALUATION or review.status != ReviewStatus.PROPOSED:
        raise EvaluationError(_("This bid is not the one under review."), code="state")
    return review


def review_disqualify(*, review: BidReview, actor, reason: str) -> BidReview:
    """The officer disqualifies the bid under review, with the reason the public reads;
    the next bid in order is proposed (none left: the lot is unsuccessful)."""
    if not reason.strip():
        raise EvaluationError(_("Say why the bid is disqualified."), code="reason")
    with transaction.atomic():
        review = _under_review(review, actor)
        review.disqualify(actor=actor, now=clock.now(), reason=reason.strip())
        review.save()
        lot = review.evaluation.lot
        lot_audit(lot, "evaluation.disqualified", actor, events.review_payload(review), review)
        events.review_changed(review)
        _propose_next(review.evaluation, actor=actor)
    return review


def review_score(*, review: BidReview, actor, capability: Decimal, evidence: str) -> BidReview:
    """Qualification review: the officer enters the capability score of the bid under
    review with its evidence; the price score follows from the formula. Below the pass mark
    the next bid is proposed; at or above it the bid may be awarded."""
    if not evidence.strip():
        raise EvaluationError(_("Give the evidence for the capability score."), code="evidence")
    with transaction.atomic():
        review = _under_review(review, actor)
        evaluation = review.evaluation
        if evaluation.method != Method.QUALIFICATION_REVIEW:
            raise EvaluationError(_("Only a qualification review is scored."), code="method")
        terms = evaluation.lot.tender.terms
        try:
            score = qualification_score(
                amount=review.bid.amount,
                estimated=evaluation.estimate["estimated"],
                capability=Decimal(capability),
                capability_max=Decimal(terms["capability_score_max"]),
                price_max=Decimal(terms["price_score_max"]),
                price_min=Decimal(terms["price_score_min"]),
                pass_mark=Decimal(terms["pass_mark"]),
            )
        except ValueError as error:
            raise EvaluationError(str(error), code="capability") from error
        review.evidence = evidence.strip()
        now = clock.now()
        if score.passed:
            review.record_score(actor, now, score)  # stays under review, ready to award
        else:
            review.fail(actor=actor, now=now, score=score)
        review.save()
        lot = evaluation.lot
        lot_audit(lot, "evaluation.scored", actor, events.review_payload(review), review)
        events.review_changed(review)
        if not score.passed:
            _propose_next(evaluation, actor=actor)
    return review


# --- the award -------------------------------------------------------------------------------


def award_statement(review: BidReview) -> bytes:
    """What the officer signs to award: canonical JSON naming the lot, the bid (by its
    envelope's hash), the amount, the method and the scores it was decided on."""
    bid, evaluation = review.bid, review.evaluation
    return canonical_json(
        {
            "format": AWARD_FORMAT,
            "tender": evaluation.lot.tender.ocid,
            "lot": evaluation.lot.number,
            "supplier": bid.supplier.organisation.code,
            "envelope_sha256": bid.sha256,
            "amount": bid.amount,
            "method": evaluation.method,
            "estimated_price": (evaluation.estimate or {}).get("estimated"),
            "total_score": None if review.total_score is None else str(review.total_score),
        }
    )


def standstill_end(now, terms: dict):
    """N Korean working days after the award's day; a demonstration procedure may count
    minutes instead (`standstill_minutes`)."""
    if terms.get("standstill_minutes"):
        return now + timedelta(minutes=terms["standstill_minutes"])
    return working_days_after(now, terms["standstill_days"])


def award_make(*, review: BidReview, actor, signature: bytes) -> Award:
    """The officer awards the lot to the bid under review, signing `award_statement`. A
    qualification review's bid must have passed its score first. The standstill starts."""
    with transaction.atomic():
        review = _under_review(review, actor)
        evaluation, lot = review.evaluation, review.evaluation.lot
        if evaluation.method == Method.QUALIFICATION_REVIEW and review.total_score is None:
            raise EvaluationError(_("Score the bid before awarding it."), code="unscored")
        # The qualification check at the moment of the award: still verified, not debarred,
        # still licensed in one of the tender's categories.
        now = clock.now()
        refusals = supplier_refusals(
            review.bid.supplier, categories=list(lot.tender.categories.all()), now=now
        )
        if refusals:
            raise EvaluationError(
                _("The supplier does not qualify now: %(why)s Disqualify the bid with this reason.")
                % {"why": " ".join(refusals)},
                code="supplier",
            )
        statement = award_statement(review)
        certificate = person_signature_check(
            signature=signature, content=statement, person=actor, organisation=lot.tender.buyer
        )
        review.award(actor=actor, now=now)
        review.save()
        award = Award.objects.create(
            lot=lot,
            review=review,
            decided_by=actor,
            decided_at=now,
            statement=statement,
            signature=signature,
            signer=certificate.fingerprint,
            standstill_until=standstill_end(now, lot.tender.terms),
        )
        lots.lot_award(lot=lot, actor=actor, data={"award": award.pk})
        lot_audit(lot, "award.made", actor, events.award_payload(award), award)
        events.award_changed(award)
    return award
