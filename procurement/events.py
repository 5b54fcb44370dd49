"""Live events of tenders: names and public payloads (never anything about bids)."""

from core.live import BOARD, live_publish, tender_topic

TENDER_PUBLISHED = "tender.published"
TENDER_AMENDED = "tender.amended"
TENDER_CANCELLED = "tender.cancelled"
TENDER_BIDDING_OPENED = "tender.bidding_opened"
TENDER_BIDDING_CLOSED = "tender.bidding_closed"
QUESTION_ASKED = "tender.question_asked"
QUESTION_ANSWERED = "tender.question_answered"


def tender_payload(tender) -> dict:
    from .api import TenderSummarySerializer

    return dict(TenderSummarySerializer(tender).data)


def tender_changed(tender, kind: str, *, board: bool = True, extra: dict | None = None) -> None:
    """Publish a change of `tender` to its own topic and, for what the board shows, the board."""
    topics = [tender_topic(tender.pk)] + ([BOARD] if board else [])
    payload = {"tender": tender_payload(tender), **(extra or {})}
    live_publish(topics=topics, kind=kind, payload=payload)
