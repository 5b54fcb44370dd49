"""Evaluation and award over the API: the public summary of every lot; the officer's
decisions (disqualify, score, award with a signed statement, re-tender); complaints by
bidders and their decisions by the review body. Each refusal is a 4xx with a code."""

import base64
import binascii

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import api_view, permission_classes
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from accounts.models import Role
from accounts.permissions import organisations_where
from procurement.models import Lot
from procurement.retender import lot_retender
from procurement.selectors import tenders_public

from . import complaints, selectors, services
from .events import award_payload, complaint_payload, review_payload
from .models import Award, BidReview, Complaint, ComplaintDocument


def _refused(error: ValidationError) -> Response:
    code = getattr(error, "code", None) or "refused"
    return Response({"detail": " ".join(error.messages), "code": code}, status=400)


def _forbidden(error: PermissionDenied) -> Response:
    return Response({"detail": str(error), "code": "forbidden"}, status=403)


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _b64(value: str, name: str) -> bytes:
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError) as error:
        raise ValidationError(f"{name} is not base64.", code="base64") from error


def _act(action):
    """Run a service call; its refusals become 400 / 403."""
    try:
        return action(), None
    except PermissionDenied as denied:
        return None, _forbidden(denied)
    except ValidationError as refusal:
        return None, _refused(refusal)


@extend_schema(responses={200: dict})
@api_view(["GET"])
def tender_evaluation(request, pk: int):
    """Every lot's evaluation, public from the opening: the method, the estimated price and
    everything to recompute it, each bid's review with scores and reasons, the awards and
    the complaints docket (member scores of a committee once the lot is awarded)."""
    tender = get_object_or_404(tenders_public(), pk=pk)
    return Response(selectors.tender_evaluation_public(tender))


def _review(user, pk: int) -> BidReview:
    review = get_object_or_404(
        BidReview.objects.select_related("evaluation__lot__tender", "bid__supplier__organisation"),
        pk=pk,
    )
    if not selectors.may_evaluate(user, review.evaluation.lot.tender):
        raise PermissionDenied("Only the buying agency's procurement officers evaluate.")
    return review


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=4000)


class ScoreSerializer(serializers.Serializer):
    capability = serializers.DecimalField(max_digits=7, decimal_places=4)
    evidence = serializers.CharField(max_length=8000)


class SignatureSerializer(serializers.Serializer):
    signature = serializers.CharField(help_text="detached CMS over the statement, DER, base64")


def _payload(serializer_class, request):
    payload = serializer_class(data=request.data)
    payload.is_valid(raise_exception=True)
    return payload.validated_data


@extend_schema(request=ReasonSerializer, responses={200: dict})
@api_view(["POST"])
@permission_classes([IsAuthenticated])
def review_disqualify(request, pk: int):
    """Disqualify the bid under review, with the reason the public reads."""
    data = _payload(ReasonSerializer, request)
    done, error = _act(
        lambda: services.review_disqualify(
            review=_review(request.user, pk), actor=request.user, reason=data["reason"]
        )
    )
    return error or Response(review_payload(done))


@extend_schema(request=ScoreSerializer, responses={200: dict})
@api_view(["POST"])
@permission_classes([IsAuthenticated])
def review_score(request, pk: int):
    """Qualification review: the capability score of the bid under review, with evidence."""
    data = _payload(ScoreSerializer, request)
    done, error = _act(
        lambda: services.review_score(
            review=_review(request.user, pk),
            actor=request.user,
            capability=data["capability"],
            evidence=data["evidence"],
        )
    )
    return error or Response(review_payload(done))


@extend_schema(responses={200: dict})
@api_view(["GET"])
@permission_classes([IsAuthenticated])
def award_statement(request, pk: int):
    """The statement to sign to award the lot to this bid (canonical JSON, base64)."""
    review, error = _act(lambda: _review(request.user, pk))
    if error:
        return error
    return Response({"statement": base64.b64encode(services.award_statement(review)).decode()})


@extend_schema(request=SignatureSerializer, responses={201: dict})
@api_view(["POST"])
@permission_classes([IsAuthenticated])
def award_make(request, pk: int):
    """Award the lot to the bid under review with your signature over its statement; the
    standstill starts."""
    data = _payload(SignatureSerializer, request)
    award, error = _act(
        lambda: services.award_make(
            review=_review(request.user, pk),
            actor=request.user,
            signature=_b64(data["signature"], "signature"),
        )
    )
    if error:
        return error

    return Response(award_payload(award), status=status.HTTP_201_CREATED)


@extend_schema(request=None, responses={201: dict})
@api_view(["POST"])
@permission_classes([IsAuthenticated])
def lot_retender_view(request, pk: int):
    """Re-tender an unsuccessful lot: a new draft pre-filled from its tender."""
    lot = get_object_or_404(Lot.objects.select_related("tender"), pk=pk)
    draft, error = _act(lambda: lot_retender(lot=lot, actor=request.user))
    if error:
        return error
    return Response({"id": draft.pk, "ocid": draft.ocid}, status=status.HTTP_201_CREATED)


# --- complaints ----------------------------------------------------------------------------


class ComplaintDocumentSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    content = serializers.CharField(help_text="base64")


class ComplaintSerializer(serializers.Serializer):
    supplier = serializers.CharField(help_text="your company's business registration number")
    text = serializers.CharField(max_length=20000)
    documents = ComplaintDocumentSerializer(many=True, required=False)


class ComplaintDecisionSerializer(serializers.Serializer):
    decision = serializers.ChoiceField(["accept", "reject", "uphold", "dismiss"])
    reason = serializers.CharField(max_length=8000, required=False, allow_blank=True)


@extend_schema(request=ComplaintSerializer, responses={201: dict})
@api_view(["POST"])
@permission_classes([IsAuthenticated])
def complaint_file(request, pk: int):
    """A bidder of the lot complains about award `pk` during its standstill."""
    award = get_object_or_404(Award.objects.select_related("lot__tender"), pk=pk)
    data = _payload(ComplaintSerializer, request)
    mine = [
        s for a, s in selectors.complainable_awards(request.user, award.lot.tender) if a == award
    ]
    supplier = next((s for s in mine if s.organisation.code == data["supplier"]), None)
    if supplier is None:
        return Response(
            {
                "detail": "Only bidders of this lot may complain about its award.",
                "code": "forbidden",
            },
            status=403,
        )
    complaint, error = _act(
        lambda: complaints.complaint_file(
            award=award,
            supplier=supplier,
            actor=request.user,
            text=data["text"],
            documents=[
                (d["name"], _b64(d["content"], "content")) for d in data.get("documents", [])
            ],
        )
    )
    if error:
        return error

    return Response(complaint_payload(complaint), status=status.HTTP_201_CREATED)


@extend_schema(request=ComplaintDecisionSerializer, responses={200: dict})
@api_view(["POST"])
@permission_classes([IsAuthenticated])
def complaint_decide(request, pk: int):
    """The review body: accept for review, reject as inadmissible, uphold or dismiss."""
    complaint = get_object_or_404(Complaint, pk=pk)
    data = _payload(ComplaintDecisionSerializer, request)
    reason = data.get("reason", "")
    actions = {
        "accept": lambda: complaints.complaint_accept(complaint=complaint, actor=request.user),
        "reject": lambda: complaints.complaint_reject(
            complaint=complaint, actor=request.user, reason=reason
        ),
        "uphold": lambda: complaints.complaint_decide(
            complaint=complaint, actor=request.user, upheld=True, reason=reason
        ),
        "dismiss": lambda: complaints.complaint_decide(
            complaint=complaint, actor=request.user, upheld=False, reason=reason
        ),
    }
    done, error = _act(actions[data["decision"]])
    if error:
        return error

    return Response(complaint_payload(done))


@extend_schema(request=None, responses={200: dict})
@api_view(["POST"])
@permission_classes([IsAuthenticated])
def complaint_withdraw(request, pk: int):
    complaint = get_object_or_404(Complaint, pk=pk)
    done, error = _act(
        lambda: complaints.complaint_withdraw(complaint=complaint, actor=request.user)
    )
    if error:
        return error

    return Response(complaint_payload(done))


@extend_schema(responses={(200, "application/octet-stream"): bytes})
@api_view(["GET"])
@permission_classes([IsAuthenticated])
def complaint_document(request, pk: int, document: int):
    """A document filed with a complaint, for the complaining company, the buying agency's
    officers and the review body (everyone else sees its name and SHA-256 in the docket)."""
    item = get_object_or_404(
        ComplaintDocument.objects.select_related(
            "complaint__supplier", "complaint__award__lot__tender"
        ),
        pk=document,
        complaint_id=pk,
    )
    complaint = item.complaint
    allowed = (
        selectors.may_evaluate(request.user, complaint.award.lot.tender)
        or selectors.is_review_body(request.user)
        or organisations_where(request.user, Role.BIDDER, Role.SUPPLIER_ADMIN)
        .filter(pk=complaint.supplier.organisation_id)
        .exists()
    )
    if not allowed:
        raise Http404
    return FileResponse(item.file.open("rb"), as_attachment=True, filename=item.name)
