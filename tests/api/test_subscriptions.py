"""Subscriptions over graphql-transport-ws: auth in connection_init, origins, events."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from httpx_ws import WebSocketDisconnect, aconnect_ws
from httpx_ws.transport import ASGIWebSocketTransport

from mock_wechat.client import MiniProgram
from tests.conftest import RunningApp

PROTOCOL = "graphql-transport-ws"


@asynccontextmanager
async def websocket(
    running: RunningApp, headers: dict[str, str] | None = None
) -> AsyncIterator[Any]:
    transport = ASGIWebSocketTransport(app=running.asgi)
    async with (
        httpx.AsyncClient(transport=transport, base_url="http://testserver") as client,
        aconnect_ws("/graphql", client, subprotocols=[PROTOCOL], headers=headers or {}) as ws,  # type: ignore[var-annotated]
    ):
        yield ws


async def test_account_events_reach_the_residents_other_device(
    running: RunningApp, wechat: httpx.AsyncClient
) -> None:
    program = MiniProgram(running.client, wechat, "a")
    await program.login()
    async with websocket(running) as ws:
        await ws.send_json(
            {"type": "connection_init", "payload": {"Authorization": f"Bearer {program.token}"}}
        )
        assert (await ws.receive_json())["type"] == "connection_ack"
        await ws.send_json(
            {"id": "1", "type": "subscribe", "payload": {"query": "subscription { accountEvents }"}}
        )
        await running.until_subscribed()

        await program.bind_phone("13800138000")

        message = await asyncio.wait_for(ws.receive_json(), 5)
        assert message == {
            "id": "1",
            "type": "next",
            "payload": {"data": {"accountEvents": "PHONE_BOUND"}},
        }


async def test_signed_out_sockets_cannot_subscribe(running: RunningApp) -> None:
    async with websocket(running) as ws:
        await ws.send_json({"type": "connection_init", "payload": {}})
        assert (await ws.receive_json())["type"] == "connection_ack"
        await ws.send_json(
            {"id": "1", "type": "subscribe", "payload": {"query": "subscription { accountEvents }"}}
        )

        message = await asyncio.wait_for(ws.receive_json(), 5)

    assert message["type"] in ("error", "next")
    errors = message["payload"] if message["type"] == "error" else message["payload"]["errors"]
    assert errors[0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_a_bad_token_in_connection_init_closes_the_socket(running: RunningApp) -> None:
    async with websocket(running) as ws:
        await ws.send_json(
            {"type": "connection_init", "payload": {"Authorization": "Bearer forged"}}
        )
        with pytest.raises(WebSocketDisconnect) as closed:
            await asyncio.wait_for(ws.receive_json(), 5)

    assert closed.value.code == 4403


async def test_cross_origin_handshakes_are_refused(running: RunningApp) -> None:
    # Closed before the handshake is accepted (1008): a server answers that with HTTP 403.
    with pytest.RaisesGroup(
        pytest.RaisesExc(WebSocketDisconnect, check=lambda e: e.code == 1008),
        flatten_subgroups=True,
    ):
        async with websocket(running, headers={"origin": "https://evil.example"}):
            pass


async def test_the_mini_program_origin_is_allowed(running: RunningApp) -> None:
    async with websocket(running, headers={"origin": "https://servicewechat.com"}) as ws:
        await ws.send_json({"type": "connection_init", "payload": {}})
        assert (await ws.receive_json())["type"] == "connection_ack"
