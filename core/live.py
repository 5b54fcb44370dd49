"""The after-commit live event bus.

`live_publish()` is called by services inside their transaction. It stores the event under
the next sequence number of each topic (so it can be replayed) and pushes it to the topic's
WebSocket group only after commit: nobody ever sees a state that was rolled back, and a push
lost by the channel layer is repaired by the client's resume-by-sequence.
"""

import asyncio
import json
import logging

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction

from . import clock
from .models import LiveEvent
from .streams import stream_advance

log = logging.getLogger(__name__)

BOARD = "board"


def tender_topic(tender_id: int) -> str:
    return f"tender.{tender_id}"


def group_name(topic: str) -> str:
    return f"live.{topic}"


def live_publish(*, topics: list[str], kind: str, payload: dict) -> list[LiveEvent]:
    """Record a public event on each topic and push it after the surrounding commit."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("live_publish() must run inside the transaction of its change")
    created_at = clock.now()
    events = []
    for topic in topics:
        head = stream_advance(f"live:{topic}")
        head.save(update_fields=["position"])
        events.append(
            LiveEvent.objects.create(
                topic=topic, seq=head.position, kind=kind, payload=payload, created_at=created_at
            )
        )
    messages = [event.as_message() for event in events]
    transaction.on_commit(lambda: push(messages), robust=True)
    return events


def push(messages: list[dict]) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        send = async_to_sync(layer.group_send)
    else:
        # A commit on a thread that runs an event loop cannot block on it: hand the sends
        # to that loop instead.
        def send(group, message):
            loop.create_task(layer.group_send(group, message))

    for message in messages:
        # Encode once here rather than once per watcher in every consumer.
        text = json.dumps({"type": "event", **message}, ensure_ascii=False, cls=DjangoJSONEncoder)
        try:
            send(group_name(message["topic"]), {"type": "live.event", "text": text})
        except Exception:  # a push is best-effort: clients resync by sequence number
            log.exception("live push failed for %s#%s", message["topic"], message["seq"])


def topic_head(topic: str) -> int:
    from .models import StreamHead

    head = StreamHead.objects.filter(name=f"live:{topic}").only("position").first()
    return head.position if head else 0


def events_since(topic: str, since: int, limit: int) -> list[LiveEvent] | None:
    """Events after `since` up to the current head, or None when the client cannot be
    replayed and must take a fresh snapshot: more than `limit` behind, events pruned, or a
    number the topic never reached (the client is ahead of a reset server)."""
    head = topic_head(topic)
    if since == head:
        return []
    if since > head:
        return None
    events = list(
        LiveEvent.objects.filter(topic=topic, seq__gt=since, seq__lte=head).order_by("seq")[
            : limit + 1
        ]
    )
    if len(events) > limit or not events or events[0].seq != since + 1:
        return None
    return events
