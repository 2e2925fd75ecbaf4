"""The courier's waybill API and the signature of its webhooks.

A waybill is created with `POST {base}/waybills` (JSON: reference, recipient) and answered
with its tracking number. The courier then reports each status to our webhook with
`X-Courier-Timestamp` (Unix seconds) and `X-Courier-Signature`: hex HMAC-SHA256 of
`<timestamp>.<raw body>` under the shared secret. The same functions sign (the mock courier)
and verify (our endpoint), so both sides agree on the bytes signed.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

import httpx


class CourierError(Exception):
    """The courier did not take the waybill (unreachable, or it refused: `status`)."""

    def __init__(self, status: int | None) -> None:
        super().__init__(f"courier answered {status}")
        self.status = status


@dataclass(frozen=True, slots=True)
class Recipient:
    name: str
    phone: str
    address: str


@dataclass(frozen=True, slots=True)
class Waybill:
    tracking_number: str


def sign(secret: str, timestamp: str, body: bytes) -> str:
    message = timestamp.encode() + b"." + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def verify(secret: str, timestamp: str, body: bytes, signature: str) -> bool:
    return hmac.compare_digest(sign(secret, timestamp, body), signature)


TIMEOUT_SECONDS = 10.0


async def create_waybill(base_url: str, reference: str, recipient: Recipient) -> Waybill:
    payload = {
        "reference": reference,
        "recipient": {
            "name": recipient.name,
            "phone": recipient.phone,
            "address": recipient.address,
        },
    }
    try:
        async with httpx.AsyncClient(timeout=TIMEOUT_SECONDS) as client:
            response = await client.post(f"{base_url.rstrip('/')}/waybills", json=payload)
    except httpx.HTTPError:
        raise CourierError(None) from None
    if response.status_code != 200:
        raise CourierError(response.status_code)
    number = str(response.json().get("trackingNumber") or "")
    if not 0 < len(number) <= 32:
        raise CourierError(response.status_code)
    return Waybill(tracking_number=number)
