"""Suppliers over the API: a company's own systems register it and follow its review; the
platform's operators review through the same endpoints the pages use."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import api_view, permission_classes
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from accounts.models import Role
from accounts.permissions import has_role, is_operator, organisations_where
from accounts.ratelimit import client_address

from . import services
from .brn import brn_normalize, validate_brn
from .models import Category, Supplier, SupplierStatus
from .services import PROFILE_FIELDS, LicenceClaim, NewPerson


class LicenceSerializer(serializers.Serializer):
    category = serializers.SlugRelatedField(slug_field="code", queryset=Category.objects.all())
    number = serializers.CharField(max_length=60, required=False, default="", allow_blank=True)
    valid_until = serializers.DateField(required=False, allow_null=True, default=None)


class AdministratorSerializer(serializers.Serializer):
    username = serializers.RegexField(r"^[\w.@+-]+$", max_length=150)
    display_name = serializers.CharField(max_length=150)
    email = serializers.EmailField()
    password = serializers.CharField(min_length=10, max_length=200, write_only=True)


class RegistrationSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    name_en = serializers.CharField(max_length=200, required=False, default="", allow_blank=True)
    brn = serializers.CharField(max_length=14, help_text="business registration number")
    representative = serializers.CharField(max_length=100)
    address = serializers.CharField(max_length=300)
    phone = serializers.CharField(max_length=30)
    email = serializers.EmailField()
    bank_name = serializers.CharField(max_length=60)
    bank_account = serializers.CharField(max_length=40)
    bank_holder = serializers.CharField(max_length=100)
    licences = LicenceSerializer(many=True, allow_empty=False)
    administrator = AdministratorSerializer(
        required=False,
        help_text="the company's first administrator, when the request is not authenticated",
    )

    def validate_brn(self, value: str) -> str:
        try:
            validate_brn(value)
        except ValidationError as error:
            raise serializers.ValidationError(error.messages) from None
        return brn_normalize(value)


class SupplierSerializer(serializers.ModelSerializer):
    brn = serializers.SerializerMethodField()
    name = serializers.CharField(source="organisation.name")
    name_en = serializers.CharField(source="organisation.name_en")
    licences = serializers.SerializerMethodField()

    class Meta:
        model = Supplier
        fields = [
            "brn",
            "name",
            "name_en",
            "status",
            *PROFILE_FIELDS,
            "licences",
            "registered_at",
            "reviewed_at",
            "rejection_reason",
            "suspension_reason",
            "suspended_until",
        ]

    def get_brn(self, supplier) -> str:
        return supplier.released_brn or supplier.organisation.code

    def get_licences(self, supplier) -> list[dict]:
        return [
            {
                "category": licence.category.code,
                "number": licence.number,
                "valid_until": licence.valid_until,
            }
            for licence in supplier.licences.select_related("category")
        ]


class DecisionSerializer(serializers.Serializer):
    decision = serializers.ChoiceField(services.DECISIONS)
    reason = serializers.CharField(required=False, default="", allow_blank=True, max_length=2000)
    until = serializers.DateField(required=False, allow_null=True, default=None)


def _refused(error: ValidationError) -> Response:
    return Response(
        {"detail": " ".join(error.messages), "code": getattr(error, "code", None) or "refused"},
        status=status.HTTP_400_BAD_REQUEST,
    )


class RegistrationThrottle(SimpleRateThrottle):
    """Registering creates accounts without signing in: a bounded number per address."""

    scope = "supplier_registration"

    def get_rate(self):
        # Read at use, not at import, so the setting can change without a restart.
        return api_settings.DEFAULT_THROTTLE_RATES[self.scope]

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": client_address(request)}


@extend_schema(
    request=RegistrationSerializer,
    responses={200: SupplierSerializer(many=True), 201: SupplierSerializer},
)
@api_view(["GET", "POST"])
def suppliers(request):
    """POST: register a company once (it waits for an operator's verification); signed in,
    you become its administrator, otherwise give `administrator`. GET: your companies, or
    for an operator every company in `?status=` (default: pending)."""
    if request.method == "GET":
        return _list(request)
    if not RegistrationThrottle().allow_request(request, None):
        return Response(
            {"detail": "Too many registrations from here; try again later.", "code": "throttled"},
            status=status.HTTP_429_TOO_MANY_REQUESTS,
        )
    payload = RegistrationSerializer(data=request.data)
    payload.is_valid(raise_exception=True)
    data = payload.validated_data
    signed_in = request.user.is_authenticated
    admin = data.get("administrator")
    if signed_in == bool(admin):
        return Response(
            {
                "detail": "Give an administrator when not signed in, and none when signed in.",
                "code": "administrator",
            },
            status=status.HTTP_400_BAD_REQUEST,
        )
    try:
        supplier = services.supplier_register(
            name=data["name"],
            name_en=data["name_en"],
            brn=data["brn"],
            profile={field: data[field] for field in PROFILE_FIELDS},
            licences=[
                LicenceClaim(item["category"], item["number"], item["valid_until"])
                for item in data["licences"]
            ],
            actor=request.user if signed_in else None,
            admin=None
            if signed_in
            else NewPerson(
                admin["username"], admin["display_name"], admin["email"], admin["password"]
            ),
        )
    except ValidationError as error:
        return _refused(error)
    return Response(SupplierSerializer(supplier).data, status=status.HTTP_201_CREATED)


def _list(request) -> Response:
    if not request.user.is_authenticated:
        return Response({"detail": "Sign in or send a token."}, status=401)
    if is_operator(request.user):
        wanted = request.query_params.get("status", SupplierStatus.PENDING)
        if wanted not in SupplierStatus.values:
            return Response({"detail": "Unknown status.", "code": "status"}, status=400)
        found = Supplier.objects.filter(status=wanted).order_by("registered_at")
    else:
        found = Supplier.objects.filter(
            organisation__in=organisations_where(request.user, Role.SUPPLIER_ADMIN, Role.BIDDER)
        )
    return Response(SupplierSerializer(found.select_related("organisation"), many=True).data)


def _visible(request, brn: str) -> Supplier:
    supplier = get_object_or_404(
        Supplier.objects.select_related("organisation"), organisation__code=brn_normalize(brn)
    )
    member = has_role(request.user, supplier.organisation, Role.SUPPLIER_ADMIN, Role.BIDDER)
    if not (member or is_operator(request.user)):
        raise PermissionDenied
    return supplier


@extend_schema(responses=SupplierSerializer)
@api_view(["GET"])
@permission_classes([IsAuthenticated])
def supplier_detail(request, brn: str):
    """A company's record: for its people and the platform's operators."""
    return Response(SupplierSerializer(_visible(request, brn)).data)


@extend_schema(request=DecisionSerializer, responses=SupplierSerializer)
@api_view(["POST"])
@permission_classes([IsAuthenticated])
def supplier_decide(request, brn: str):
    """An operator's decision: verify, reject (reason), suspend (reason, optional end
    date), reinstate, or close a rejected registration to release its number (reason)."""
    if not is_operator(request.user):
        raise PermissionDenied
    supplier = _visible(request, brn)
    payload = DecisionSerializer(data=request.data)
    payload.is_valid(raise_exception=True)
    data = payload.validated_data
    try:
        supplier = services.supplier_decide(supplier=supplier, actor=request.user, **data)
    except ValidationError as error:
        return _refused(error)
    return Response(SupplierSerializer(supplier).data)
