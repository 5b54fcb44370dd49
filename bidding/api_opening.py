"""The opening over the API: its public state and results, every envelope for anyone to
re-open, and the officers' share entry."""

import base64

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import api_view, permission_classes
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from procurement.selectors import tenders_public

from . import events, opening
from .exceptions import ShareRefused
from .models import Bid, OpeningKey, ReservePriceSet


class ShareSerializer(serializers.Serializer):
    share = serializers.CharField(help_text="your share's words (SLIP-39), as you wrote them")


def _key(tender) -> OpeningKey:
    key = OpeningKey.objects.filter(tender=tender).first()
    if key is None:
        raise Http404
    return key


def opening_state(tender, key: OpeningKey) -> dict:
    """Everything public about the opening: before it completes, only the public key and
    how many shares are in; after it, the private key, the reserve prices and the results."""
    done = key.completed_at is not None
    state = {
        "tender": tender.ocid,
        "public_key": bytes(key.public_key).hex(),
        "threshold": key.threshold,
        "shares": key.share_count,
        "shares_entered": key.shares.filter(entered_at__isnull=False).count(),
        "key_rebuilt_at": key.rebuilt_at,
        "completed_at": key.completed_at,
        "private_key": bytes(key.private_key).hex() if done else None,
        "reserve_prices": [
            {
                "lot": prices.lot.number,
                "commitment": prices.commitment,
                "revealed": base64.b64encode(bytes(prices.revealed)).decode() if done else None,
                "prices": prices.prices if done else None,
            }
            for prices in ReservePriceSet.objects.filter(lot__tender=tender).select_related("lot")
        ],
        "results": [events.bid_result(bid) for bid in events.results_queryset(tender)]
        if done
        else None,
    }
    return state


@extend_schema(responses={200: dict})
@api_view(["GET"])
def tender_opening(request, pk: int):
    """The opening of a tender: public key and shares entered; once complete, the private
    key, the revealed reserve prices (with the plaintext their commitment covers) and every
    bid's result."""
    tender = get_object_or_404(tenders_public(), pk=pk)
    return Response(opening_state(tender, _key(tender)))


@extend_schema(request=ShareSerializer, responses={200: dict})
@api_view(["POST"])
@permission_classes([IsAuthenticated])
def opening_share(request, pk: int):
    """Opening officers: enter your share after the bid deadline (403 if you hold none for
    this tender, 400/409 with a code otherwise; every attempt is audited)."""
    tender = get_object_or_404(tenders_public(), pk=pk)
    payload = ShareSerializer(data=request.data)
    payload.is_valid(raise_exception=True)
    try:
        entry = opening.opening_share_enter(
            tender=tender, actor=request.user, share=payload.validated_data["share"]
        )
    except PermissionDenied as denied:
        return Response({"detail": str(denied), "code": "not_designated"}, status=403)
    except ShareRefused as refusal:
        conflict = refusal.code in ("too_early", "opened")
        return Response(
            {"detail": " ".join(refusal.messages), "code": refusal.code},
            status=status.HTTP_409_CONFLICT if conflict else status.HTTP_400_BAD_REQUEST,
        )
    return Response(
        {"entered": entry.entered, "needed": entry.needed, "key_rebuilt": entry.key_rebuilt}
    )


ENVELOPE_NOT_PUBLIC = _("Envelopes are public only from the end of the opening.")


def _opened_bids(tender):
    key = _key(tender)
    if key.completed_at is None:
        raise Http404(ENVELOPE_NOT_PUBLIC)
    return Bid.objects.filter(tender=tender, status__in=events.PUBLIC_STATUSES)


@extend_schema(responses={200: dict})
@api_view(["GET"])
def tender_envelopes(request, pk: int):
    """After the opening: every opened or rejected envelope with its submitter's signature
    and result, to re-open with the published private key (jangteo-client verify-opening)."""
    tender = get_object_or_404(tenders_public(), pk=pk)
    bids = _opened_bids(tender).select_related("lot", "supplier__organisation")
    return Response(
        [
            {
                **events.bid_result(bid),
                "envelope_url": request.build_absolute_uri(f"/api/v1/bids/{bid.pk}/envelope"),
                "outer_signature": base64.b64encode(bytes(bid.outer_signature)).decode(),
                "size": bid.size,
            }
            for bid in bids.order_by("received_at", "pk")
        ]
    )


@extend_schema(responses={(200, "application/octet-stream"): bytes})
@api_view(["GET"])
def envelope_download(request, pk: int):
    """One sealed envelope, byte for byte, once its tender's opening is complete."""
    # One answer for every envelope that is not public, whether it exists or not: two
    # different 404s would let anyone count the bids stored before the opening.
    bid = (
        Bid.objects.filter(
            pk=pk,
            tender__in=tenders_public(),
            tender__opening_key__completed_at__isnull=False,
            status__in=events.PUBLIC_STATUSES,
        )
        .only("pk", "sealed")
        .first()
    )
    if bid is None:
        raise Http404(ENVELOPE_NOT_PUBLIC)
    response = HttpResponse(bytes(bid.sealed), content_type="application/octet-stream")
    response["Content-Disposition"] = f'attachment; filename="envelope-{bid.pk}.bin"'
    return response
