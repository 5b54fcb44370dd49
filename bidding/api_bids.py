"""Sealed bids over the API: submit, list your own, download a receipt, withdraw.

Envelopes can be 20 MiB, more than the platform's general request limit, so these
endpoints read their JSON body themselves, up to what a maximal envelope needs in base64.
"""

import base64
import binascii
import functools
import json

from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import (
    api_view,
    parser_classes,
    permission_classes,
)
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.tokens import (
    IsAuthenticatedOrClaimed,
    TokenClaim,
    claimed_user,
)
from procurement.selectors import tenders_public

from . import selectors, submission
from .envelope import MAX_SEALED_BYTES
from .exceptions import BidRefused
from .models import Bid, Receipt
from .receipts import receipt_bundle, receipt_bundle_data

# base64 of the largest envelope, a signature and the JSON around them
MAX_BODY_BYTES = (MAX_SEALED_BYTES * 4) // 3 + 256 * 1024
# A body larger than this is read, hashed and its signature checked only once the API token
# holds (a statement of its own): without it anyone could make the platform hash 20 MiB and
# check a signature for nothing. A bid without documents is a few KiB and keeps the token's
# check within the submission's read.
TOKEN_FIRST_BYTES = 64 * 1024


class SubmissionSerializer(serializers.Serializer):
    envelope = serializers.CharField(help_text="the sealed envelope (enc || ciphertext), base64")
    signature = serializers.CharField(
        help_text="your detached CMS signature over the sealed envelope (DER), base64"
    )


class WithdrawalSerializer(serializers.Serializer):
    statement = serializers.CharField(
        help_text="the canonical withdrawal statement for this envelope, base64"
    )
    signature = serializers.CharField(help_text="your detached CMS signature over it, base64")


class ReceiptSerializer(serializers.ModelSerializer):
    """The schema of a receipt; `receipt_data` makes it."""

    receipt = serializers.SerializerMethodField()
    bundle = serializers.SerializerMethodField(
        help_text="the receipt bundle to keep (format jangteo-receipt-bundle/1)"
    )

    class Meta:
        model = Receipt
        fields = ["number", "kind", "issued_at", "receipt", "bundle"]

    def get_receipt(self, receipt) -> dict:
        return json.loads(bytes(receipt.body))

    def get_bundle(self, receipt) -> dict:
        return json.loads(_bundle(receipt))

    def to_representation(self, instance):
        return receipt_data(instance)


class BidSerializer(serializers.ModelSerializer):
    """The schema of a bid; `bid_data` makes it."""

    tender = serializers.CharField(source="tender.ocid")
    lot = serializers.IntegerField(source="lot.number")
    supplier = serializers.CharField(source="supplier.organisation.code")
    receipts = serializers.SerializerMethodField()

    def get_receipts(self, bid) -> list[dict]:
        return [receipt_data(receipt) for receipt in bid.receipts.all()]

    def to_representation(self, instance):
        return bid_data(instance, self.context.get("receipts") or instance.receipts.all())

    class Meta:
        model = Bid
        fields = [
            "id", "tender", "lot", "supplier", "status", "sha256", "size", "received_at",
            "closed_at", "receipts",
        ]  # fmt: skip


# What the serializers above describe, built directly: a DRF serializer costs a millisecond
# a bid, a tenth of what the whole submission now takes.
_moment = serializers.DateTimeField()  # ISO 8601 in the current time zone, as DRF renders


def receipt_data(receipt: Receipt) -> dict:
    body, signature, timestamp = (
        bytes(receipt.body),
        bytes(receipt.signature),
        bytes(receipt.timestamp),
    )
    bundle = receipt_bundle_data(body=body, signature=signature, timestamp=timestamp)
    return {
        "number": receipt.number,
        "kind": str(receipt.kind),
        "issued_at": _moment.to_representation(receipt.issued_at),
        "receipt": bundle["receipt"],  # the body parsed once: the same object, rendered twice
        "bundle": bundle,
    }


def bid_data(bid: Bid, receipts) -> dict:
    return {
        "id": bid.pk,
        "tender": bid.tender.ocid,
        "lot": bid.lot.number,
        "supplier": bid.supplier.organisation.code,
        "status": str(bid.status),
        "sha256": bid.sha256,
        "size": bid.size,
        "received_at": _moment.to_representation(bid.received_at),
        "closed_at": _moment.to_representation(bid.closed_at),
        "receipts": [receipt_data(receipt) for receipt in receipts],
    }


def _bundle(receipt: Receipt) -> bytes:
    return receipt_bundle(
        body=bytes(receipt.body),
        signature=bytes(receipt.signature),
        timestamp=bytes(receipt.timestamp),
    )


def _refused(error: BidRefused) -> Response:
    return Response({"detail": " ".join(error.messages), "code": error.code}, status=error.status)


def _declared_length(request) -> int | None:
    """The body's length as the request declares it (none: 0); None when it is not a number."""
    length = request.META.get("CONTENT_LENGTH") or "0"
    return int(length) if length.isdigit() else None


def _json_body(request, serializer_class):
    """The request's JSON, read here up to MAX_BODY_BYTES; (data, None) or (None, error)."""
    length = _declared_length(request)
    if length is None or length > MAX_BODY_BYTES:
        return None, Response(
            {"detail": "The request is larger than a 20 MiB envelope needs.", "code": "size"},
            status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
        )
    raw = request._request.read(length)
    try:
        data = json.loads(raw or b"null")
    except ValueError:
        return None, Response({"detail": "Send JSON.", "code": "json"}, status=400)
    values = _plain_fields(data, serializer_class)
    if values is None:  # the serializer says what is wrong, as it always has
        payload = serializer_class(data=data)
        payload.is_valid(raise_exception=True)
        values = payload.validated_data
    decoded = {}
    for name, value in values.items():
        try:
            decoded[name] = base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            return None, Response(
                {"detail": f"{name} is not base64.", "code": "base64"}, status=400
            )
    return decoded, None


@functools.cache
def _field_names(serializer_class) -> tuple[str, ...]:
    return tuple(serializer_class().fields)


def _plain_fields(data, serializer_class) -> dict | None:
    """The fields as the serializer's CharFields would give them (stripped), when each is
    a non-blank ASCII string without NUL, as base64 is; None for anything else."""
    if not isinstance(data, dict):
        return None
    values = {}
    for name in _field_names(serializer_class):
        value = data.get(name)
        if not isinstance(value, str) or not value.isascii() or "\x00" in value:
            return None
        values[name] = value.strip()
        if not values[name]:
            return None
    return values


class BidSubmit(APIView):
    """Submit a signed, sealed envelope for a lot (docs/bid-envelope.md)."""

    parser_classes = []
    # JSON only: an envelope is posted by a program (the browser's page or a client), never
    # browsed, and choosing among renderers cost every submission a negotiation.
    renderer_classes = [JSONRenderer]
    # An API token is checked by the submission's own read (one statement fewer a bid at a
    # deadline); whatever is answered before that read checks the token first, and so does
    # a body larger than TOKEN_FIRST_BYTES, before it is read.
    checks_token_claims = True
    permission_classes = [IsAuthenticatedOrClaimed]

    @extend_schema(
        request=SubmissionSerializer,
        responses={200: BidSerializer, 201: BidSerializer},
        parameters=[
            OpenApiParameter(
                "Idempotency-Key",
                str,
                OpenApiParameter.HEADER,
                description="send the same key when you retry: you get the first receipt back",
            )
        ],
    )
    def post(self, request, pk: int, lot: int):
        """Submit a signed, sealed envelope for a lot (docs/bid-envelope.md). 201 with the
        bid and its receipt; 200 with the same when an Idempotency-Key is retried. 400
        malformed or wrongly signed, 401 no valid API token, 403 not yours to submit, 404 no
        such published tender, 409 outside the bid window, a reused key or a concurrent
        submission of your company for the lot (send it again), 413 too large: none of them
        stores anything."""
        # Whether the tender exists is read with the rest of the submission's context: a
        # body that is not even JSON is refused before that, whatever the tender.
        claim = request.auth if isinstance(request.auth, TokenClaim) else None
        actor = request.user
        if claim is not None and (_declared_length(request) or 0) > TOKEN_FIRST_BYTES:
            actor, claim = claimed_user(claim), None
        try:
            data, error = _json_body(request, SubmissionSerializer)
        except ValidationError:
            if claim is not None:
                claimed_user(claim)
            raise
        if error:
            if claim is not None:
                claimed_user(claim)
            return error
        try:
            accepted = submission.bid_submit(
                tender_id=pk,
                lot_number=lot,
                sealed=data["envelope"],
                signature=data["signature"],
                actor=None if claim is not None else actor,
                token=claim,
                idempotency_key=request.headers.get("Idempotency-Key", ""),
            )
        except BidRefused as refusal:
            return _refused(refusal)
        # A new bid has exactly the one receipt at hand: no query for it.
        receipts = accepted.bid.receipts.all() if accepted.replayed else [accepted.receipt]
        response = Response(
            bid_data(accepted.bid, receipts),
            status=status.HTTP_200_OK if accepted.replayed else status.HTTP_201_CREATED,
        )
        if accepted.replayed:
            response["Idempotent-Replayed"] = "true"
        return response


bid_submit = BidSubmit.as_view()


@extend_schema(responses={200: BidSerializer(many=True)})
@api_view(["GET"])
@permission_classes([IsAuthenticated])
def my_bids(request, pk: int):
    """Your companies' envelopes for the tender, each with its receipts (replaced and
    withdrawn ones too). Before the opening nobody sees anyone else's."""
    tender = get_object_or_404(tenders_public(), pk=pk)
    bids = selectors.bids_of_bidder(request.user).filter(tender=tender)
    return Response(BidSerializer(bids, many=True).data)


@extend_schema(request=WithdrawalSerializer, responses={200: ReceiptSerializer})
@api_view(["POST"])
@parser_classes([])
@permission_classes([IsAuthenticated])
def bid_withdraw(request, pk: int):
    """Withdraw your sealed envelope before the deadline, signing the withdrawal statement
    (docs/bid-envelope.md); returns the withdrawal receipt."""
    bid = get_object_or_404(selectors.bids_of_bidder(request.user), pk=pk)
    data, error = _json_body(request, WithdrawalSerializer)
    if error:
        return error
    try:
        receipt = submission.bid_withdraw(
            bid=bid, statement=data["statement"], signature=data["signature"], actor=request.user
        )
    except BidRefused as refusal:
        return _refused(refusal)
    return Response(ReceiptSerializer(receipt).data)


@extend_schema(responses={(200, "application/json"): bytes})
@api_view(["GET"])
@permission_classes([IsAuthenticated])
def receipt_download(request, number: str):
    """One of your receipts as the bundle file to keep and check offline."""
    receipt = get_object_or_404(selectors.receipts_of_bidder(request.user), number=number)
    response = HttpResponse(_bundle(receipt), content_type="application/json")
    response["Content-Disposition"] = f'attachment; filename="{receipt.number}.json"'
    return response
