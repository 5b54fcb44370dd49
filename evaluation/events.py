"""Live events of evaluation and award, and the public form of what they decide. From the
opening on, bids are public; so is every step of their evaluation."""

from core.live import live_publish, tender_topic

REVIEW_CHANGED = "evaluation.review"
AWARD_CHANGED = "award.changed"


def estimate_payload(prices: list[int], estimate) -> dict:
    """Everything needed to recompute a qualification review's estimated price."""
    return {
        "prices": list(prices),
        "pick_counts": {str(number): count for number, count in estimate.pick_counts.items()},
        "chosen": estimate.chosen,
        "estimated": estimate.estimated,
        "floor_rate_pct": str(estimate.floor_rate_pct),
        "floor": estimate.floor,
    }


def _decimal(value) -> str | None:
    return None if value is None else str(value)


def review_payload(review) -> dict:
    bid = review.bid
    return {
        "review": review.pk,
        "bid": bid.pk,
        "lot": review.evaluation.lot.number,
        "supplier": bid.supplier.organisation.code,
        "supplier_name": bid.supplier.organisation.name,
        "amount": bid.amount,
        "reserve_picks": bid.reserve_picks,
        "rank": review.rank,
        "status": review.status,
        "capability_score": _decimal(review.capability_score),
        "evidence": review.evidence,
        "technical_score": _decimal(review.technical_score),
        "price_score": _decimal(review.price_score),
        "total_score": _decimal(review.total_score),
        "reason": review.reason,
    }


def award_payload(award) -> dict:
    return {
        "award": award.pk,
        "lot": award.lot.number,
        "bid": award.review.bid_id,
        "supplier": award.review.bid.supplier.organisation.code,
        "amount": award.review.bid.amount,
        "status": award.status,
        "decided_at": award.decided_at.isoformat(),
        "standstill_until": award.standstill_until.isoformat(),
        "signer_certificate": award.signer,
        "reason": award.reason,
    }


def review_changed(review) -> None:
    live_publish(
        topics=[tender_topic(review.evaluation.lot.tender_id)],
        kind=REVIEW_CHANGED,
        payload=review_payload(review),
    )


def award_changed(award) -> None:
    live_publish(
        topics=[tender_topic(award.lot.tender_id)], kind=AWARD_CHANGED, payload=award_payload(award)
    )


COMPLAINT_CHANGED = "complaint.changed"


def complaint_payload(complaint) -> dict:
    """The docket entry: who complained, when, on what grounds, and the decision."""
    return {
        "complaint": complaint.pk,
        "award": complaint.award_id,
        "lot": complaint.award.lot.number,
        "supplier": complaint.supplier.organisation.code,
        "supplier_name": complaint.supplier.organisation.name,
        "filed_at": complaint.filed_at.isoformat(),
        "text": complaint.text,
        "documents": [
            {"id": d.pk, "name": d.name, "sha256": d.sha256, "size": d.size}
            for d in complaint.documents.all()
        ],
        "status": complaint.status,
        "decided_at": complaint.decided_at.isoformat() if complaint.decided_at else None,
        "reason": complaint.decision_reason,
    }


def complaint_changed(complaint) -> None:
    live_publish(
        topics=[tender_topic(complaint.award.lot.tender_id)],
        kind=COMPLAINT_CHANGED,
        payload=complaint_payload(complaint),
    )


COMMITTEE_CHANGED = "committee.changed"


def committee_payload(evaluation) -> dict:
    """How far the committee is; never a score before the award."""
    members = list(evaluation.members.all())
    return {
        "lot": evaluation.lot.number,
        "members": len(members),
        "declared": sum(1 for m in members if m.declared_at),
        "submitted": sum(1 for m in members if m.submitted_at),
    }


def committee_changed(evaluation) -> None:
    live_publish(
        topics=[tender_topic(evaluation.lot.tender_id)],
        kind=COMMITTEE_CHANGED,
        payload=committee_payload(evaluation),
    )
