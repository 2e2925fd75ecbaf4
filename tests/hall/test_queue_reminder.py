"""The resident following a ticket: one WeChat subscribe message when three people are ahead
(exactly once per ticket), and the position live over graphql-transport-ws."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from tests.api.test_subscriptions import websocket
from tests.conftest import RunningApp
from tests.hall.conftest import (
    CALL_NEXT,
    CHECK_IN,
    MONDAY,
    act,
    at,
    book,
    centre_id,
    china,
    city_item,
    drain,
    hall_terminal,
    login,
    resident,
    slot_start,
    window_id,
)
from tests.hall.test_queue import TUESDAY

GRANT = (
    "mutation($input: GrantSubscriptionsInput!) { grantSubscriptions(input: $input) { "
    "__typename } }"
)
SUBSCRIBE = (
    "subscription($id: ID!) { queueTicketEvents(id: $id) { code status ahead "
    "calledWindow { number } } }"
)


async def test_one_message_when_three_are_ahead(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    service = await city_item()
    program = await resident(seeded, wechat, "a")
    answers = await program.wx_request_subscribe(["TPL_QUEUE_REMINDER", "TPL_QUEUE_REMINDER"])
    granted = await seeded.gql.data(
        GRANT,
        {
            "input": {
                "results": [
                    {"templateId": "TPL_QUEUE_REMINDER", "result": answers["TPL_QUEUE_REMINDER"]}
                ]
                * 2
            }
        },
        token=program.token,
    )
    assert granted["grantSubscriptions"]
    at(seeded, china(MONDAY, 8))
    booking = await book(seeded, program, service, slot_start(TUESDAY, 10))
    terminal = await hall_terminal(seeded)
    officer = await login(seeded, "hall-window-510100")
    at(seeded, china(TUESDAY, 9, 30))
    for _ in range(5):
        slip = await act(
            seeded, CHECK_IN, terminal, centreId=await centre_id(), serviceCode=service
        )
        assert slip["__typename"] == "QueueTicket"
    at(seeded, china(TUESDAY, 10))
    ticket = await act(seeded, CHECK_IN, program.token, appointmentId=booking["id"])
    window = await window_id("1")

    sent: list[int] = []
    aheads: list[Any] = []
    for _ in range(5):
        await drain(seeded)
        sent.append(len(await program.wx_messages()))
        called = await act(seeded, CALL_NEXT, officer, windowId=window)
        assert called["__typename"] == "QueueTicket"
        aheads.append(
            (
                await seeded.gql.data(
                    "query($id: ID!) { queueTicket(id: $id) { ahead } }",
                    {"id": ticket["id"]},
                    token=program.token,
                )
            )["queueTicket"]["ahead"]
        )
    await drain(seeded)
    messages = await program.wx_messages()

    assert ticket["ahead"] == 5
    assert aheads == [4, 3, 2, 1, 0]
    # Nothing with 5 and 4 ahead; the message once 3 are ahead, and never again.
    assert sent == [0, 0, 1, 1, 1]
    assert len(messages) == 1
    assert messages[0]["templateId"] == "TPL_QUEUE_REMINDER"
    assert messages[0]["data"]["character_string1"] == ticket["code"]
    assert messages[0]["data"]["phrase3"] == "即将叫号"


async def test_the_position_arrives_live_until_the_ticket_is_called(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    service = await city_item()
    program = await resident(seeded, wechat, "a")
    other = await resident(seeded, wechat, "b")
    at(seeded, china(MONDAY, 8))
    booking = await book(seeded, program, service, slot_start(TUESDAY, 10))
    terminal = await hall_terminal(seeded)
    officer = await login(seeded, "hall-window-510100")
    at(seeded, china(TUESDAY, 9, 30))
    await act(seeded, CHECK_IN, terminal, centreId=await centre_id(), serviceCode=service)
    at(seeded, china(TUESDAY, 10))
    ticket = await act(seeded, CHECK_IN, program.token, appointmentId=booking["id"])

    async with websocket(seeded) as ws:
        await ws.send_json(
            {"type": "connection_init", "payload": {"Authorization": f"Bearer {program.token}"}}
        )
        assert (await ws.receive_json())["type"] == "connection_ack"
        await ws.send_json(
            {
                "id": "1",
                "type": "subscribe",
                "payload": {"query": SUBSCRIBE, "variables": {"id": ticket["id"]}},
            }
        )
        first = await asyncio.wait_for(ws.receive_json(), 5)
        await seeded.until_subscribed()
        await act(seeded, CALL_NEXT, officer, windowId=await window_id("1"))
        moved = await asyncio.wait_for(ws.receive_json(), 5)
        await act(seeded, CALL_NEXT, officer, windowId=await window_id("2"))
        called = await asyncio.wait_for(ws.receive_json(), 5)

    async with websocket(seeded) as ws:
        await ws.send_json(
            {"type": "connection_init", "payload": {"Authorization": f"Bearer {other.token}"}}
        )
        assert (await ws.receive_json())["type"] == "connection_ack"
        await ws.send_json(
            {
                "id": "1",
                "type": "subscribe",
                "payload": {"query": SUBSCRIBE, "variables": {"id": ticket["id"]}},
            }
        )
        refused = await asyncio.wait_for(ws.receive_json(), 5)

    def data(message: dict[str, Any]) -> Any:
        assert message["type"] == "next", message
        return message["payload"]["data"]["queueTicketEvents"]

    assert data(first) == {"code": "A002", "status": "WAITING", "ahead": 1, "calledWindow": None}
    assert data(moved)["ahead"] == 0
    assert data(called) == {
        "code": "A002",
        "status": "CALLED",
        "ahead": None,
        "calledWindow": {"number": "2"},
    }
    errors = refused["payload"] if refused["type"] == "error" else refused["payload"]["errors"]
    assert errors[0]["extensions"]["code"] == "NOT_FOUND"
