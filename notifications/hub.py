"""One channel-layer subscription per topic per process, fanned out to the local sockets.

Channels' usual pattern gives every socket its own channel in the topic's group: a broadcast
to N watchers is N channel messages, N woken receive loops, and with the in-memory layer N
scans of all channels. Here each process joins a topic's group once, receives each event
once, and writes the already-encoded text to its watchers of that topic directly.

A hub belongs to one event loop (the server's); tests that run several loops get one each.
"""

import asyncio
import logging
import weakref
from collections.abc import Awaitable, Callable

from channels.layers import get_channel_layer

from core.live import group_name

log = logging.getLogger(__name__)

Deliver = Callable[[str], Awaitable[None]]
GROUP_REFRESH_SECONDS = 600


class Hub:
    def __init__(self) -> None:
        self.layer = get_channel_layer()
        self.watchers: dict[str, set[Deliver]] = {}
        self.listeners: dict[str, tuple[str, tuple[asyncio.Task, ...]]] = {}
        self.lock = asyncio.Lock()

    async def join(self, topic: str, deliver: Deliver) -> None:
        async with self.lock:
            watchers = self.watchers.setdefault(topic, set())
            watchers.add(deliver)
            if topic not in self.listeners:
                channel = await self.layer.new_channel()
                await self.layer.group_add(group_name(topic), channel)
                loop = asyncio.get_running_loop()
                tasks = (
                    loop.create_task(self._listen(topic, channel)),
                    loop.create_task(self._renew(topic, channel)),
                )
                self.listeners[topic] = (channel, tasks)

    async def leave(self, topic: str, deliver: Deliver) -> None:
        async with self.lock:
            watchers = self.watchers.get(topic)
            if watchers is None:
                return
            watchers.discard(deliver)
            if watchers:
                return
            del self.watchers[topic]
            channel, tasks = self.listeners.pop(topic)
            for task in tasks:
                task.cancel()
            await self.layer.group_discard(group_name(topic), channel)

    async def _listen(self, topic: str, channel: str) -> None:
        while True:
            try:
                message = await self.layer.receive(channel)
            except asyncio.CancelledError:
                raise
            except Exception:  # the layer hiccupped: clients resync by sequence number
                log.exception("live hub receive failed for %s", topic)
                await asyncio.sleep(0.5)
                continue
            text = message.get("text")
            if text is None:
                continue
            for deliver in list(self.watchers.get(topic, ())):
                try:
                    await deliver(text)
                except Exception:  # one broken socket must not starve the others
                    log.debug("live delivery to one watcher of %s failed", topic, exc_info=True)

    async def _renew(self, topic: str, channel: str) -> None:
        """Layers expire group members (the in-memory one after a day): renew ours, without
        interrupting the receive (the Redis layer drops a channel whose receive is cancelled)."""
        while True:
            await asyncio.sleep(GROUP_REFRESH_SECONDS)
            try:
                await self.layer.group_add(group_name(topic), channel)
            except Exception:
                log.exception("live hub could not renew its membership of %s", topic)


_hubs: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Hub]" = weakref.WeakKeyDictionary()


def hub() -> Hub:
    loop = asyncio.get_running_loop()
    current = _hubs.get(loop)
    if current is None:
        current = _hubs[loop] = Hub()
    return current
