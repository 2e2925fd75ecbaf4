"""Redis restarted or unreachable, on a redis-server the test starts itself: sessions (kept in
PostgreSQL) still sign their holders in, sign-in limits fail closed, the cost budget fails
open, a WebSocket subscriber's process resubscribes by itself, and the outbox delivers without
Redis (docs/failure-modes.md)."""

from __future__ import annotations

import httpx
import pytest
from redis.asyncio import Redis

from api.outbox import dispatcher
from api.resources import open_resources
from mock_wechat.server import MockState
from resolvers.notifications.handlers import INBOX
from resolvers.settings import Settings
from storage.models.outbox import OutboxMessage, OutboxStatus
from storage.repositories import outbox as repo
from tests.applications.conftest import (
    HYGIENE,
    implementation,
    officers,
    submit,
    verified_resident,
)
from tests.conftest import RunningApp
from tests.faults.servers import redis_server
from tests.faults.test_many_processes import accept_through, listening, subscribed
from tests.faults.test_postgres_restart import ME, REQUEST, _gql, _phone, _sign_in
from tests.processes import api_processes, eventually

pytestmark = pytest.mark.processes

ANNOUNCE = "{ __typename }"


async def test_a_redis_restart(settings: Settings, mock_state: MockState) -> None:
    if not settings.database_url.startswith("postgres"):
        pytest.skip("API processes share state only through real PostgreSQL")
    with redis_server() as redis:
        own = settings.model_copy(update={"redis_url": redis.url})
        with api_processes(own, 1) as (url,):
            async with httpx.AsyncClient(timeout=10) as client:
                session = await _sign_in(client, url, mock_state, _phone())
                assert session["__typename"] == "Session"

                redis.stop()

                ready = await client.get(f"{url}/readyz")
                assert (ready.status_code, ready.json()["down"]) == (503, ["redis"])
                # Sessions live in PostgreSQL: the signed-in keep working.
                me = await _gql(client, url, ME, token=session["token"])
                assert me.status_code == 200, me.text
                assert me.json()["data"]["me"]["id"], me.text
                # The cost budget fails open: anonymous reads still run.
                anonymous = await _gql(client, url, ANNOUNCE)
                assert anonymous.json()["data"] == {"__typename": "Query"}, anonymous.text
                # Sign-in limits fail closed: no code is sent while nothing can count them.
                sent = await _gql(client, url, REQUEST, {"p": _phone()})
                assert sent.status_code == 200, sent.text
                assert sent.json()["data"]["requestSmsCode"]["__typename"] != "SmsCodeSent"

                redis.start()

                async def ready_again() -> bool:
                    return (await client.get(f"{url}/readyz")).status_code == 200

                await eventually(ready_again, 30, "the API found Redis again")
                again = await _sign_in(client, url, mock_state, _phone())
                assert again["__typename"] == "Session"


async def test_the_outbox_delivers_without_redis(running: RunningApp) -> None:
    """Redis is a cache, a counter and a bus, never the outbox's store: with Redis gone, a
    worker still reads, sends and records messages in PostgreSQL."""
    with redis_server() as redis:
        own = running.settings.model_copy(update={"redis_url": redis.url})
        async with open_resources(own) as resources:
            redis.stop()
            message = await repo.enqueue(
                INBOX,
                "redis-down",
                {"account_ids": [], "topic": "SYSTEM", "title": "通知", "body": "正文"},
                now=resources.clock(),
            )
            handled = await dispatcher(resources).drain()
    row = await OutboxMessage.get(id=message.id)
    assert handled == 1
    assert row.status is OutboxStatus.DELIVERED


async def test_a_subscriber_keeps_receiving_after_a_redis_restart(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    """The socket stays open while Redis restarts; the process's one pub/sub connection
    resubscribes by itself, and the next status change reaches the subscriber."""
    if not seeded.settings.database_url.startswith("postgres"):
        pytest.skip("API processes share state only through real PostgreSQL")
    program = await verified_resident(seeded, wechat, "rr")
    assert program.token is not None
    submitted = await submit(seeded, program)
    tokens = await officers(seeded, await implementation(HYGIENE))
    with redis_server() as redis:
        own = seeded.settings.model_copy(update={"redis_url": redis.url})
        with api_processes(own, 1) as (url,):
            async with subscribed(url, program.token, submitted["id"]) as ws:
                before = Redis.from_url(redis.url)
                try:
                    await listening(before, submitted["id"], ws)
                finally:
                    await before.aclose()

                redis.stop()
                redis.start()  # empty: no subscription survives in the server itself

                after = Redis.from_url(redis.url)
                try:
                    await listening(after, submitted["id"], ws)
                finally:
                    await after.aclose()
                async with httpx.AsyncClient(timeout=10) as client:

                    async def ready_again() -> bool:
                        return (await client.get(f"{url}/readyz")).status_code == 200

                    await eventually(ready_again, 30, "the API found Redis again")
                accepted = await accept_through(url, submitted["id"], tokens["lead"])
                assert accepted["status"] == "ACCEPTED", accepted
                event = await ws.receive_json(timeout=30)
    assert event["type"] == "next", event
    assert event["payload"]["data"]["applicationEvents"]["status"] == "ACCEPTED"
