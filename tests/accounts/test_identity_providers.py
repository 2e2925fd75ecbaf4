"""The identity providers' adapters: WeChat's result codes, and a relay whose answers must be
signed by it (a forged or replayed "pass" would hand out identities)."""

from __future__ import annotations

import time
from collections.abc import Callable

import httpx
import orjson
import pytest

from integrations.identity import (
    Claim,
    HttpRealNameRelay,
    IdentityProviderError,
    IdentityProviderUnavailable,
    Outcome,
)
from integrations.identity.relay import signature
from integrations.identity.wechat_face import outcome_of
from mock_wechat.server import MockState
from tests.conftest import REALNAME_SECRET, ServerThread

SECRET = b"relay-secret-for-this-test"
CLAIM = Claim(out_seq_no="seq_0123456789", name="张三", id_number="11010519491231002X")


@pytest.mark.parametrize(
    ("verify_ret", "outcome"),
    [
        (10000, Outcome.PASSED),
        (10003, Outcome.MISMATCH),
        (10004, Outcome.MISMATCH),
        (10005, Outcome.PENDING),
        (10300, Outcome.PENDING),
        *((code, Outcome.CANCELLED) for code in (90002, 90003, 90004, 90005, 90006, 90024)),
        *((code, Outcome.FAILED) for code in (10001, 10002, 90001, 90007, 90017, 90107, 90199)),
    ],
)
def test_wechat_verify_ret_codes_read_as_documented(verify_ret: int, outcome: Outcome) -> None:
    assert outcome_of(verify_ret) is outcome


def relay_answering(respond: Callable[[httpx.Request], httpx.Response]) -> HttpRealNameRelay:
    relay = HttpRealNameRelay(url="https://relay.test/v1", secret=SECRET, timeout=2)
    relay._client = httpx.AsyncClient(transport=httpx.MockTransport(respond))
    return relay


def signed(
    request: httpx.Request,
    payload: dict[str, str],
    *,
    secret: bytes = SECRET,
    message_id: str | None = None,
    at: float | None = None,
) -> httpx.Response:
    body = orjson.dumps(payload)
    message_id = message_id or request.headers["webhook-id"]
    timestamp = str(int(at or time.time()))
    return httpx.Response(
        200,
        content=body,
        headers={
            "webhook-id": message_id,
            "webhook-timestamp": timestamp,
            "webhook-signature": signature(secret, message_id, timestamp, body),
        },
    )


async def test_a_signed_answer_is_believed_and_the_request_is_signed() -> None:
    seen: list[httpx.Request] = []

    def respond(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return signed(request, {"result": "pass", "code": "0"})

    relay = relay_answering(respond)
    result = await relay.result(CLAIM, "verify-1")

    assert result.outcome is Outcome.PASSED
    request = seen[0]
    assert request.url == "https://relay.test/v1/results"
    assert request.headers["webhook-signature"] == signature(
        SECRET, request.headers["webhook-id"], request.headers["webhook-timestamp"], request.content
    )
    sent = orjson.loads(request.content)
    assert set(sent) == {"verifyId", "outSeqNo", "certHash"}  # never the name or number again
    await relay.close()


@pytest.mark.parametrize(
    "forge",
    [
        lambda r: httpx.Response(200, json={"result": "pass"}),  # unsigned
        lambda r: signed(r, {"result": "pass"}, secret=b"someone else's"),
        lambda r: signed(r, {"result": "pass"}, message_id="an-earlier-request"),  # replayed
        lambda r: signed(r, {"result": "pass"}, at=time.time() - 3600),  # stale
    ],
    ids=["unsigned", "wrong-secret", "replayed", "stale"],
)
async def test_a_forged_pass_is_refused(forge: Callable[[httpx.Request], httpx.Response]) -> None:
    relay = relay_answering(forge)

    with pytest.raises(IdentityProviderUnavailable):
        await relay.result(CLAIM, "verify-1")
    await relay.close()


async def test_odd_answers_and_refusals_are_typed() -> None:
    odd = relay_answering(lambda r: signed(r, {"result": "maybe"}))
    refused = relay_answering(lambda r: httpx.Response(400, json={"error": "no"}))
    down = relay_answering(lambda r: httpx.Response(502))

    with pytest.raises(IdentityProviderUnavailable):
        await odd.result(CLAIM, "v")
    with pytest.raises(IdentityProviderError) as error:
        await refused.start(CLAIM)
    assert not isinstance(error.value, IdentityProviderUnavailable)
    assert error.value.code == "400"
    with pytest.raises(IdentityProviderUnavailable):
        await down.start(CLAIM)
    for relay in (odd, refused, down):
        await relay.close()


async def test_the_mock_relay_refuses_requests_not_signed_with_its_secret(
    mock_wechat_server: ServerThread, mock_state: MockState
) -> None:
    stranger = HttpRealNameRelay(
        url=f"{mock_wechat_server.url}/__mock__/realname", secret=b"not-the-secret", timeout=2
    )
    ours = HttpRealNameRelay(
        url=f"{mock_wechat_server.url}/__mock__/realname",
        secret=REALNAME_SECRET.encode(),
        timeout=2,
    )

    with pytest.raises(IdentityProviderError) as error:
        await stranger.start(CLAIM)
    started = await ours.start(Claim("seq_relay_ok_1", "张三", "11010519491231002X"))

    assert error.value.code == "401"
    assert started.link is not None
    for relay in (stranger, ours):
        await relay.close()
