"""The CA's public face: its certificates and CRLs at stable URLs, for anyone to fetch."""

from cryptography.hazmat.primitives import serialization
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from accounts.models import Organisation
from accounts.tokens import api_token_user
from core import clock

from . import services
from .authority import authority_certificate, crl_current
from .exceptions import CertificateRequestRefused
from .models import Authority, AuthorityRole, Certificate, RevocationReason
from .timestamps import timestamp_respond
from .trust import trusted_external_cas

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


# --- A person's certificates ------------------------------------------------------------------


@login_required
def my_certificates(request, status=200, error=""):
    organisations = Organisation.objects.filter(memberships__user=request.user).distinct()
    return render(
        request,
        "esign/certificates.html",
        {
            "certificates": Certificate.objects.filter(holder=request.user).select_related(
                "organisation"
            ),
            "organisations": organisations,
            "reasons": RevocationReason.choices,
            "error": error,
            "trusts_external": bool(trusted_external_cas()),
        },
        status=status,
    )


@login_required
@require_POST
def enroll(request):
    organisation = Organisation.objects.filter(
        pk=_whole_number(request.POST.get("organisation")), memberships__user=request.user
    ).first()
    if organisation is None:
        return my_certificates(request, status=400, error=_("Choose one of your organisations."))
    csr = request.POST.get("csr", "")
    if not csr and request.FILES.get("csr_file"):
        csr = request.FILES["csr_file"].read(20_000)
    try:
        certificate = services.certificate_enroll(
            actor=request.user, organisation=organisation, csr_data=csr
        )
    except CertificateRequestRefused as refusal:
        return my_certificates(request, status=400, error=" ".join(refusal.messages))
    messages.success(
        request, _("Certificate issued: serial %(serial)s.") % {"serial": certificate.serial}
    )
    return redirect("esign:certificates")


@login_required
def certificate_download(request, serial: str):
    certificate = (
        Certificate.objects.filter(serial=services.serial_normalize(serial), holder=request.user)
        .order_by("-created_at")
        .first()
    )
    if certificate is None:
        raise Http404
    response = HttpResponse(certificate.pem, content_type="application/x-pem-file")
    response["Content-Disposition"] = f'attachment; filename="jangteo-{serial}.pem"'
    return response


@login_required
@require_POST
def revoke(request, serial: str):
    try:
        certificate = services.certificate_for(serial, user=request.user)
    except Certificate.DoesNotExist:
        raise Http404 from None
    try:
        services.certificate_revoke(
            certificate=certificate, actor=request.user, reason=request.POST.get("reason", "")
        )
    except CertificateRequestRefused as refusal:
        return my_certificates(request, status=400, error=" ".join(refusal.messages))
    messages.success(request, _("Certificate revoked; the CRL already lists it."))
    back = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(
        back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(back)
    return redirect("esign:certificates")


@csrf_exempt  # a machine protocol (RFC 3161 over HTTP): no cookies, no forms
@require_POST
def tsa(request):
    """The platform TSA for its users' own tools (signed in, or with an API token)."""
    bearer = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
    if not request.user.is_authenticated and not (bearer and api_token_user(bearer)):
        response = HttpResponse(status=401)
        response["WWW-Authenticate"] = 'Bearer realm="jangteo"'
        return response
    if request.content_type != "application/timestamp-query":
        return HttpResponse(status=415)
    if len(request.body) > 4096:
        return HttpResponse(status=413)
    return HttpResponse(timestamp_respond(request.body), content_type="application/timestamp-reply")


def _whole_number(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
