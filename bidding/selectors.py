"""Read queries of bidding, scoped to who is asking."""

from accounts.models import Role
from accounts.permissions import organisations_where

from .models import Bid, Receipt


def bids_of_bidder(user):
    """Every envelope of the companies `user` bids for, with their receipts."""
    return (
        Bid.objects.filter(
            supplier__organisation__in=organisations_where(user, Role.BIDDER, Role.SUPPLIER_ADMIN)
        )
        .select_related("tender", "lot", "supplier__organisation")
        .prefetch_related("receipts")
        .order_by("-received_at")
    )


def receipts_of_bidder(user):
    return Receipt.objects.filter(
        bid__supplier__organisation__in=organisations_where(user, Role.BIDDER, Role.SUPPLIER_ADMIN)
    )
