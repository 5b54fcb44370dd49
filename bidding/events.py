"""Live events of the opening and the public form of a bid's result."""

from .models import Bid, BidStatus

OPENING_SHARE_ENTERED = "opening.share_entered"
OPENING_PROGRESS = "opening.progress"
OPENING_COMPLETED = "opening.completed"

PUBLIC_STATUSES = (BidStatus.OPENED, BidStatus.REJECTED)


def results_queryset(tender):
    """The opened and rejected bids, the public results from the opening on."""
    return (
        Bid.objects.filter(tender=tender, status__in=PUBLIC_STATUSES)
        .select_related("lot", "supplier__organisation")
        .order_by("lot__number", "amount", "received_at")
    )


def bid_result(bid: Bid) -> dict:
    """What everyone may know of a bid once the tender is opened."""
    return {
        "id": bid.pk,
        "lot": bid.lot.number,
        "supplier": bid.supplier.organisation.code,
        "supplier_name": bid.supplier.organisation.name,
        "status": bid.status,
        "amount": bid.amount,
        "reserve_picks": bid.reserve_picks,
        "received_at": bid.received_at.isoformat(),
        "envelope_sha256": bid.sha256,
        "rejection_code": bid.rejection_code,
        "rejection_reason": bid.rejection_reason,
    }
