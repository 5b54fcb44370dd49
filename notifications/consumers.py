"""WebSocket consumers of the public live channels.

Protocol (JSON text frames), server to client:
  {"type": "hello", "topic", "seq", "server_time"}      on connect
  {"type": "event", "topic", "seq", "kind", "data"}      a live event (also when replayed)
  {"type": "snapshot", "topic", "seq", "data"}           the whole public state at `seq`
  {"type": "pong", "seq", "server_time"}
client to server:
  {"type": "resume", "since": N}   replay events after N (or a snapshot when it cannot be)
  {"type": "ping"}                 answered with the topic's current number
A client may also connect with `?since=N`. Events carry one sequence number per topic; a
client that sees a gap, or a hello/pong number above its own, asks to resume from its last
number, so no update is ever lost even when the channel layer drops a push.
"""

import json
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings

from core import clock
from core.live import BOARD, events_since, tender_topic, topic_head

from . import snapshots
from .hub import hub


class LiveConsumer(AsyncWebsocketConsumer):
    # Sockets get no channel of their own: the process hub holds the one subscription per
    # topic and writes each event to its sockets (see hub.py).
    channel_layer_alias = None
    topic: str | None = None
    joined = False

    def resolve_topic(self, kwargs: dict) -> str | None:
        """The public topic this URL names, or None when there is none (runs in a thread)."""
        raise NotImplementedError

    def _head_and_time(self) -> tuple[int, str]:
        return topic_head(self.topic), clock.now().isoformat()

    async def connect(self):
        kwargs = self.scope["url_route"]["kwargs"]
        self.topic = await database_sync_to_async(self.resolve_topic)(kwargs)
        if self.topic is None:
            await self.close(code=4404)
            return
        await self.accept()
        # Join first, then read the head: every event is either pushed to us from now on or
        # already counted in the head (and replayed below); duplicates are dropped by seq.
        await hub().join(self.topic, self.deliver)
        self.joined = True
        head, server_time = await database_sync_to_async(self._head_and_time)()
        await self._send(
            {"type": "hello", "topic": self.topic, "seq": head, "server_time": server_time}
        )
        query = parse_qs(self.scope.get("query_string", b"").decode())
        since = _whole_number(query.get("since", [None])[0])
        if since is not None and since != head:
            await self.resync(since)

    async def disconnect(self, code):
        if self.joined:
            await hub().leave(self.topic, self.deliver)

    async def deliver(self, text: str) -> None:
        # Encoded once by the publisher, sent as is to every watcher.
        await self.send(text_data=text)

    async def receive(self, text_data=None, bytes_data=None):
        try:
            message = json.loads(text_data or "")
        except ValueError:
            return
        if not isinstance(message, dict) or not self.joined:
            return
        if message.get("type") == "resume":
            since = _whole_number(message.get("since"))
            if since is not None:
                await self.resync(since)
        elif message.get("type") == "ping":
            head, server_time = await database_sync_to_async(self._head_and_time)()
            await self._send({"type": "pong", "seq": head, "server_time": server_time})

    async def resync(self, since: int) -> None:
        events = await database_sync_to_async(events_since)(
            self.topic, since, settings.LIVE_REPLAY_LIMIT
        )
        if events is None:
            seq, data = await database_sync_to_async(snapshots.snapshot)(self.topic)
            await self._send({"type": "snapshot", "topic": self.topic, "seq": seq, "data": data})
            return
        for event in events:
            await self._send({"type": "event", **event.as_message()})

    async def _send(self, message: dict) -> None:
        await self.send(text_data=json.dumps(message, ensure_ascii=False))


class BoardConsumer(LiveConsumer):
    def resolve_topic(self, kwargs):
        return BOARD


class TenderConsumer(LiveConsumer):
    def resolve_topic(self, kwargs):
        tender_id = kwargs["tender_id"]
        return tender_topic(tender_id) if snapshots.tender_is_public(tender_id) else None


def _whole_number(value) -> int | None:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if number >= 0 else None
