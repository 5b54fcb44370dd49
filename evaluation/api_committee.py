"""The best-value committee over the API: the officer appoints it; each member reads their
seat, signs the declaration, has the score sheet they mean to sign turned into its
canonical statement, and submits it signed."""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import api_view, permission_classes
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from accounts.models import User

from . import committee
from .api import _act, _b64, _payload, b64
from .models import CommitteeMember, Evaluation


class AppointSerializer(serializers.Serializer):
    members = serializers.ListField(child=serializers.IntegerField(), min_length=1, max_length=15)


class ScoreItemSerializer(serializers.Serializer):
    bid = serializers.CharField(help_text="the bid's envelope SHA-256")
    criterion = serializers.CharField(max_length=40)
    score = serializers.CharField(max_length=8, help_text='a number as text, e.g. "12.5"')


class ScoresheetSerializer(serializers.Serializer):
    scores = ScoreItemSerializer(many=True)
    signature = serializers.CharField(required=False)


class CommitteeSignatureSerializer(serializers.Serializer):
    signature = serializers.CharField(help_text="detached CMS over the statement, base64")


def seat(membership: CommitteeMember) -> dict:
    """A member's view of their seat: the declaration to sign; once declared, the bids and
    the criteria to score them on."""
    evaluation = membership.evaluation
    lot = evaluation.lot
    declared = membership.declared_at is not None
    return {
        "id": membership.pk,
        "tender": lot.tender_id,
        "ocid": lot.tender.ocid,
        "title": lot.tender.title,
        "lot": lot.number,
        "buyer": lot.tender.buyer.code,
        "declaration": b64(committee.declaration_statement(membership)),
        "declared_at": membership.declared_at,
        "submitted_at": membership.submitted_at,
        "criteria": lot.tender.terms.get("technical_criteria", []) if declared else None,
        "bids": [
            {"bid": r.bid.sha256, "supplier": r.bid.supplier.organisation.code,
             "name": r.bid.supplier.organisation.name, "amount": r.bid.amount}
            for r in committee.committee_bids(evaluation)
        ]
        if declared
        else None,
    }  # fmt: skip


def _mine(request, pk: int) -> CommitteeMember:
    return get_object_or_404(
        CommitteeMember.objects.select_related("evaluation__lot__tender"),
        pk=pk,
        member=request.user,
    )


@extend_schema(request=AppointSerializer, responses={201: dict})
@api_view(["POST"])
@permission_classes([IsAuthenticated])
def committee_appoint(request, pk: int):
    """The officer appoints the committee of a best-value lot (evaluators of the agency)."""
    evaluation = get_object_or_404(Evaluation.objects.select_related("lot__tender"), pk=pk)
    data = _payload(AppointSerializer, request)
    members = list(User.objects.filter(pk__in=data["members"]))
    done, error = _act(
        lambda: committee.committee_appoint(
            evaluation=evaluation, actor=request.user, members=members
        )
    )
    return error or Response({"members": len(done)}, status=status.HTTP_201_CREATED)


@extend_schema(responses={200: dict})
@api_view(["GET"])
@permission_classes([IsAuthenticated])
def my_seats(request):
    """Your seats on evaluation committees."""
    seats = CommitteeMember.objects.filter(member=request.user).select_related(
        "evaluation__lot__tender"
    )
    return Response([seat(m) for m in seats.order_by("-appointed_at")])


@extend_schema(request=CommitteeSignatureSerializer, responses={200: dict})
@api_view(["POST"])
@permission_classes([IsAuthenticated])
def declaration_sign(request, pk: int):
    """Sign the declaration of no conflict of interest (its statement is in your seat)."""
    data = _payload(CommitteeSignatureSerializer, request)
    membership = _mine(request, pk)
    done, error = _act(
        lambda: committee.declaration_sign(
            membership=membership,
            actor=request.user,
            signature=_b64(data["signature"], "signature"),
        )
    )
    return error or Response(seat(done))


@extend_schema(request=ScoresheetSerializer, responses={200: dict})
@api_view(["POST"])
@permission_classes([IsAuthenticated])
def scoresheet(request, pk: int):
    """Without `signature`: the canonical statement of these scores, to sign. With it:
    submit the signed score sheet (once; the last member's concludes the evaluation)."""
    data = _payload(ScoresheetSerializer, request)
    membership = _mine(request, pk)
    scores = [dict(item) for item in data["scores"]]
    if "signature" not in data:
        return Response({"statement": b64(committee.scoresheet_statement(membership, scores))})
    done, error = _act(
        lambda: committee.scoresheet_submit(
            membership=membership,
            actor=request.user,
            scores=scores,
            signature=_b64(data["signature"], "signature"),
        )
    )
    return error or Response(seat(done))
