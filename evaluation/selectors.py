"""What the public, and each participant, may read of an evaluation."""

from accounts.models import OrganisationKind, Role, User
from accounts.permissions import has_role, organisations_where
from bidding.models import Bid, BidStatus

from . import events
from .models import Award, AwardStatus, Complaint, Evaluation


def _member_scores(evaluation: Evaluation) -> list[dict] | None:
    """Each member's signed scores, published once the lot has been awarded."""
    if not evaluation.lot.awards.exists():
        return None
    return [
        {
            "member": member.pk,
            "submitted_at": member.submitted_at.isoformat() if member.submitted_at else None,
            "scores": [
                {"bid": s.review.bid_id, "criterion": s.criterion, "score": str(s.score)}
                for s in member.scores.select_related("review")
            ],
        }
        for member in evaluation.members.all()
    ]


def lot_evaluation_public(evaluation: Evaluation) -> dict:
    lot = evaluation.lot
    reviews = evaluation.reviews.select_related("bid__supplier__organisation", "evaluation__lot")
    awards = lot.awards.select_related("review__bid__supplier__organisation", "lot")
    complaints = (
        Complaint.objects.filter(award__lot=lot)
        .select_related("award__lot", "supplier__organisation")
        .prefetch_related("documents")
    )
    payload = {
        "lot": lot.number,
        "lot_id": lot.pk,
        "evaluation": evaluation.pk,
        "title": lot.title,
        "status": lot.status,
        "status_reason": lot.status_reason,
        "method": evaluation.method,
        "started_at": evaluation.started_at.isoformat(),
        "estimate": evaluation.estimate,
        "reviews": [events.review_payload(review) for review in reviews],
        "awards": [events.award_payload(award) for award in awards],
        "complaints": [events.complaint_payload(complaint) for complaint in complaints],
    }
    if evaluation.method == "best_value":
        payload["committee"] = events.committee_payload(evaluation)
        payload["criteria"] = lot.tender.terms.get("technical_criteria", [])
        payload["member_scores"] = _member_scores(evaluation)
    return payload


def tender_evaluation_public(tender) -> list[dict]:
    """Every lot's evaluation, from the opening on (none before)."""
    evaluations = Evaluation.objects.filter(lot__tender=tender).select_related("lot__tender")
    return [lot_evaluation_public(e) for e in evaluations.order_by("lot__number")]


def evaluators_of(tender) -> list[dict]:
    """Who the officer may appoint to a committee: the buyer's evaluators."""
    people = User.objects.filter(
        memberships__organisation_id=tender.buyer_id, memberships__role=Role.EVALUATOR
    ).distinct()
    return [{"id": p.pk, "name": p.display_name or p.username} for p in people.order_by("pk")]


def may_evaluate(user, tender) -> bool:
    return has_role(user, tender.buyer_id, Role.PROCUREMENT_OFFICER)


def is_review_body(user) -> bool:
    return organisations_where(user, Role.REVIEWER).filter(kind=OrganisationKind.PLATFORM).exists()


def complainable_awards(user, tender) -> list[tuple]:
    """(award, supplier) pairs: pending awards of `tender` that a company `user` acts for
    may complain about, because it bid on the lot (its bid opened or rejected)."""
    companies = organisations_where(user, Role.BIDDER, Role.SUPPLIER_ADMIN)
    pairs = []
    for award in Award.objects.filter(lot__tender=tender, status=AwardStatus.PENDING):
        bids = Bid.objects.filter(
            lot_id=award.lot_id,
            status__in=[BidStatus.OPENED, BidStatus.REJECTED],
            supplier__organisation__in=companies,
        ).select_related("supplier__organisation")
        pairs.extend((award, bid.supplier) for bid in bids)
    return pairs
