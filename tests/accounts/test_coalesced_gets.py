"""Concurrent session reads of one process go to Redis as one MGET, and each read still
reads Redis after it was asked (storage.cache.CoalescedGets); the commands on every signed-in
request's path go over connections of their own (storage.cache.HotCommands)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from redis.asyncio import Redis
from redis.exceptions import NoScriptError, RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError

from storage.cache import CoalescedGets, HotCommands, create_redis
from tests.faults.servers import redis_server
from tests.processes import free_port


class Counted(CoalescedGets):
    """The batches as they are sent, each still read from Redis."""

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.sent: list[list[str]] = []

    async def _mget(self, keys: list[str]) -> list[Any]:
        self.sent.append(list(keys))
        return await super()._mget(keys)


async def test_reads_waiting_together_are_one_mget_and_nothing_is_kept(redis_url: str) -> None:
    redis = create_redis(redis_url)
    await redis.flushdb()
    await redis.set("session:a", "A")
    await redis.set("session:b", "B")
    hot = HotCommands(redis)
    gets = Counted(hot)
    sent = gets.sent

    values = await asyncio.gather(
        gets.get("session:a"), gets.get("session:b"), gets.get("session:a"), gets.get("none")
    )

    assert list(values) == ["A", "B", "A", None]
    assert sent == [["session:a", "session:b", "none"]]
    # A session deleted (signed out) between two batches is never answered from the first.
    await redis.delete("session:a")
    assert await gets.get("session:a") is None
    assert len(sent) == 2
    await hot.aclose()
    await redis.aclose()


async def test_a_cancelled_reader_leaves_the_others_their_answers(redis_url: str) -> None:
    redis = create_redis(redis_url)
    await redis.flushdb()
    await redis.set("session:a", "A")
    hot = HotCommands(redis)
    gets = CoalescedGets(hot)
    gone = asyncio.create_task(gets.get("session:a"))
    await asyncio.sleep(0)  # it is waiting for the batch
    gone.cancel()

    assert await gets.get("session:a") == "A"
    with pytest.raises(asyncio.CancelledError):
        await gone
    await hot.aclose()
    await redis.aclose()


async def test_redis_down_fails_every_reader_with_a_redis_error() -> None:
    redis = create_redis(f"redis://127.0.0.1:{free_port()}/0")  # nothing listens there
    hot = HotCommands(redis)
    gets = CoalescedGets(hot)

    results = await asyncio.gather(gets.get("a"), gets.get("b"), return_exceptions=True)

    assert all(isinstance(result, RedisError) for result in results)
    await hot.aclose()
    await redis.aclose()


async def test_an_unexpected_failure_fails_every_reader_rather_than_leaving_them_waiting(
    redis_url: str,
) -> None:
    redis = create_redis(redis_url)

    class ShortReply(CoalescedGets):
        async def _mget(self, keys: list[str]) -> list[Any]:
            return [None]  # one value for two keys

    hot = HotCommands(redis)
    gets = ShortReply(hot)

    results = await asyncio.wait_for(
        asyncio.gather(gets.get("a"), gets.get("b"), return_exceptions=True), 5
    )

    assert all(isinstance(result, RedisError) for result in results), results
    await hot.aclose()
    await redis.aclose()


async def test_commands_reuse_their_connections_and_one_redis_closed_is_replaced() -> None:
    """A connection is kept for the next command; one that Redis closed meanwhile (a restart)
    costs its command nothing but a new connection."""
    with redis_server() as server:
        redis = create_redis(server.url)
        await redis.set("session:a", "A")
        hot = HotCommands(redis)
        assert await hot.execute_command("MGET", "session:a") == ["A"]
        assert await hot.execute_command("MGET", "session:a", "none") == ["A", None]
        assert len(await redis.client_list()) == 2  # the client's own and the kept one

        server.stop()
        server.start()
        await redis.aclose()
        redis = create_redis(server.url)
        await redis.set("session:a", "again")

        assert await hot.execute_command("MGET", "session:a") == ["again"]
        assert len(await redis.client_list()) == 2
        await hot.aclose()
        assert len(await redis.client_list()) == 1
        await redis.aclose()


async def test_an_error_reply_keeps_the_connection_and_a_failed_command_closes_it(
    redis_url: str,
) -> None:
    redis = create_redis(redis_url)
    hot = HotCommands(redis)
    await hot.execute_command("PING")
    kept = hot._idle[0]

    with pytest.raises(NoScriptError):  # read whole: the connection answers the next one
        await hot.execute_command("EVALSHA", "0" * 40, 0)
    assert hot._idle == [kept]
    assert await hot.execute_command("MGET", "none") == [None]

    async def cut_off(*args: Any, **kwargs: Any) -> Any:
        raise asyncio.CancelledError  # the caller gone while its reply is on the way

    kept.read_response = cut_off  # type: ignore[method-assign]
    with pytest.raises(asyncio.CancelledError):
        await hot.execute_command("MGET", "none")
    # A reply half read answers no one: the connection is closed, not kept.
    assert hot._idle == []
    assert hot._open == 0
    assert await hot.execute_command("MGET", "none") == [None]
    await hot.aclose()
    await redis.aclose()


async def test_commands_beyond_the_kept_connections_go_through_the_client(redis_url: str) -> None:
    redis = create_redis(redis_url)
    await redis.set("session:a", "A")
    hot = HotCommands(redis)
    gate = asyncio.Event()
    reply = hot._on

    async def held(connection: Any, args: Any) -> Any:
        await gate.wait()  # every kept connection busy at once
        return await reply(connection, args)

    hot._on = held  # type: ignore[method-assign]
    commands = [
        asyncio.create_task(hot.execute_command("MGET", "session:a"))
        for _ in range(HotCommands.CONNECTIONS + 2)
    ]
    await asyncio.wait(commands[HotCommands.CONNECTIONS :], timeout=5)
    # Those beyond the kept connections were answered; the others are still held.
    assert [c.done() for c in commands] == [False] * HotCommands.CONNECTIONS + [True] * 2
    gate.set()

    assert await asyncio.gather(*commands) == [["A"]] * len(commands)
    assert len(hot._idle) == HotCommands.CONNECTIONS
    await hot.aclose()
    await redis.aclose()


async def test_a_command_redis_does_not_answer_ends_at_the_clients_socket_timeout() -> None:
    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read(-1)  # reads whatever comes and never answers, until closed
        writer.close()

    server = await asyncio.start_server(silent, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    redis = Redis.from_url(f"redis://127.0.0.1:{port}/0", socket_timeout=0.2)
    hot = HotCommands(redis)

    with pytest.raises(RedisTimeoutError):
        await asyncio.wait_for(hot.execute_command("MGET", "session:a"), 5)
    assert hot._open == 0  # the connection is closed: its reply may still come
    await hot.aclose()
    await redis.aclose()
    server.close()
    await server.wait_closed()
