"""One resident opening many sockets and subscriptions must not take Redis away from everyone
else: one pub/sub connection per process, caps on sockets and subscriptions, typed refusals."""

from __future__ import annotations

import asyncio
from contextlib import AsyncExitStack
from typing import Any

import httpx
import pytest
import redis.asyncio as aioredis
from httpx_ws import WebSocketDisconnect

from mock_wechat.client import MiniProgram
from tests.conftest import RunningApp, start_app
from tests.security.conftest import websocket

pytestmark = pytest.mark.usefixtures("mock_state")


async def _pubsub_connections(redis_url: str) -> int:
    """Pub/sub connections on the Redis server (CLIENT LIST, as an operator would look)."""
    if redis_url.startswith("memory://"):
        pytest.skip("needs a real Redis server to count its connections")
    client = aioredis.from_url(redis_url, decode_responses=True)
    try:
        clients = await client.client_list(_type="pubsub")
        return len(clients)
    finally:
        await client.aclose()


async def _open(ws: Any, token: str | None) -> None:
    await ws.send_json({"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}})
    assert (await asyncio.wait_for(ws.receive_json(), 5))["type"] == "connection_ack"


async def _subscribe(ws: Any, ident: str) -> None:
    await ws.send_json(
        {"id": ident, "type": "subscribe", "payload": {"query": "subscription { accountEvents }"}}
    )


async def test_many_subscriptions_share_one_redis_connection_and_events_reach_all(
    running: RunningApp, wechat: httpx.AsyncClient, redis_url: str
) -> None:
    program = MiniProgram(running.client, wechat, "flood")
    await program.login()
    before = await _pubsub_connections(redis_url)
    async with AsyncExitStack() as stack:
        sockets = [await stack.enter_async_context(websocket(running)) for _ in range(3)]
        for index, ws in enumerate(sockets):
            await _open(ws, program.token)
            for n in range(5):
                await _subscribe(ws, f"{index}-{n}")
        await asyncio.sleep(0.3)

        during = await _pubsub_connections(redis_url)
        await program.bind_phone("13800138000")

        received = 0
        for ws in sockets:
            for _ in range(5):
                message = await asyncio.wait_for(ws.receive_json(), 5)
                assert message["type"] == "next"
                assert message["payload"] == {"data": {"accountEvents": "PHONE_BOUND"}}
                received += 1

    # Fifteen subscriptions, at most one more pub/sub connection (the process's own).
    assert during - before <= 1
    assert received == 15


async def test_sockets_per_account_are_capped_with_a_typed_close(
    settings_factory: Any, wechat: httpx.AsyncClient
) -> None:
    async for running in start_app(settings_factory(max_sockets_per_account=2)):
        program = MiniProgram(running.client, wechat, "sockets")
        await program.login()
        async with AsyncExitStack() as stack:
            for _ in range(2):
                await _open(await stack.enter_async_context(websocket(running)), program.token)
            third = await stack.enter_async_context(websocket(running))
            await third.send_json(
                {"type": "connection_init", "payload": {"Authorization": f"Bearer {program.token}"}}
            )
            with pytest.raises(WebSocketDisconnect) as closed:
                await asyncio.wait_for(third.receive_json(), 5)
        assert closed.value.code == 4430


async def test_sockets_per_address_are_capped(settings_factory: Any) -> None:
    async for running in start_app(settings_factory(max_sockets_per_address=2)):
        async with AsyncExitStack() as stack:
            for _ in range(2):
                ws = await stack.enter_async_context(websocket(running, client="198.51.100.9"))
                await ws.send_json({"type": "connection_init", "payload": {}})
                assert (await ws.receive_json())["type"] == "connection_ack"
            third = await stack.enter_async_context(websocket(running, client="198.51.100.9"))
            await third.send_json({"type": "connection_init", "payload": {}})
            with pytest.raises(WebSocketDisconnect) as closed:
                await asyncio.wait_for(third.receive_json(), 5)
            # Another address is not affected.
            other = await stack.enter_async_context(websocket(running, client="198.51.100.10"))
            await other.send_json({"type": "connection_init", "payload": {}})
            assert (await other.receive_json())["type"] == "connection_ack"
        assert closed.value.code == 4431


async def test_subscriptions_per_socket_are_capped_with_a_typed_error(
    settings_factory: Any, wechat: httpx.AsyncClient
) -> None:
    async for running in start_app(settings_factory(max_subscriptions_per_connection=2)):
        program = MiniProgram(running.client, wechat, "subs")
        await program.login()
        async with websocket(running) as ws:
            await _open(ws, program.token)
            for n in range(3):
                await _subscribe(ws, str(n))
            message = await asyncio.wait_for(ws.receive_json(), 5)
        assert message["type"] == "error"
        assert message["id"] == "2"
        assert message["payload"][0]["extensions"]["code"] == "TOO_MANY_SUBSCRIPTIONS"


async def test_a_subscription_flood_leaves_sign_in_working(
    running: RunningApp, wechat: httpx.AsyncClient
) -> None:
    program = MiniProgram(running.client, wechat, "flooder")
    await program.login()
    async with AsyncExitStack() as stack:
        for index in range(5):
            ws = await stack.enter_async_context(websocket(running))
            await ws.send_json(
                {"type": "connection_init", "payload": {"Authorization": f"Bearer {program.token}"}}
            )
            first = await asyncio.wait_for(ws.receive_json(), 5)
            if first["type"] != "connection_ack":
                continue
            for n in range(20):
                await _subscribe(ws, f"{index}-{n}")
        await asyncio.sleep(0.3)

        other = MiniProgram(running.client, wechat, "bystander")
        await other.login()
        sms = await running.gql(
            'mutation { requestSmsCode(input: {phone: "13912345678"}) { __typename } }'
        )
        staff = await running.gql(
            'mutation { loginStaff(input: {username: "nobody", password: "x"}) { __typename } }'
        )

    assert other.token
    assert sms.data["requestSmsCode"]["__typename"] == "SmsCodeSent"
    assert staff.data["loginStaff"]["__typename"] == "LoginStaffError"
