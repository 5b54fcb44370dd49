"""Certificates over the API: what the command-line client and suppliers' systems use."""

import base64

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from django.http import Http404
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.decorators import api_view, permission_classes
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from accounts.models import Organisation

from . import external, services
from .authority import authority_certificate
from .exceptions import CertificateRequestRefused
from .models import AuthorityRole, Certificate, RevocationReason
from .trust import trusted_issuer_of


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
        """The issuing CA and the root, PEM, for building a PKCS#12 or a CMS signature (for
        a certificate of another CA: that CA, as trusted in settings)."""
        if not certificate.issued_by_platform:
            issuer = trusted_issuer_of(x509.load_pem_x509_certificate(certificate.pem.encode()))
            return [issuer.public_bytes(serialization.Encoding.PEM).decode()] if issuer else []
        return [
            authority_certificate(role).public_bytes(serialization.Encoding.PEM).decode()
            for role in (AuthorityRole.ISSUING, AuthorityRole.ROOT)
        ]


class EnrollSerializer(serializers.Serializer):
    organisation = serializers.CharField(help_text="the organisation's registration code")
    csr = serializers.CharField(help_text="PKCS#10 request, PEM", max_length=20_000)


class ChallengeRequestSerializer(serializers.Serializer):
    organisation = serializers.CharField(help_text="the organisation's registration code")


class ExternalSerializer(serializers.Serializer):
    organisation = serializers.CharField(help_text="the organisation's registration code")
    challenge = serializers.CharField(max_length=1000, help_text="from certificates/challenge/")
    signature = serializers.CharField(
        max_length=100_000,
        help_text="detached CMS SignedData over the challenge's UTF-8 bytes, base64 DER or PEM, "
        "with the signer's certificate embedded",
    )

    def validate_signature(self, value: str) -> bytes:
        if value.lstrip().startswith("-----BEGIN"):
            return value.encode()
        try:
            return base64.b64decode(value, validate=True)
        except ValueError:
            raise serializers.ValidationError("Not base64.") from None


def _organisation_of(request, code: str) -> Organisation | None:
    return Organisation.objects.filter(code=code, memberships__user=request.user).first()


def _not_a_member() -> Response:
    return Response(
        {"detail": "You do not belong to an organisation with this code.", "code": "organisation"},
        status=status.HTTP_400_BAD_REQUEST,
    )


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
    organisation = _organisation_of(request, payload.validated_data["organisation"])
    if organisation is None:
        return _not_a_member()
    try:
        certificate = services.certificate_enroll(
            actor=request.user, organisation=organisation, csr_data=payload.validated_data["csr"]
        )
    except CertificateRequestRefused as error:
        return _refused(error)
    return Response(CertificateSerializer(certificate).data, status=status.HTTP_201_CREATED)


@extend_schema(
    request=ChallengeRequestSerializer,
    responses=inline_serializer(
        "ChallengeIssued",
        {"challenge": serializers.CharField(), "expires_in": serializers.IntegerField()},
    ),
)
@api_view(["POST"])
@permission_classes([IsAuthenticated])
def certificate_challenge(request):
    """A text to sign with a certificate of another CA, to register it (proof that you hold
    its key). Good for ten minutes, for you and this organisation only."""
    payload = ChallengeRequestSerializer(data=request.data)
    payload.is_valid(raise_exception=True)
    organisation = _organisation_of(request, payload.validated_data["organisation"])
    if organisation is None:
        return _not_a_member()
    return Response(
        {
            "challenge": external.registration_challenge(
                actor=request.user, organisation=organisation
            ),
            "expires_in": external.CHALLENGE_SECONDS,
        }
    )


@extend_schema(request=ExternalSerializer, responses={201: CertificateSerializer})
@api_view(["POST"])
@permission_classes([IsAuthenticated])
def certificate_register_external(request):
    """Register a certificate a trusted external CA issued you: sign the challenge with it
    (detached CMS) and send the signature; the certificate travels inside it."""
    payload = ExternalSerializer(data=request.data)
    payload.is_valid(raise_exception=True)
    data = payload.validated_data
    organisation = _organisation_of(request, data["organisation"])
    if organisation is None:
        return _not_a_member()
    try:
        certificate = external.certificate_register_external(
            actor=request.user,
            organisation=organisation,
            challenge=data["challenge"],
            signature=data["signature"],
        )
    except CertificateRequestRefused as error:
        return _refused(error)
    return Response(CertificateSerializer(certificate).data, status=status.HTTP_201_CREATED)


def _visible(request, serial: str) -> Certificate:
    try:
        return services.certificate_for(serial, user=request.user)
    except Certificate.DoesNotExist:
        raise Http404 from None


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
