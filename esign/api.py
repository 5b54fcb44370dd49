"""Certificates over the API: what the command-line client and suppliers' systems use."""

from cryptography.hazmat.primitives import serialization
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.decorators import api_view, permission_classes
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from accounts.models import Organisation

from . import services
from .authority import authority_certificate
from .exceptions import CertificateRequestRefused
from .models import AuthorityRole, Certificate, RevocationReason


class CertificateSerializer(serializers.ModelSerializer):
    organisation = serializers.CharField(source="organisation.code")
    certificate = serializers.CharField(source="pem")
    chain = serializers.SerializerMethodField()

    class Meta:
        model = Certificate
        fields = [
            "serial",
            "fingerprint",
            "subject",
            "issuer",
            "organisation",
            "status",
            "not_before",
            "not_after",
            "revoked_at",
            "revocation_reason",
            "certificate",
            "chain",
        ]

    def get_chain(self, certificate) -> list[str]:
        """The issuing CA and the root, PEM, for building a PKCS#12 or a CMS signature."""
        return [
            authority_certificate(role).public_bytes(serialization.Encoding.PEM).decode()
            for role in (AuthorityRole.ISSUING, AuthorityRole.ROOT)
        ]


class EnrollSerializer(serializers.Serializer):
    organisation = serializers.CharField(help_text="the organisation's registration code")
    csr = serializers.CharField(help_text="PKCS#10 request, PEM", max_length=20_000)


def _refused(error) -> Response:
    return Response(
        {"detail": " ".join(error.messages), "code": error.code}, status=status.HTTP_400_BAD_REQUEST
    )


@extend_schema(
    request=EnrollSerializer,
    responses={200: CertificateSerializer(many=True), 201: CertificateSerializer},
)
@api_view(["GET", "POST"])
@permission_classes([IsAuthenticated])
def certificates(request):
    """Your certificates (GET), or a new one from your PKCS#10 request (POST)."""
    if request.method == "GET":
        mine = Certificate.objects.filter(holder=request.user).select_related("organisation")
        return Response(CertificateSerializer(mine, many=True).data)
    payload = EnrollSerializer(data=request.data)
    payload.is_valid(raise_exception=True)
    organisation = Organisation.objects.filter(
        code=payload.validated_data["organisation"], memberships__user=request.user
    ).first()
    if organisation is None:
        return Response(
            {
                "detail": "You do not belong to an organisation with this code.",
                "code": "organisation",
            },
            status=status.HTTP_400_BAD_REQUEST,
        )
    try:
        certificate = services.certificate_enroll(
            actor=request.user, organisation=organisation, csr_data=payload.validated_data["csr"]
        )
    except CertificateRequestRefused as error:
        return _refused(error)
    return Response(CertificateSerializer(certificate).data, status=status.HTTP_201_CREATED)


def _visible(request, serial: str) -> Certificate:
    certificate = get_object_or_404(Certificate, serial=services.serial_normalize(serial))
    if certificate.holder_id != request.user.pk and not services.may_revoke(
        certificate, request.user
    ):
        raise PermissionDenied
    return certificate


@extend_schema(responses=CertificateSerializer)
@api_view(["GET"])
@permission_classes([IsAuthenticated])
def certificate_detail(request, serial: str):
    return Response(CertificateSerializer(_visible(request, serial)).data)


@extend_schema(
    request=inline_serializer(
        "Revocation", {"reason": serializers.ChoiceField(choices=RevocationReason.choices)}
    ),
    responses=CertificateSerializer,
)
@api_view(["POST"])
@permission_classes([IsAuthenticated])
def certificate_revoke(request, serial: str):
    certificate = _visible(request, serial)
    try:
        certificate = services.certificate_revoke(
            certificate=certificate,
            actor=request.user,
            reason=str(request.data.get("reason", "unspecified")),
        )
    except CertificateRequestRefused as error:
        return _refused(error)
    return Response(CertificateSerializer(certificate).data)
