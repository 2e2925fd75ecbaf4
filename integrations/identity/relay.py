"""Real-name verification of app accounts through an HTTP relay (a CTID/网证-style service)."""

from __future__ import annotations

import hashlib
import hmac
import time
import uuid
from typing import Any

import httpx
import orjson

from integrations.identity.protocol import (
    Claim,
    IdentityProviderError,
    IdentityProviderUnavailable,
    Outcome,
    Result,
    Started,
)
from integrations.tls import client_context
from integrations.wechat import IDENTITY_CARD, cert_hash

# Answers signed more than this far from our clock are not believed.
SIGNATURE_WINDOW_SECONDS = 300
_OUTCOMES = {
    "pass": Outcome.PASSED,
    "mismatch": Outcome.MISMATCH,
    "fail": Outcome.FAILED,
    "cancel": Outcome.CANCELLED,
    "expired": Outcome.EXPIRED,
    "pending": Outcome.PENDING,
}


def signature(secret: bytes, message_id: str, timestamp: str, body: bytes) -> str:
    """Standard Webhooks' scheme (as the SMS relay): HMAC-SHA256 over `id.timestamp.body`."""
    digest = hmac.new(secret, f"{message_id}.{timestamp}.".encode() + body, hashlib.sha256)
    return f"v1,{digest.hexdigest()}"


class HttpRealNameRelay:
    """Two signed JSON calls, the shape of a CTID (网证) check:

    `POST <url>/verifications {outSeqNo, certType, certName, certNo}` -> `{verifyId, expiresIn,
    link}`: the app opens `link` (an H5 page or the 网证 app), where the resident's face is
    checked against the identity; `POST <url>/results {verifyId, outSeqNo, certHash}` ->
    `{result: pass|mismatch|fail|cancel|expired|pending, code}`. `certHash` is computed as
    WeChat's, so the answer is about the identity the session was opened for. The relay signs
    its answers with the same secret over our request's id: a forged or replayed "pass" is
    refused, whatever sits between us.
    """

    def __init__(self, *, url: str, secret: bytes, timeout: float) -> None:
        self._url = url.rstrip("/")
        self._secret = secret
        self._client = httpx.AsyncClient(timeout=timeout, verify=client_context())

    async def start(self, claim: Claim) -> Started:
        answer = await self._post(
            "/verifications",
            {
                "outSeqNo": claim.out_seq_no,
                "certType": IDENTITY_CARD,
                "certName": claim.name,
                "certNo": claim.id_number,
            },
        )
        verify_id, expires_in, link = (
            answer.get("verifyId"),
            answer.get("expiresIn"),
            answer.get("link"),
        )
        if (
            not isinstance(verify_id, str)
            or not 0 < len(verify_id) <= 256
            or not isinstance(expires_in, int)
            or expires_in <= 0
            or not (link is None or (isinstance(link, str) and len(link) <= 2048))
        ):
            raise IdentityProviderUnavailable("bad-answer", "verifications answered an odd shape")
        return Started(verify_id=verify_id, expires_in=expires_in, link=link)

    async def result(self, claim: Claim, verify_id: str) -> Result:
        answer = await self._post(
            "/results",
            {
                "verifyId": verify_id,
                "outSeqNo": claim.out_seq_no,
                "certHash": cert_hash(IDENTITY_CARD, claim.name, claim.id_number),
            },
        )
        outcome = _OUTCOMES.get(str(answer.get("result")))
        if outcome is None:
            raise IdentityProviderUnavailable("bad-answer", "results answered an odd result")
        return Result(outcome=outcome, code=str(answer.get("code", answer.get("result")))[:16])

    async def close(self) -> None:
        await self._client.aclose()

    async def _post(self, path: str, payload: dict[str, Any]) -> dict[str, Any]:
        body = orjson.dumps(payload)
        message_id = uuid.uuid4().hex
        timestamp = str(int(time.time()))
        try:
            response = await self._client.post(
                self._url + path,
                content=body,
                headers={
                    "content-type": "application/json",
                    "webhook-id": message_id,
                    "webhook-timestamp": timestamp,
                    "webhook-signature": signature(self._secret, message_id, timestamp, body),
                },
            )
        except httpx.HTTPError as exc:
            raise IdentityProviderUnavailable("network", type(exc).__name__) from None
        if response.status_code >= 500:
            raise IdentityProviderUnavailable(str(response.status_code), "relay failed")
        if response.status_code >= 300:
            raise IdentityProviderError(str(response.status_code), "relay refused the request")
        self._check_signature(response, message_id)
        try:
            answer = orjson.loads(response.content)
        except orjson.JSONDecodeError:
            raise IdentityProviderUnavailable("bad-answer", "relay answered no JSON") from None
        if not isinstance(answer, dict):
            raise IdentityProviderUnavailable("bad-answer", "relay answered no object")
        return answer

    def _check_signature(self, response: httpx.Response, message_id: str) -> None:
        headers = response.headers
        timestamp = headers.get("webhook-timestamp", "")
        expected = signature(self._secret, message_id, timestamp, response.content)
        fresh = (
            timestamp.isdigit() and abs(time.time() - int(timestamp)) <= SIGNATURE_WINDOW_SECONDS
        )
        if (
            headers.get("webhook-id") != message_id
            or not fresh
            or not hmac.compare_digest(headers.get("webhook-signature", ""), expected)
        ):
            raise IdentityProviderUnavailable("bad-signature", "relay answer is not signed by it")
