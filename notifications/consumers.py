"""WebSocket consumers of the public live channels.

Protocol (JSON text frames), server to client:
  {"type": "hello", "topic", "seq", "server_time"}      on connect
  {"type": "event", "topic", "seq", "kind", "data"}      a live event (also when replayed)
  {"type": "snapshot", "topic", "seq", "data"}           the whole public state at `seq`
  {"type": "pong", "server_time"}
client to server:
  {"type": "resume", "since": N}   replay events after N (or a snapshot when too far behind)
  {"type": "ping"}
A client may also connect with `?since=N`. Events carry one sequence number per topic; a
client that sees a gap asks to resume from its last number, so no update is ever lost even
when the channel layer drops a push.
"""

import json
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings

from core import clock
from core.live import BOARD, events_since, group_name, tender_topic, topic_head

from . import snapshots


class LiveConsumer(AsyncWebsocketConsumer):
    topic: str | None = None

    async def resolve_topic(self) -> str | None:
        raise NotImplementedError

    async def connect(self):
        self.topic = await self.resolve_topic()
        if self.topic is None:
            await self.close(code=4404)
            return
        await self.channel_layer.group_add(group_name(self.topic), self.channel_name)
        await self.accept()
        query = parse_qs(self.scope.get("query_string", b"").decode())
        since = _whole_number(query.get("since", [None])[0])
        head = await database_sync_to_async(topic_head)(self.topic)
        await self._send(
            {
                "type": "hello",
                "topic": self.topic,
                "seq": head,
                "server_time": clock.now().isoformat(),
            }
        )
        if since is not None and since < head:
            await self.resync(since)

    async def disconnect(self, code):
        if self.topic:
            await self.channel_layer.group_discard(group_name(self.topic), self.channel_name)

    async def receive(self, text_data=None, bytes_data=None):
        try:
            message = json.loads(text_data or "")
        except ValueError:
            return
        if not isinstance(message, dict):
            return
        if message.get("type") == "resume":
            since = _whole_number(message.get("since"))
            if since is not None:
                await self.resync(since)
        elif message.get("type") == "ping":
            await self._send({"type": "pong", "server_time": clock.now().isoformat()})

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

    async def live_event(self, message):
        # Encoded once by the publisher, sent as is to every watcher.
        await self.send(text_data=message["text"])

    async def _send(self, message: dict) -> None:
        await self.send(text_data=json.dumps(message, ensure_ascii=False))


class BoardConsumer(LiveConsumer):
    async def resolve_topic(self):
        return BOARD


class TenderConsumer(LiveConsumer):
    async def resolve_topic(self):
        tender_id = self.scope["url_route"]["kwargs"]["tender_id"]
        exists = await database_sync_to_async(snapshots.tender_is_public)(tender_id)
        return tender_topic(tender_id) if exists else None


def _whole_number(value) -> int | None:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if number >= 0 else None
