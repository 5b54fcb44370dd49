"""Taking part in a tender over the API, for suppliers' own systems; opening officers'
keys and shares."""

import base64

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.decorators import api_view, permission_classes
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from accounts.models import Role
from accounts.permissions import organisations_where
from core import clock
from procurement.selectors import tenders_public
from suppliers.brn import brn_normalize
from suppliers.models import Supplier

from . import publication, services
from .exceptions import ReceivingKeyRefused, RegistrationRefused
from .models import OpeningShare, TenderRegistration


class RegistrationRequestSerializer(serializers.Serializer):
    supplier = serializers.CharField(help_text="your company's business registration number")


class TenderRegistrationSerializer(serializers.ModelSerializer):
    tender = serializers.CharField(source="tender.ocid")
    supplier = serializers.CharField(source="supplier.organisation.code")

    class Meta:
        model = TenderRegistration
        fields = ["tender", "supplier", "registered_at"]


@extend_schema(
    request=RegistrationRequestSerializer,
    responses={200: TenderRegistrationSerializer(many=True), 201: TenderRegistrationSerializer},
)
@api_view(["GET", "POST"])
@permission_classes([IsAuthenticated])
def tender_registrations(request, pk: int):
    """POST: register one of your companies for the tender (400 with every reason when it
    may not). GET: your companies' registrations for it; nobody sees others' before the
    opening."""
    tender = get_object_or_404(tenders_public(), pk=pk)
    mine = Supplier.objects.filter(
        organisation__in=organisations_where(request.user, Role.BIDDER, Role.SUPPLIER_ADMIN)
    ).select_related("organisation")
    if request.method == "GET":
        registrations = TenderRegistration.objects.filter(
            tender=tender, supplier__in=mine
        ).select_related("tender", "supplier__organisation")
        return Response(TenderRegistrationSerializer(registrations, many=True).data)
    payload = RegistrationRequestSerializer(data=request.data)
    payload.is_valid(raise_exception=True)
    supplier = mine.filter(
        organisation__code=brn_normalize(payload.validated_data["supplier"])
    ).first()
    if supplier is None:
        return Response(
            {"detail": "You act for no supplier with this number.", "code": "supplier"},
            status=status.HTTP_400_BAD_REQUEST,
        )
    try:
        registration = services.tender_register(
            tender=tender, supplier=supplier, actor=request.user
        )
    except RegistrationRefused as refusal:
        return Response(
            {"detail": " ".join(refusal.messages), "reasons": refusal.messages, "code": "refused"},
            status=status.HTTP_400_BAD_REQUEST,
        )
    return Response(TenderRegistrationSerializer(registration).data, status=status.HTTP_201_CREATED)


class ReceivingKeySerializer(serializers.Serializer):
    public_key = serializers.RegexField(
        r"^[0-9a-fA-F]{64}$", help_text="the X25519 public key, 32 bytes as hex"
    )


class ReceivingKeyRecordSerializer(serializers.Serializer):
    public_key = serializers.SerializerMethodField()
    fingerprint = serializers.CharField()
    created_at = serializers.DateTimeField()

    def get_public_key(self, key) -> str:
        return bytes(key.public_key).hex()


@extend_schema(
    request=ReceivingKeySerializer,
    responses={200: ReceivingKeyRecordSerializer, 201: ReceivingKeyRecordSerializer},
)
@api_view(["GET", "POST"])
@permission_classes([IsAuthenticated])
def receiving_key(request):
    """Opening officers: your current share-receiving key (GET; 404 when none), or a new
    one (POST). Shares of tenders published from then on are sealed to it."""
    if request.method == "GET":
        current = services.receiving_key_current(request.user)
        if current is None:
            return Response({"detail": "No share-receiving key yet."}, status=404)
        return Response(ReceivingKeyRecordSerializer(current).data)
    payload = ReceivingKeySerializer(data=request.data)
    payload.is_valid(raise_exception=True)
    try:
        key = services.receiving_key_register(
            actor=request.user, public_key=bytes.fromhex(payload.validated_data["public_key"])
        )
    except ReceivingKeyRefused as refusal:
        return Response(
            {"detail": " ".join(refusal.messages), "code": refusal.code},
            status=status.HTTP_400_BAD_REQUEST,
        )
    return Response(ReceivingKeyRecordSerializer(key).data, status=status.HTTP_201_CREATED)


class OpeningShareSerializer(serializers.ModelSerializer):
    tender = serializers.IntegerField(source="opening_key.tender_id")
    ocid = serializers.CharField(source="opening_key.tender.ocid")
    title = serializers.CharField(source="opening_key.tender.title")
    bid_close_at = serializers.DateTimeField(source="opening_key.tender.bid_close_at")
    threshold = serializers.IntegerField(source="opening_key.threshold")
    shares = serializers.IntegerField(source="opening_key.share_count")
    officer = serializers.IntegerField(source="officer_id")
    receiving_key = serializers.CharField(source="receiving_key.fingerprint")
    sealed_share = serializers.SerializerMethodField(
        help_text="HPKE-sealed to your receiving key (base64); null once you confirmed receipt"
    )
    standing = serializers.SerializerMethodField(
        help_text="what the share still asks of you: opened (the key is rebuilt, it is needed "
        "no more), cancelled (the tender was cancelled unopened), entered (waiting for the "
        "other officers), due (the deadline has passed: enter it), received (kept, enter it "
        "after the deadline), waiting (still sealed here: read it and write it down)"
    )
    opened_at = serializers.DateTimeField(source="opening_key.rebuilt_at", read_only=True)

    class Meta:
        model = OpeningShare
        fields = [
            "tender", "ocid", "title", "bid_close_at", "threshold", "shares", "member_index",
            "officer", "receiving_key", "sealed_share", "received_at", "entered_at",
            "standing", "opened_at",
        ]  # fmt: skip

    @extend_schema_field(serializers.ChoiceField(choices=publication.SHARE_STANDINGS))
    def get_standing(self, share) -> str:
        if "now" not in self.context:  # one reading of the clock for the whole list
            self.context["now"] = clock.now()
        return publication.share_standing(share, now=self.context["now"])

    def get_sealed_share(self, share) -> str | None:
        if share.sealed_share is None:
            return None
        return base64.b64encode(bytes(share.sealed_share)).decode()


@extend_schema(responses={200: OpeningShareSerializer(many=True)})
@api_view(["GET"])
@permission_classes([IsAuthenticated])
def opening_shares(request):
    """Opening officers: your shares of tenders' opening keys, each sealed to the receiving
    key that was yours at the tender's publication (info: canonical JSON of purpose
    "jangteo-opening-share", tender OCID and your officer id)."""
    shares = publication.opening_shares_of(request.user)
    return Response(OpeningShareSerializer(shares, many=True).data)


@extend_schema(request=None, responses={200: OpeningShareSerializer})
@api_view(["POST"])
@permission_classes([IsAuthenticated])
def opening_share_received(request, pk: int):
    """Confirm you have your share of tender `pk` written down: the platform then drops
    its sealed copy, and yours is the only one."""
    share = get_object_or_404(
        publication.opening_shares_of(request.user), opening_key__tender_id=pk
    )
    share = publication.opening_share_received(share=share, actor=request.user)
    return Response(OpeningShareSerializer(share).data)
