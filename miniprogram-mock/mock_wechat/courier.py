"""A small courier (EMS) look-alike: waybills, and `/__mock__/courier/advance` to move one
along (PICKED_UP, IN_TRANSIT, DELIVERED), each move sent to the waybill's webhook signed as
integrations/courier/client.py verifies it. The answer to `advance` carries the exact request
it sent (headers and body), so a test whose API is not reachable over HTTP can relay it."""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
from typing import Any

import httpx
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

SECRET = "rongban-dev-courier-secret-not-for-production"  # noqa: S105 (the dev default's twin)
STATUSES = ("CREATED", "PICKED_UP", "IN_TRANSIT", "DELIVERED")


class Courier:
    def __init__(self, secret: str = SECRET) -> None:
        self.secret = secret
        self.webhook_url = ""
        self.waybills: dict[str, dict[str, Any]] = {}

    def signed(self, event: dict[str, Any]) -> tuple[dict[str, str], bytes]:
        body = json.dumps(event, ensure_ascii=False).encode()
        timestamp = str(int(time.time()))
        digest = hmac.new(
            self.secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256
        ).hexdigest()
        headers = {
            "content-type": "application/json",
            "x-courier-timestamp": timestamp,
            "x-courier-signature": digest,
        }
        return headers, body


async def create_waybill(request: Request) -> JSONResponse:
    courier: Courier = request.app.state.courier
    data = await request.json()
    recipient = data.get("recipient") or {}
    if not all(recipient.get(k) for k in ("name", "phone", "address")):
        return JSONResponse({"error": "recipient incomplete"}, status_code=400)
    number = f"EMS{secrets.randbelow(10**10):010d}CN"
    courier.waybills[number] = {"reference": data.get("reference"), "status": "CREATED"}
    return JSONResponse({"trackingNumber": number, "status": "CREATED"})


async def configure(request: Request) -> JSONResponse:
    """`{"webhookUrl"}`: where status events go (our API's /courier/webhook)."""
    courier: Courier = request.app.state.courier
    courier.webhook_url = str((await request.json()).get("webhookUrl") or "")
    return JSONResponse({"webhookUrl": courier.webhook_url})


async def advance(request: Request) -> JSONResponse:
    """`{"trackingNumber"}`: the waybill's next status, sent to the webhook."""
    courier: Courier = request.app.state.courier
    number = str((await request.json()).get("trackingNumber") or "")
    waybill = courier.waybills.get(number)
    if waybill is None:
        return JSONResponse({"error": "unknown waybill"}, status_code=404)
    position = STATUSES.index(waybill["status"])
    if position == len(STATUSES) - 1:
        return JSONResponse({"error": "already delivered"}, status_code=409)
    waybill["status"] = STATUSES[position + 1]
    event = {
        "eventId": secrets.token_hex(12),
        "trackingNumber": number,
        "status": waybill["status"],
        "at": int(time.time()),
    }
    headers, body = courier.signed(event)
    delivered: int | None = None
    if courier.webhook_url:
        try:
            async with httpx.AsyncClient(timeout=10) as client:
                answer = await client.post(courier.webhook_url, content=body, headers=headers)
            delivered = answer.status_code
        except httpx.HTTPError:
            delivered = None
    return JSONResponse(
        {
            "status": waybill["status"],
            "webhookStatus": delivered,
            "request": {"headers": headers, "body": body.decode()},
        }
    )


ROUTES = [
    Route("/courier/waybills", create_waybill, methods=["POST"]),
    Route("/__mock__/courier/webhook", configure, methods=["POST"]),
    Route("/__mock__/courier/advance", advance, methods=["POST"]),
]
