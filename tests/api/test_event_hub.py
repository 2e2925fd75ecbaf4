"""The process's one pub/sub connection: a listener that arrives while the hub is letting go
of its connection (the previous listener just left) is still subscribed in Redis."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncGenerator
from typing import Any, cast

import pytest

from storage.cache import create_redis
from storage.events import EventHub


async def _next(events: AsyncGenerator[str, None]) -> str:
    return await anext(events)


async def _listening(redis: Any, channel: str) -> bool:
    counts = await redis.pubsub_numsub(channel)
    return bool(counts and counts[0][1] >= 1)


async def test_a_listener_arriving_while_the_connection_closes_is_subscribed(
    redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    if not redis_url.startswith("redis://"):
        pytest.skip("pub/sub subscriptions are visible only on a real Redis")
    redis = create_redis(redis_url)
    hub = EventHub(redis)
    first = cast(AsyncGenerator[str, None], hub.listen("hub-test:first"))
    second = cast(AsyncGenerator[str, None], hub.listen("hub-test:second"))
    reader: asyncio.Task[str] | None = None
    try:
        # The first listener starts the reader and leaves again once Redis has it.
        started = asyncio.create_task(_next(first))
        for _ in range(100):
            if await _listening(redis, "hub-test:first"):
                break
            await asyncio.sleep(0.05)
        else:
            pytest.fail("the first listener never reached Redis")

        # Closing the connection takes a while (a slow network); the second listener
        # arrives meanwhile.
        closing = asyncio.Event()
        close = type(hub._pubsub).aclose

        async def slow_close(pubsub: Any) -> None:
            closing.set()
            await asyncio.sleep(0.3)
            await close(pubsub)

        monkeypatch.setattr(type(hub._pubsub), "aclose", slow_close)
        started.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await started
        await first.aclose()
        await asyncio.wait_for(closing.wait(), 5)
        reader = asyncio.create_task(_next(second))

        for _ in range(100):
            if await _listening(redis, "hub-test:second"):
                break
            await asyncio.sleep(0.05)
        else:
            pytest.fail("a listener added while the connection closed was never subscribed")
        await redis.publish("hub-test:second", "hello")
        assert await asyncio.wait_for(reader, 5) == "hello"
    finally:
        if reader is not None and not reader.done():
            reader.cancel()
        await second.aclose()
        await hub.close()
        await redis.aclose()
