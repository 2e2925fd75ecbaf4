"""The provincial platform's exchange interface behind a Protocol, and its httpx adapter:
signed pushes with signed acknowledgements, and the province's list of what it holds."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import date, datetime
from functools import partial
from typing import Any, Protocol

import anyio
import httpx
import orjson

from integrations.provincial import envelope
from integrations.provincial.envelope import EnvelopeError, Signer
from integrations.tls import client_context
from storage.metrics import external_call

MESSAGES_PATH = "/exchange/v1/messages"
RECONCILIATION_PATH = "/exchange/v1/reconciliation"
# How far the province's clock may stand from ours on a signed answer.
RESPONSE_WINDOW = 300
_CODE = re.compile(r"[A-Z][A-Z0-9_]{0,39}")


@dataclass(frozen=True, slots=True)
class Acknowledgement:
    ack_id: str
    message_id: str
    received_at: datetime | None
    duplicate: bool  # the province had the message already (we sent it again after a crash)


@dataclass(frozen=True, slots=True)
class ProvinceRecord:
    """One message as the province holds it (for reconciliation)."""

    message_id: str
    ack_id: str
    application_number: str
    sequence: int
    step: str
    received_at: datetime | None


class ProvinceUnavailable(Exception):
    """Worth another try later: timeout, network, 5xx, 429, an unsigned answer. The reason
    is short, fixed text (it is stored as the message's last error)."""


class ProvinceRefused(Exception):
    """The province answered 4xx: it will not take this message as it is. `reason` is the
    province's own explanation, made safe to store and show to admins (one line, printable,
    at most REASON_LENGTH characters)."""

    def __init__(self, status: int, code: str, reason: str = "") -> None:
        text = f"HTTP {status} {code}".strip()
        super().__init__(f"{text}: {reason}" if reason else text)
        self.status = status
        self.code = code
        self.reason = reason


class ProvincialGateway(Protocol):
    async def push(self, message_id: str, body: bytes) -> Acknowledgement: ...

    async def received(self, day: date) -> list[ProvinceRecord]:
        """What the province holds from us for one day (China time)."""
        ...

    async def close(self) -> None: ...


class HttpProvincialGateway:
    """Signs with our key, verifies the province's answers with its key (the same shared
    secret with HMAC-SHA256; the province's public key with SM2)."""

    def __init__(
        self,
        *,
        base_url: str,
        system_id: str,
        signer: Signer,
        province: Signer,
        timeout: float,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._system_id = system_id
        self._signer = signer
        self._province = province
        self._client = httpx.AsyncClient(
            base_url=base_url.rstrip("/"),
            timeout=timeout,
            trust_env=False,  # no proxy from the environment between us and the province
            follow_redirects=False,
            transport=transport,
            verify=client_context(),
        )

    async def push(self, message_id: str, body: bytes) -> Acknowledgement:
        data = await self._call(MESSAGES_PATH, message_id, body)
        ack_id = data.get("ackId")
        if not isinstance(ack_id, str) or not 0 < len(ack_id) <= 64:
            raise ProvinceUnavailable("acknowledgement without an ack id")
        if data.get("messageId") != message_id:
            raise ProvinceUnavailable("acknowledgement of another message")
        return Acknowledgement(
            ack_id=ack_id,
            message_id=message_id,
            received_at=_time(data.get("receivedAt")),
            duplicate=bool(data.get("duplicate", False)),
        )

    async def received(self, day: date) -> list[ProvinceRecord]:
        body = orjson.dumps({"date": day.isoformat()})
        data = await self._call(RECONCILIATION_PATH, f"reconcile-{uuid.uuid4()}", body)
        records: list[ProvinceRecord] = []
        for item in data.get("messages") or []:
            try:
                records.append(
                    ProvinceRecord(
                        message_id=str(item["messageId"]),
                        ack_id=str(item["ackId"]),
                        application_number=str(item.get("projectNo", "")),
                        sequence=int(item.get("sequence", 0)),
                        step=str(item.get("step", "")),
                        received_at=_time(item.get("receivedAt")),
                    )
                )
            except (KeyError, TypeError, ValueError):
                raise ProvinceUnavailable("malformed reconciliation list") from None
        return records

    async def close(self) -> None:
        await self._client.aclose()

    async def _call(self, path: str, message_id: str, body: bytes) -> dict[str, Any]:
        with external_call("province"):
            return await self._exchange(path, message_id, body)

    async def _exchange(self, path: str, message_id: str, body: bytes) -> dict[str, Any]:
        headers = await anyio.to_thread.run_sync(
            partial(
                envelope.seal,
                self._signer,
                system=self._system_id,
                message_id=message_id,
                body=body,
            )
        )
        headers["Content-Type"] = "application/json"
        try:
            response = await self._client.post(path, content=body, headers=headers)
        except httpx.TimeoutException:
            raise ProvinceUnavailable("timeout") from None
        except httpx.HTTPError:
            raise ProvinceUnavailable("connection failed") from None
        if response.status_code >= 500 or response.status_code == 429:
            raise ProvinceUnavailable(f"HTTP {response.status_code}")
        if response.status_code >= 400:
            raise ProvinceRefused(response.status_code, _code_of(response), _reason_of(response))
        if response.status_code != 200:
            raise ProvinceUnavailable(f"HTTP {response.status_code}")
        await self._check_signed(response, message_id)
        try:
            data = orjson.loads(response.content)
        except orjson.JSONDecodeError:
            raise ProvinceUnavailable("malformed answer") from None
        if not isinstance(data, dict):
            raise ProvinceUnavailable("malformed answer")
        return data

    async def _check_signed(self, response: httpx.Response, message_id: str) -> None:
        """An answer counts only when the province signed it, for this very message."""
        try:
            found = envelope.read(response.headers)
        except EnvelopeError:
            raise ProvinceUnavailable("unsigned answer") from None
        if found.message_id != message_id:
            raise ProvinceUnavailable("answer signed for another message")
        if not envelope.fresh(found, window=RESPONSE_WINDOW):
            raise ProvinceUnavailable("stale answer")
        ok = await anyio.to_thread.run_sync(
            envelope.verify, self._province, found, response.content
        )
        if not ok:
            raise ProvinceUnavailable("bad answer signature")


def _code_of(response: httpx.Response) -> str:
    """The province's error code, if it is a plain code word (never echo free text)."""
    try:
        code = orjson.loads(response.content).get("code")
    except (orjson.JSONDecodeError, AttributeError):
        return ""
    return code if isinstance(code, str) and _CODE.fullmatch(code) else ""


REASON_LENGTH = 200


def _reason_of(response: httpx.Response) -> str:
    """The province's explanation of a refusal (`message`), for the admin who must act on
    it: control characters and line breaks become spaces, and it is cut to a bounded length
    so that neither a log line nor the admin's list can be forged or flooded by it."""
    try:
        message = orjson.loads(response.content).get("message")
    except (orjson.JSONDecodeError, AttributeError):
        return ""
    if not isinstance(message, str):
        return ""
    printable = "".join(ch if ch.isprintable() else " " for ch in message)
    return " ".join(printable.split())[:REASON_LENGTH]


def _time(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None
