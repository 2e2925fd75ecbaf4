"""Concurrent session reads of one process go to Redis as one MGET, and each read still
reads Redis after it was asked (storage.cache.CoalescedGets)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from redis.exceptions import RedisError

from storage.cache import CoalescedGets, create_redis
from tests.processes import free_port


async def test_reads_waiting_together_are_one_mget_and_nothing_is_kept(redis_url: str) -> None:
    redis = create_redis(redis_url)
    await redis.flushdb()
    await redis.set("session:a", "A")
    await redis.set("session:b", "B")
    sent: list[list[str]] = []
    mget = redis.mget

    async def counted(keys: Any, *args: Any) -> Any:
        sent.append(list(keys))
        return await mget(keys, *args)

    redis.mget = counted  # type: ignore[method-assign]
    gets = CoalescedGets(redis)

    values = await asyncio.gather(
        gets.get("session:a"), gets.get("session:b"), gets.get("session:a"), gets.get("none")
    )

    assert list(values) == ["A", "B", "A", None]
    assert sent == [["session:a", "session:b", "none"]]
    # A session deleted (signed out) between two batches is never answered from the first.
    await redis.delete("session:a")
    assert await gets.get("session:a") is None
    assert len(sent) == 2
    await redis.aclose()


async def test_a_cancelled_reader_leaves_the_others_their_answers(redis_url: str) -> None:
    redis = create_redis(redis_url)
    await redis.flushdb()
    await redis.set("session:a", "A")
    gets = CoalescedGets(redis)
    gone = asyncio.create_task(gets.get("session:a"))
    await asyncio.sleep(0)  # it is waiting for the batch
    gone.cancel()

    assert await gets.get("session:a") == "A"
    with pytest.raises(asyncio.CancelledError):
        await gone
    await redis.aclose()


async def test_redis_down_fails_every_reader_with_a_redis_error() -> None:
    redis = create_redis(f"redis://127.0.0.1:{free_port()}/0")  # nothing listens there
    gets = CoalescedGets(redis)

    results = await asyncio.gather(gets.get("a"), gets.get("b"), return_exceptions=True)

    assert all(isinstance(result, RedisError) for result in results)
    await redis.aclose()


async def test_an_unexpected_failure_fails_every_reader_rather_than_leaving_them_waiting(
    redis_url: str,
) -> None:
    redis = create_redis(redis_url)

    async def short_reply(keys: Any, *args: Any) -> Any:
        return [None]  # one value for two keys

    redis.mget = short_reply  # type: ignore[method-assign]
    gets = CoalescedGets(redis)

    results = await asyncio.wait_for(
        asyncio.gather(gets.get("a"), gets.get("b"), return_exceptions=True), 5
    )

    assert all(isinstance(result, RedisError) for result in results), results
    await redis.aclose()
