"""An SMS sender that posts signed JSON to a relay (the carrier gateway, or the mock in dev)."""

from __future__ import annotations

import hashlib
import hmac
import time
import uuid
from typing import Protocol

import httpx
import orjson

from integrations.tls import client_context
from storage.metrics import external_call


class SmsError(Exception):
    """The relay refused the message or could not be reached."""


class SmsSender(Protocol):
    async def send(self, phone: str, template: str, params: dict[str, str]) -> None: ...

    async def close(self) -> None: ...


class HttpSmsRelay:
    """POSTs `{phone, template, params}`; the body is signed in the Standard Webhooks style
    (HMAC-SHA256 over `id.timestamp.body`) so the relay can tell us from anyone else."""

    def __init__(self, *, url: str, secret: bytes, timeout: float) -> None:
        self._url = url
        self._secret = secret
        self._client = httpx.AsyncClient(timeout=timeout, verify=client_context())

    async def send(self, phone: str, template: str, params: dict[str, str]) -> None:
        with external_call("sms"):
            await self._send(phone, template, params)

    async def _send(self, phone: str, template: str, params: dict[str, str]) -> None:
        body = orjson.dumps({"phone": phone, "template": template, "params": params})
        message_id = uuid.uuid4().hex
        timestamp = str(int(time.time()))
        signature = hmac.new(
            self._secret, f"{message_id}.{timestamp}.".encode() + body, hashlib.sha256
        ).hexdigest()
        try:
            response = await self._client.post(
                self._url,
                content=body,
                headers={
                    "content-type": "application/json",
                    "webhook-id": message_id,
                    "webhook-timestamp": timestamp,
                    "webhook-signature": f"v1,{signature}",
                },
            )
        except httpx.HTTPError as exc:
            raise SmsError(type(exc).__name__) from None
        if response.status_code >= 300:
            raise SmsError(f"relay answered {response.status_code}")

    async def close(self) -> None:
        await self._client.aclose()
