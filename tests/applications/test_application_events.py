"""applicationEvents: each status change of one's own application, over graphql-transport-ws."""

from __future__ import annotations

import asyncio

import httpx

from tests.api.test_subscriptions import websocket
from tests.applications.conftest import (
    ACCEPT,
    HYGIENE,
    implementation,
    officers,
    submit,
    verified_resident,
)
from tests.conftest import RunningApp

SUBSCRIBE = (
    "subscription($id: ID!) { applicationEvents(applicationId: $id) { applicationId type status } }"
)


async def test_the_owner_sees_acceptance_as_it_happens(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    program = await verified_resident(seeded, wechat, "a")
    submitted = await submit(seeded, program)
    tokens = await officers(seeded, await implementation(HYGIENE))
    async with websocket(seeded) as ws:
        await ws.send_json(
            {"type": "connection_init", "payload": {"Authorization": f"Bearer {program.token}"}}
        )
        assert (await ws.receive_json())["type"] == "connection_ack"
        await ws.send_json(
            {
                "id": "1",
                "type": "subscribe",
                "payload": {"query": SUBSCRIBE, "variables": {"id": submitted["id"]}},
            }
        )
        await seeded.until_subscribed()

        accepted = await seeded.gql.data(
            ACCEPT, {"input": {"applicationId": submitted["id"]}}, token=tokens["lead"]
        )
        message = await asyncio.wait_for(ws.receive_json(), 5)

    assert accepted["acceptApplication"]["status"] == "ACCEPTED"
    assert message["type"] == "next"
    assert message["payload"]["data"]["applicationEvents"] == {
        "applicationId": submitted["id"],
        "type": "ACCEPTED",
        "status": "ACCEPTED",
    }


async def test_others_cannot_follow_someone_elses_application(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    owner = await verified_resident(seeded, wechat, "owner")
    submitted = await submit(seeded, owner)
    stranger = await verified_resident(seeded, wechat, "stranger")
    async with websocket(seeded) as ws:
        await ws.send_json(
            {"type": "connection_init", "payload": {"Authorization": f"Bearer {stranger.token}"}}
        )
        assert (await ws.receive_json())["type"] == "connection_ack"
        await ws.send_json(
            {
                "id": "1",
                "type": "subscribe",
                "payload": {"query": SUBSCRIBE, "variables": {"id": submitted["id"]}},
            }
        )
        message = await asyncio.wait_for(ws.receive_json(), 5)

    errors = message["payload"] if message["type"] == "error" else message["payload"]["errors"]
    assert errors[0]["extensions"]["code"] == "NOT_FOUND"
