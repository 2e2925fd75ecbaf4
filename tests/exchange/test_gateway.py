"""The httpx gateway on its own: what it sends, and which answers count as a receipt (only
signed ones, for the very message) and which are retried or refused."""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Callable, Mapping

import httpx
import orjson
import pytest

from integrations.provincial import (
    HttpProvincialGateway,
    ProvinceRefused,
    ProvinceUnavailable,
    envelope,
)
from resolvers.exchange.signing import HmacSha256

SECRET = b"a-shared-secret-0123456789abcdef"
SIGNER = HmacSha256(SECRET)
BODY = b'{"messageId":"m-1","projectNo":"CD1"}'


def _gateway(handler: Callable[[httpx.Request], httpx.Response]) -> HttpProvincialGateway:
    return HttpProvincialGateway(
        base_url="https://province.example",
        system_id="rongban-test",
        signer=SIGNER,
        province=SIGNER,
        timeout=1,
        transport=httpx.MockTransport(handler),
    )


def _signed(
    payload: Mapping[str, object],
    message_id: str = "m-1",
    secret: bytes = SECRET,
    now: float | None = None,
) -> httpx.Response:
    body = orjson.dumps(payload)
    headers = envelope.seal(
        HmacSha256(secret), system="province", message_id=message_id, body=body, now=now
    )
    return httpx.Response(200, content=body, headers=headers)


ACK = {"messageId": "m-1", "ackId": "ACK-1", "receivedAt": "2026-03-02T10:00:00+08:00"}


async def test_a_push_is_signed_and_a_signed_receipt_is_an_acknowledgement() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return _signed(ACK)

    gateway = _gateway(handler)
    ack = await gateway.push("m-1", BODY)
    await gateway.close()

    request = seen[0]
    assert request.url == "https://province.example/exchange/v1/messages"
    assert request.headers["content-type"] == "application/json"
    assert request.content == BODY
    canonical = "\n".join(
        [
            "m-1",
            request.headers["x-exchange-timestamp"],
            request.headers["x-exchange-nonce"],
            hashlib.sha256(BODY).hexdigest(),
        ]
    ).encode()
    assert (
        request.headers["x-exchange-signature"]
        == hmac.new(SECRET, canonical, hashlib.sha256).hexdigest()
    )
    assert request.headers["x-exchange-system"] == "rongban-test"
    assert (ack.ack_id, ack.message_id, ack.duplicate) == ("ACK-1", "m-1", False)
    assert ack.received_at is not None


@pytest.mark.parametrize(
    ("answer", "reason"),
    [
        (lambda: httpx.Response(200, json=ACK), "unsigned answer"),
        (lambda: _signed(ACK, message_id="m-2"), "answer signed for another message"),
        (lambda: _signed(ACK, secret=b"somebody-else-0123456789abcdef"), "bad answer signature"),
        (lambda: _signed({**ACK, "messageId": "m-2"}), "acknowledgement of another message"),
        (lambda: _signed({"messageId": "m-1"}), "acknowledgement without an ack id"),
        (lambda: _signed(ACK, now=time.time() - 301), "stale answer"),
        (lambda: httpx.Response(503), "HTTP 503"),
        (lambda: httpx.Response(429), "HTTP 429"),
        (lambda: httpx.Response(204), "HTTP 204"),
    ],
)
async def test_answers_that_are_no_receipt_are_retried(
    answer: Callable[[], httpx.Response], reason: str
) -> None:
    gateway = _gateway(lambda request: answer())

    with pytest.raises(ProvinceUnavailable) as raised:
        await gateway.push("m-1", BODY)
    await gateway.close()

    assert str(raised.value) == reason


async def test_network_failures_are_retried_with_a_fixed_reason() -> None:
    def timeout(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("slow", request=request)

    def refused(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    reasons = []
    for handler in (timeout, refused):
        gateway = _gateway(handler)
        with pytest.raises(ProvinceUnavailable) as raised:
            await gateway.push("m-1", BODY)
        await gateway.close()
        reasons.append(str(raised.value))

    assert reasons == ["timeout", "connection failed"]


async def test_a_refusal_keeps_the_code_but_never_free_text() -> None:
    coded = _gateway(lambda r: httpx.Response(409, json={"code": "OUT_OF_ORDER"}))
    chatty = _gateway(lambda r: httpx.Response(400, json={"code": "张三的身份证号 110105"}))

    with pytest.raises(ProvinceRefused) as first:
        await coded.push("m-1", BODY)
    with pytest.raises(ProvinceRefused) as second:
        await chatty.push("m-1", BODY)
    await coded.close()
    await chatty.close()

    assert (first.value.status, first.value.code, str(first.value)) == (
        409,
        "OUT_OF_ORDER",
        "HTTP 409 OUT_OF_ORDER",
    )
    assert (second.value.status, second.value.code, str(second.value)) == (400, "", "HTTP 400")
