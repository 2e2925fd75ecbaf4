"""Redis pub/sub for the whole process on one connection, fanned out in memory to every local
subscriber: subscriptions cost a queue each, never a Redis connection."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any

from storage.cache import Redis, RedisError

log = logging.getLogger(__name__)

# Events waiting for a subscriber that does not read: past this, the oldest are dropped (a
# screen that misses an event reloads; a stuck socket must not hold memory).
QUEUE_SIZE = 64
_RECONNECT_MAX_SECONDS = 5.0


class EventHub:
    """One pub/sub connection per process; `listen(channel)` yields that channel's messages."""

    def __init__(self, redis: Redis) -> None:
        self._redis = redis
        self._queues: dict[str, set[asyncio.Queue[str]]] = {}
        self._pubsub: Any = None
        self._reader: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()
        self._lock = asyncio.Lock()
        self._closed = False
        self.connected = False

    @property
    def channels(self) -> int:
        return len(self._queues)

    @property
    def listening(self) -> tuple[str, ...]:
        """The channels this process listens to."""
        return tuple(self._queues)

    @property
    def subscribers(self) -> int:
        return sum(len(queues) for queues in self._queues.values())

    async def listen(self, channel: str) -> AsyncIterator[str]:
        queue: asyncio.Queue[str] = asyncio.Queue(maxsize=QUEUE_SIZE)
        await self._add(channel, queue)
        try:
            while True:
                yield await queue.get()
        finally:
            await self._remove(channel, queue)

    async def _add(self, channel: str, queue: asyncio.Queue[str]) -> None:
        async with self._lock:
            first = channel not in self._queues
            self._queues.setdefault(channel, set()).add(queue)
            if self._reader is None or self._reader.done():
                self._reader = asyncio.create_task(self._read(), name="event-hub")
            if first and self._pubsub is not None:
                with contextlib.suppress(RedisError):
                    # On failure the reader reconnects and subscribes to every channel.
                    await self._pubsub.subscribe(channel)
            self._wake.set()

    async def _remove(self, channel: str, queue: asyncio.Queue[str]) -> None:
        async with self._lock:
            queues = self._queues.get(channel)
            if queues is None:
                return
            queues.discard(queue)
            if queues:
                return
            del self._queues[channel]
            if self._pubsub is not None:
                with contextlib.suppress(RedisError):
                    await self._pubsub.unsubscribe(channel)

    def _deliver(self, channel: str, data: str) -> None:
        for queue in self._queues.get(channel, ()):
            if queue.full():
                with contextlib.suppress(asyncio.QueueEmpty):
                    queue.get_nowait()
            queue.put_nowait(data)

    async def _connect(self) -> None:
        async with self._lock:
            pubsub = self._redis.pubsub(ignore_subscribe_messages=True)
            try:
                if self._queues:
                    await pubsub.subscribe(*self._queues)
            except BaseException:
                await pubsub.aclose()  # type: ignore[no-untyped-call]
                raise
            self._pubsub = pubsub
            self.connected = True

    async def _disconnect(self) -> None:
        pubsub, self._pubsub = self._pubsub, None
        self.connected = False
        if pubsub is not None:
            with contextlib.suppress(RedisError, OSError):
                await pubsub.aclose()

    async def _read(self) -> None:
        delay = 0.1
        while not self._closed:
            if not self._queues:
                # Nobody listens: hold no connection until someone does. The wake-up is
                # cleared before the await so that a listener added while the connection
                # closes still wakes the reader.
                self._wake.clear()
                await self._disconnect()
                await self._wake.wait()
                continue
            try:
                if self._pubsub is None:
                    await self._connect()
                    delay = 0.1
                message = await self._pubsub.get_message(timeout=1.0)
            except (RedisError, OSError) as error:
                log.warning("event hub lost Redis (%s); reconnecting", type(error).__name__)
                await self._disconnect()
                await asyncio.sleep(delay)
                delay = min(delay * 2, _RECONNECT_MAX_SECONDS)
                continue
            if message is not None and message.get("type") == "message":
                self._deliver(str(message["channel"]), str(message["data"]))

    async def close(self) -> None:
        self._closed = True
        self._wake.set()
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader
        await self._disconnect()
