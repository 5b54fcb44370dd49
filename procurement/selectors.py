"""Read queries, scoped to who is looking."""

import json

from django.db.models import Prefetch, Q, QuerySet, Sum

from accounts.models import Role
from accounts.permissions import organisations_where

from .models import Lot, Tender, TenderDocument, TenderStatus


def tenders_public() -> QuerySet[Tender]:
    """Every tender the public may see: every one ever published (never a draft, nor a
    draft cancelled before publication)."""
    return (
        Tender.objects.filter(published_at__isnull=False)
        .select_related("buyer", "procedure_type")
        .annotate(total_amount=Sum("lots__base_amount"))
        .order_by("-published_at", "-id")
    )


def tenders_search(*, q: str = "", status: str = "", buyer: str = "") -> QuerySet[Tender]:
    tenders = tenders_public()
    if q:
        tenders = tenders.filter(
            Q(title__icontains=q) | Q(ocid__icontains=q) | Q(buyer__name__icontains=q)
        )
    if status:
        tenders = tenders.filter(status=status)
    if buyer:
        tenders = tenders.filter(buyer__code=buyer)
    return tenders


def tender_detail_queryset() -> QuerySet[Tender]:
    return tenders_public().prefetch_related(
        Prefetch("lots", queryset=Lot.objects.prefetch_related("items")),
        Prefetch("documents", queryset=TenderDocument.objects.order_by("title", "-version")),
        "questions",
        "categories",
        "amendments",
    )


def tenders_managed_by(user) -> QuerySet[Tender]:
    """Tenders of the agencies where `user` is a procurement officer, drafts included."""
    agencies = organisations_where(user, Role.PROCUREMENT_OFFICER)
    return (
        Tender.objects.filter(buyer__in=agencies)
        .select_related("buyer", "procedure_type")
        .annotate(total_amount=Sum("lots__base_amount"))
        .order_by("-created_at")
    )


def latest_documents(tender: Tender) -> list[TenderDocument]:
    """The newest version of each document title."""
    latest: dict[str, TenderDocument] = {}
    for document in tender.documents.all():
        current = latest.get(document.title)
        if current is None or document.version > current.version:
            latest[document.title] = document
    return sorted(latest.values(), key=lambda d: d.title)


def status_labels_json() -> str:
    """Tender status labels for the live client, in the reader's language."""
    return json.dumps(
        {value: str(label) for value, label in TenderStatus.choices}, ensure_ascii=False
    )
