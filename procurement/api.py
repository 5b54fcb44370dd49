"""The public JSON API for tenders: the same data the pages and live events show."""

from django.db.models import Sum
from django.http import Http404, JsonResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers
from rest_framework.decorators import api_view
from rest_framework.request import Request
from rest_framework.response import Response

from core import clock
from core.audit import audit_head, sealed_stream, stream_events, tender_stream
from core.live import events_since, tender_topic, topic_head

from . import selectors
from .models import (
    SEALED_LOG_PUBLIC,
    Amendment,
    Item,
    Lot,
    Question,
    Tender,
    TenderDocument,
    TenderStatus,
)


class BuyerSerializer(serializers.Serializer):
    name = serializers.CharField()
    name_en = serializers.CharField()
    code = serializers.CharField()


class TenderSummarySerializer(serializers.ModelSerializer):
    buyer = BuyerSerializer()
    status_display = serializers.CharField(source="get_status_display")
    procedure = serializers.SerializerMethodField()
    total_amount = serializers.SerializerMethodField()
    notice_number = serializers.CharField()

    class Meta:
        model = Tender
        fields = [
            "id",
            "ocid",
            "notice_number",
            "title",
            "buyer",
            "procedure",
            "status",
            "status_display",
            "currency",
            "total_amount",
            "published_at",
            "questions_close_at",
            "registration_close_at",
            "bid_open_at",
            "bid_close_at",
            "opening_at",
            "amendment_count",
            "cancelled_at",
            "cancel_reason",
        ]

    def get_procedure(self, tender) -> dict:
        terms = tender.terms
        return {
            "code": terms["code"],
            "name": terms["name"],
            "name_en": terms["name_en"],
            "method": terms["method"],
        }

    def get_total_amount(self, tender) -> int:
        total = getattr(tender, "total_amount", None)
        if total is None:
            total = tender.lots.aggregate(total=Sum("base_amount"))["total"]
        return int(total or 0)


class ItemSerializer(serializers.ModelSerializer):
    class Meta:
        model = Item
        fields = ["description", "classification_scheme", "classification_code", "quantity", "unit"]


class LotSerializer(serializers.ModelSerializer):
    items = ItemSerializer(many=True)

    class Meta:
        model = Lot
        fields = ["number", "title", "description", "base_amount", "items"]


class DocumentSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()

    class Meta:
        model = TenderDocument
        fields = ["title", "version", "filename", "size", "sha256", "uploaded_at", "url"]

    def get_url(self, document) -> str:
        return reverse("procurement:document", args=[document.tender_id, document.pk])


class QuestionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Question
        fields = ["id", "text", "asked_at", "answer", "answered_at"]


class AmendmentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Amendment
        fields = ["number", "reason", "changes", "created_at"]


class TenderDetailSerializer(TenderSummarySerializer):
    terms = serializers.JSONField()
    lots = LotSerializer(many=True)
    documents = DocumentSerializer(many=True)
    questions = QuestionSerializer(many=True)
    amendments = AmendmentSerializer(many=True)
    live_seq = serializers.SerializerMethodField()
    server_time = serializers.SerializerMethodField()
    sealing = serializers.JSONField(
        help_text="opening_public_key (X25519, hex) that bids are sealed to; threshold and "
        "shares of the opening key; reserve_price_commitments per lot (SHA-256, hex)"
    )

    class Meta(TenderSummarySerializer.Meta):
        fields = [
            *TenderSummarySerializer.Meta.fields,
            "description",
            "terms",
            "sealing",
            "lots",
            "documents",
            "questions",
            "amendments",
            "live_seq",
            "server_time",
        ]

    def get_live_seq(self, tender) -> int:
        # Read by the caller *before* the tender: events after it may already be reflected
        # (applying them again changes nothing) but none the data lacks can be skipped.
        return self.context["live_seq"]

    def get_server_time(self, tender) -> str:
        return clock.now().isoformat()


@extend_schema(
    parameters=[
        OpenApiParameter("q", str, description="words in the title, OCID or buyer name"),
        OpenApiParameter("status", str, enum=[s for s in TenderStatus.values if s != "draft"]),
        OpenApiParameter("buyer", str, description="the buyer's institution code"),
    ]
)
class TenderList(generics.ListAPIView):
    """Published tenders, newest first."""

    serializer_class = TenderSummarySerializer

    def get_queryset(self):
        params = self.request.query_params
        return selectors.tenders_search(
            q=params.get("q", "")[:100],
            status=params.get("status", ""),
            buyer=params.get("buyer", ""),
        )


class TenderDetail(generics.RetrieveAPIView):
    """One published tender with lots, items, documents, questions and amendments."""

    serializer_class = TenderDetailSerializer
    queryset = selectors.tender_detail_queryset()

    def retrieve(self, request, *args, **kwargs):
        live_seq = topic_head(tender_topic(kwargs["pk"]))  # before the tender is read
        tender = self.get_object()
        context = {**self.get_serializer_context(), "live_seq": live_seq}
        return Response(TenderDetailSerializer(tender, context=context).data)


def _public_tender(pk: int) -> Tender:
    tender = selectors.tenders_public().filter(pk=pk).first()
    if tender is None:
        raise Http404
    return tender


@extend_schema(
    responses={200: dict},
    description=(
        "The tender's whole audit stream as JSON, for anyone to verify the hash chain "
        "(`python manage.py verify_audit --file <download>` or any SHA-256 tool)."
    ),
)
@api_view(["GET"])
def tender_audit(request: Request, pk: int):
    tender = _public_tender(pk)
    if request.query_params.get("stream") == "sealed":
        if tender.status not in SEALED_LOG_PUBLIC:
            return Response(
                {"detail": _("This part of the log is published at the opening.")}, status=403
            )
        stream = sealed_stream(tender.ocid)
    else:
        stream = tender_stream(tender.ocid)
    head = audit_head(stream)
    document = {
        "stream": stream,
        "head": {"position": head.position if head else 0, "hash": head.last_hash if head else ""},
        "events": list(stream_events(stream, up_to=head.position if head else 0)),
    }
    response = JsonResponse(document, json_dumps_params={"ensure_ascii": False})
    response["Content-Disposition"] = f'attachment; filename="{tender.ocid}-audit.json"'
    return response


@extend_schema(
    parameters=[OpenApiParameter("since", int)],
    responses={200: dict},
    description="Live events after `since`, or `snapshot` when too far behind.",
)
@api_view(["GET"])
def tender_live_events(request: Request, pk: int):
    from django.conf import settings

    tender = _public_tender(pk)
    try:
        since = max(0, int(request.query_params.get("since", "0")))
    except ValueError:
        return Response({"detail": "since must be a whole number"}, status=400)
    topic = tender_topic(tender.pk)
    events = events_since(topic, since, settings.LIVE_REPLAY_LIMIT)
    if events is None:
        return Response({"snapshot": True, "seq": topic_head(topic)})
    return Response({"snapshot": False, "events": [e.as_message() for e in events]})
