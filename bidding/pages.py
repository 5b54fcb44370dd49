"""The browser pages of sealed bidding: the supplier's bid page, the opening officer's
shares, and the public opening. Each page is a shell that the browser fills from the API:
signing, sealing and unsealing shares happen in the page (static/js), never on the server."""

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _

from accounts.models import Role
from accounts.permissions import organisations_where
from core import clock
from core.live import tender_topic, topic_head
from procurement.models import TenderStatus
from procurement.selectors import status_labels_json, tenders_public

from . import publication
from .api_opening import opening_state
from .models import BidStatus, OpeningKey, OpeningShare, TenderRegistration


def _sealed_tender(pk: int):
    tender = get_object_or_404(tenders_public(), pk=pk)
    if not tender.opening_public_key:
        raise Http404("This tender takes no sealed bids.")
    return tender


@login_required
def bid_page(request, pk: int):
    """Fill in, sign and seal a bid for one of your registered companies; replace or
    withdraw it and keep the receipts."""
    tender = _sealed_tender(pk)
    registrations = (
        TenderRegistration.objects.filter(
            tender=tender,
            supplier__organisation__in=organisations_where(
                request.user, Role.BIDDER, Role.SUPPLIER_ADMIN
            ),
        )
        .select_related("supplier__organisation")
        .order_by("supplier__organisation__name")
    )
    companies = [
        {"brn": r.supplier.organisation.code, "name": r.supplier.organisation.name}
        for r in registrations
    ]
    terms = tender.terms
    now = clock.now()
    lots = list(tender.lots.order_by("number"))
    config = {
        "tender": tender.ocid,
        "publicKey": tender.opening_public_key,
        "picks": terms["reserve_price_picks"] if terms.get("uses_reserve_prices") else 0,
        "reservePrices": terms["reserve_price_count"] if terms.get("uses_reserve_prices") else 0,
        "companies": companies,
        "submit": reverse("api-bid-submit", args=[tender.pk, 0]).replace(
            "/lots/0/", "/lots/{lot}/"
        ),
        "myBids": reverse("api-my-bids", args=[tender.pk]),
        "withdraw": reverse("api-bid-withdraw", args=[0]).replace("/bids/0/", "/bids/{bid}/"),
        "receipt": reverse("api-receipt", args=["NUMBER"]).replace("NUMBER", "{number}"),
        "lots": {lot.number: lot.title for lot in lots},
        "statuses": {status.value: str(status.label) for status in BidStatus},
    }
    return render(
        request,
        "bidding/bid.html",
        {
            "tender": tender,
            "lots": lots,
            "companies": companies,
            "config": config,
            "pick_range": range(1, config["reservePrices"] + 1),
            "bidding_open": tender.status in (TenderStatus.NOTICE, TenderStatus.BIDDING)
            and tender.bid_open_at <= now < tender.bid_close_at,
            "server_time": now,
            "statuses_json": status_labels_json(),
        },
    )


@login_required
def officer_shares(request):
    """An opening officer's receiving key and their shares of tenders' opening keys."""
    now = clock.now()
    shares = list(publication.opening_shares_of(request.user))
    for share in shares:
        share.standing = publication.share_standing(share, now=now)
    return render(
        request,
        "bidding/officer_shares.html",
        {
            "shares": shares,
            "is_opening_officer": organisations_where(request.user, Role.OPENING_OFFICER).exists(),
            "config": {
                "receivingKey": reverse("api-receiving-key"),
                "shares": reverse("api-opening-shares"),
                "received": reverse("api-opening-share-received", args=[0]).replace(
                    "/shares/0/", "/shares/{tender}/"
                ),
                "officer": request.user.pk,
            },
        },
    )


def opening_page(request, pk: int):
    """The opening, public and live: shares entered, progress, then every result, the
    reserve prices and the opening private key. Designated officers enter their share here."""
    live_seq = topic_head(tender_topic(pk))  # before the state is read, as the tender page
    tender = _sealed_tender(pk)
    key = OpeningKey.objects.filter(tender=tender).first()
    if key is None:
        raise Http404
    my_share = (
        OpeningShare.objects.filter(opening_key=key, officer=request.user).first()
        if request.user.is_authenticated
        else None
    )
    return render(
        request,
        "bidding/opening.html",
        {
            "tender": tender,
            "state": opening_state(tender, key),
            "my_share": my_share,
            "live_seq": live_seq,
            "after_deadline": clock.now() >= tender.bid_close_at,
            "server_time": clock.now(),
            "statuses_json": status_labels_json(),
            "labels": {
                "statuses": {status.value: str(status.label) for status in BidStatus},
                # Translators: %(lot)s is a lot number
                "reservePrices": _("Reserve prices of lot %(lot)s"),
                "number": _("No."),
                "price": _("Reserve price"),
                "commitment": _("Commitment (SHA-256)"),
                "of": _("of"),
            },
            "config": {
                "state": reverse("api-tender-opening", args=[tender.pk]),
                "share": reverse("api-opening-share", args=[tender.pk]),
                "envelopes": reverse("api-envelopes", args=[tender.pk]),
                "tenderId": tender.pk,
            },
        },
    )
