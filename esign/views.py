"""The CA's public face: its certificates and CRLs at stable URLs, for anyone to fetch."""

from cryptography.hazmat.primitives import serialization
from django.http import Http404, HttpResponse
from django.views.decorators.http import require_GET

from core import clock

from .authority import authority_certificate, crl_current
from .models import Authority, AuthorityRole

CA_ROLES = (AuthorityRole.ROOT, AuthorityRole.ISSUING)
PUBLISHED_ROLES = (*CA_ROLES, AuthorityRole.RECEIPTS, AuthorityRole.TSA)


@require_GET
def crl(request, role: str):
    if role not in CA_ROLES or not Authority.objects.filter(role=role).exists():
        raise Http404
    response = HttpResponse(crl_current(role, now=clock.now()), content_type="application/pkix-crl")
    response["Cache-Control"] = "public, max-age=60"
    return response


@require_GET
def ca_certificate(request, role: str, encoding: str):
    if role not in PUBLISHED_ROLES or not Authority.objects.filter(role=role).exists():
        raise Http404
    certificate = authority_certificate(role)
    if encoding == "pem":
        body, content_type = (
            certificate.public_bytes(serialization.Encoding.PEM),
            "application/x-pem-file",
        )
    else:
        body, content_type = (
            certificate.public_bytes(serialization.Encoding.DER),
            "application/pkix-cert",
        )
    response = HttpResponse(body, content_type=content_type)
    response["Cache-Control"] = "public, max-age=3600"
    return response
