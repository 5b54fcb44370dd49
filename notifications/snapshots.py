"""Fresh public state of a live topic, for clients too far behind to be replayed."""

from core.live import BOARD, topic_head
from procurement import selectors
from procurement.api import TenderDetailSerializer, TenderSummarySerializer

BOARD_SNAPSHOT_SIZE = 50


def tender_is_public(tender_id: int) -> bool:
    return selectors.tenders_public().filter(pk=tender_id).exists()


def snapshot(topic: str) -> tuple[int, dict]:
    # Read the head first: an event committed after it is replayed on top, never missed.
    seq = topic_head(topic)
    if topic == BOARD:
        tenders = selectors.tenders_public()[:BOARD_SNAPSHOT_SIZE]
        return seq, {"tenders": TenderSummarySerializer(tenders, many=True).data}
    tender_id = int(topic.split(".", 1)[1])
    tender = selectors.tender_detail_queryset().get(pk=tender_id)
    return seq, {"tender": TenderDetailSerializer(tender, context={"live_seq": seq}).data}
