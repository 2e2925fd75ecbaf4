"""chooseDelivery and the courier's webhook: the resident's choice of window, terminal (a
pickup code shown once, hashed at rest) or post (a waybill at the mock courier); statuses
arrive by signed webhook, and forged, stale or replayed calls change nothing."""

from __future__ import annotations

import time
from typing import Any

import httpx
import orjson

from integrations.courier import sign
from resolvers.settings import DEV_COURIER_SECRET
from storage.models.delivery import Delivery, DeliveryEvent
from tests.applications.conftest import (
    ACCEPT,
    COMPLETE,
    HYGIENE,
    ISSUE,
    implementation,
    officers,
    submit,
    verified_resident,
)
from tests.conftest import RunningApp
from tests.documents.conftest import count_rows

CHOOSE = (
    "mutation($input: ChooseDeliveryInput!) { chooseDelivery(input: $input) { __typename "
    "... on DeliveryChoice { pickupCode delivery { id method status trackingNumber "
    "recipientMasked events { status } } } ... on ChooseDeliveryError { code message field } } }"
)
READ = (
    "query($id: ID!) { delivery(applicationId: $id) { status trackingNumber events { status } } }"
)
RECIPIENT = {"name": "张三", "phone": "13800138000", "address": "成都市锦江区春熙路1号"}


async def _call(
    running: RunningApp, document: str, values: dict[str, Any], token: str | None
) -> Any:
    response = await running.gql(document, {"input": values}, token=token)
    assert not response.errors, response.errors
    return next(iter(response.data.values()))


async def _completed(running: RunningApp, wechat: httpx.AsyncClient, user: str) -> tuple[Any, str]:
    resident = await verified_resident(running, wechat, user)
    tokens = await officers(running, await implementation(HYGIENE))
    submitted = await submit(running, resident)
    accepted = await _call(running, ACCEPT, {"applicationId": submitted["id"]}, tokens["lead"])
    by_code = {**{code: token for code, token in tokens.items() if code != "lead"}}
    for task in accepted["tasks"]:
        token = tokens["lead"] if task["lead"] else by_code[task["department"]["code"]]
        done = await _call(running, COMPLETE, {"taskId": task["id"], "outcome": "APPROVED"}, token)
        assert done["status"] == "APPROVED", done
    issued = await _call(running, ISSUE, {"applicationId": submitted["id"]}, tokens["lead"])
    assert issued["status"] == "COMPLETED", issued
    return resident, str(submitted["id"])


def _pointed_at_the_mock(running: RunningApp, mock_url: str) -> None:
    resources = running.resources
    resources.settings = resources.settings.model_copy(
        update={"courier_url": f"{mock_url}/courier"}
    )


async def _webhook(
    running: RunningApp, body: bytes, *, secret: str = DEV_COURIER_SECRET, age: int = 0
) -> httpx.Response:
    timestamp = str(int(time.time()) - age)
    return await running.client.post(
        "/courier/webhook",
        content=body,
        headers={
            "content-type": "application/json",
            "x-courier-timestamp": timestamp,
            "x-courier-signature": sign(secret, timestamp, body),
        },
    )


async def test_a_posted_result_follows_the_couriers_signed_events(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    _pointed_at_the_mock(seeded, str(wechat.base_url).rstrip("/"))
    resident, application_id = await _completed(seeded, wechat, "poster")

    chosen = await _call(
        seeded,
        CHOOSE,
        {"applicationId": application_id, "method": "POST", "recipient": RECIPIENT},
        resident.token,
    )

    assert chosen["__typename"] == "DeliveryChoice", chosen
    delivery = chosen["delivery"]
    assert (delivery["status"], delivery["recipientMasked"]) == ("CREATED", "张* 138****8000")
    assert delivery["trackingNumber"].startswith("EMS")
    stored = await Delivery.get(tracking_number=delivery["trackingNumber"])
    assert stored.recipient_sealed
    assert "春熙路" not in stored.recipient_sealed

    for expected in ("PICKED_UP", "IN_TRANSIT", "DELIVERED"):
        moved = (
            await wechat.post(
                "/__mock__/courier/advance", json={"trackingNumber": delivery["trackingNumber"]}
            )
        ).json()
        assert moved["status"] == expected
        # The app is not reachable over HTTP in tests: relay the exact signed request.
        sent = moved["request"]
        answer = await seeded.client.post(
            "/courier/webhook", content=sent["body"].encode(), headers=sent["headers"]
        )
        assert answer.status_code == 200, answer.text
        if expected == "IN_TRANSIT":
            replayed = await seeded.client.post(
                "/courier/webhook", content=sent["body"].encode(), headers=sent["headers"]
            )
            assert (replayed.status_code, replayed.json()["code"]) == (409, "REPLAYED")

    seen = await seeded.gql(READ, {"id": application_id}, token=resident.token)
    assert seen.data["delivery"]["status"] == "DELIVERED"
    assert [e["status"] for e in seen.data["delivery"]["events"]] == [
        "CREATED",
        "PICKED_UP",
        "IN_TRANSIT",
        "DELIVERED",
    ]


async def test_forged_stale_and_malformed_webhooks_change_nothing(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    _pointed_at_the_mock(seeded, str(wechat.base_url).rstrip("/"))
    resident, application_id = await _completed(seeded, wechat, "poster")
    chosen = await _call(
        seeded,
        CHOOSE,
        {"applicationId": application_id, "method": "POST", "recipient": RECIPIENT},
        resident.token,
    )
    number = chosen["delivery"]["trackingNumber"]
    event = {"eventId": "e1", "trackingNumber": number, "status": "DELIVERED", "at": 0}
    body = orjson.dumps(event)

    forged = await _webhook(seeded, body, secret="not-the-secret")
    stale = await _webhook(seeded, body, age=3600)
    malformed = await _webhook(seeded, b'{"eventId": "e2"}')
    unknown = await _webhook(seeded, orjson.dumps({**event, "trackingNumber": "EMS0000000000CN"}))
    unsigned = await seeded.client.post("/courier/webhook", content=body)

    assert (forged.status_code, forged.json()["code"]) == (401, "BAD_SIGNATURE")
    assert (stale.status_code, stale.json()["code"]) == (401, "STALE_TIMESTAMP")
    assert (malformed.status_code, malformed.json()["code"]) == (400, "BAD_EVENT")
    assert (unknown.status_code, unknown.json()["code"]) == (404, "UNKNOWN_WAYBILL")
    assert unsigned.status_code == 401
    assert await count_rows("delivery_event") == 1  # only CREATED
    assert (await Delivery.get(tracking_number=number)).status == "CREATED"


async def test_a_terminal_pickup_code_is_shown_once_and_kept_hashed(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    resident, application_id = await _completed(seeded, wechat, "collector")

    chosen = await _call(
        seeded, CHOOSE, {"applicationId": application_id, "method": "TERMINAL"}, resident.token
    )
    again = await _call(
        seeded, CHOOSE, {"applicationId": application_id, "method": "WINDOW"}, resident.token
    )

    code = chosen["pickupCode"]
    assert code.isdigit()
    assert len(code) == 8
    assert chosen["delivery"]["status"] == "READY"
    rows = await Delivery.all()
    assert len(rows) == 1
    assert rows[0].pickup_code_hash == seeded.resources.keyring.token_hash(code)
    assert code not in str(rows[0].pickup_code_hash)
    seen = await seeded.gql(
        "query($id: ID!) { delivery(applicationId: $id) { method status } }",
        {"id": application_id},
        token=resident.token,
    )
    assert seen.data["delivery"] == {"method": "TERMINAL", "status": "READY"}
    assert again["code"] == "ALREADY_CHOSEN"


async def test_bad_input_and_callers_change_nothing(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    resident, application_id = await _completed(seeded, wechat, "collector")
    stranger = await verified_resident(seeded, wechat, "stranger")
    unfinished = await submit(seeded, stranger)
    values = {"applicationId": application_id, "method": "POST"}

    no_recipient = await _call(seeded, CHOOSE, values, resident.token)
    bad_phone = await _call(
        seeded, CHOOSE, {**values, "recipient": {**RECIPIENT, "phone": "12"}}, resident.token
    )
    short_address = await _call(
        seeded, CHOOSE, {**values, "recipient": {**RECIPIENT, "address": "春熙"}}, resident.token
    )
    recipient_for_window = await _call(
        seeded, CHOOSE, {**values, "method": "WINDOW", "recipient": RECIPIENT}, resident.token
    )
    not_finished = await _call(
        seeded, CHOOSE, {"applicationId": unfinished["id"], "method": "WINDOW"}, stranger.token
    )
    not_theirs = await _call(seeded, CHOOSE, {**values, "method": "WINDOW"}, stranger.token)
    anonymous = await _call(seeded, CHOOSE, {**values, "method": "WINDOW"}, None)

    assert (no_recipient["code"], no_recipient["field"]) == ("RECIPIENT_REQUIRED", "recipient")
    assert (bad_phone["code"], bad_phone["field"]) == ("INVALID_PHONE", "recipient.phone")
    assert (short_address["code"], short_address["field"]) == (
        "RECIPIENT_REQUIRED",
        "recipient.address",
    )
    assert (recipient_for_window["code"], recipient_for_window["field"]) == (
        "INVALID_INPUT",
        "recipient",
    )
    assert (not_finished["code"], not_finished["field"]) == ("INVALID_STATE", "applicationId")
    assert (not_theirs["code"], not_theirs["field"]) == ("NOT_FOUND", "applicationId")
    assert anonymous["code"] == "UNAUTHENTICATED"
    assert await count_rows("delivery") == 0
    assert await DeliveryEvent.all().count() == 0
