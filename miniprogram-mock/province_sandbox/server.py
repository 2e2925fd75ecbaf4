"""A sandbox of the provincial platform's exchange interface, for `make run` and for tests.

It checks what the real province checks (signature, 300 s window, nonce reuse, order within
an application) with its own code written from docs/exchange.md, so that a drift in our
canonical string fails here instead of agreeing with itself. It acknowledges with its own
signed receipt, dedupes by message id, and has switches under /__sandbox__/ for faults:
5xx answers, timeouts, slow acknowledgements and dropped acknowledgements.

    python -m province_sandbox --port 8002

Loopback only: it guards nothing but the interface it imitates.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import hmac
import json
import os
import secrets
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives import hashes
from gmssl import sm2
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

WINDOW = 300
HMAC_SHA256 = "HMAC-SHA256"
SM2_SM3 = "SM2-SM3"
SANDBOX_SYSTEM = "province-sandbox"
DEV_SYSTEM_ID = "rongban-510100-dev"
DEV_SECRET = "rongban-dev-exchange-secret-not-for-production"  # noqa: S105 (the sandbox's)
_CHINA = timedelta(hours=8)
_N = int(sm2.default_ecc_table["n"], 16)


@dataclass
class Received:
    message_id: str
    ack_id: str
    digest: str
    project_no: str
    sequence: int
    step: str
    step_day: str  # China date of the step, for reconciliation
    received_at: str
    position: int

    def public(self) -> dict[str, Any]:
        return {
            "messageId": self.message_id,
            "ackId": self.ack_id,
            "projectNo": self.project_no,
            "sequence": self.sequence,
            "step": self.step,
            "stepDate": self.step_day,
            "receivedAt": self.received_at,
            "position": self.position,
        }


@dataclass
class Fault:
    kind: str  # "status", "timeout", "slow", "drop"
    times: int
    status: int = 503
    seconds: float = 0.0
    project_no: str | None = None  # only messages of this application (None: any)
    code: str = "SANDBOX_FAULT"  # the error code a "status" fault answers with
    message: str = ""  # and the province's explanation, when given


@dataclass
class SandboxState:
    system_id: str
    algorithm: str
    secret: bytes = b""  # HMAC-SHA256: shared with the platform
    client_public_key: str = ""  # SM2: the platform's public key (x||y hex)
    private_key: str = ""  # SM2: the sandbox's own key, to sign receipts
    public_key: str = ""
    received: dict[str, Received] = field(default_factory=dict)
    # Per application number: the last sequence taken, in order.
    last_sequence: dict[str, int] = field(default_factory=dict)
    duplicates: list[str] = field(default_factory=list)
    refused: list[dict[str, str]] = field(default_factory=list)
    out_of_order: list[dict[str, Any]] = field(default_factory=list)
    nonces: dict[str, float] = field(default_factory=dict)
    faults: list[Fault] = field(default_factory=list)
    release: asyncio.Event = field(default_factory=asyncio.Event)
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    calls: int = 0

    def reset(self) -> None:
        self.received.clear()
        self.last_sequence.clear()
        self.duplicates.clear()
        self.refused.clear()
        self.out_of_order.clear()
        self.nonces.clear()
        self.faults.clear()
        self.release.set()  # let anything still held go
        self.release = asyncio.Event()
        self.calls = 0

    # -- signatures, from the spec

    def digest(self, body: bytes) -> str:
        if self.algorithm == SM2_SM3:
            hasher = hashes.Hash(hashes.SM3())
            hasher.update(body)
            return hasher.finalize().hex()
        return hashlib.sha256(body).hexdigest()

    def canonical(self, message_id: str, timestamp: str, nonce: str, body: bytes) -> bytes:
        return "\n".join([message_id, timestamp, nonce, self.digest(body)]).encode()

    def verify(self, data: bytes, signature: str) -> bool:
        if self.algorithm == SM2_SM3:
            checker = sm2.CryptSM2(private_key="", public_key="")
            checker.public_key = self.client_public_key
            try:
                return bool(checker.verify_with_sm3(signature, data))
            except Exception:  # a malformed signature is a bad signature
                return False
        expected = hmac.new(self.secret, data, hashlib.sha256).hexdigest()
        return hmac.compare_digest(expected, signature.lower())

    def sign(self, data: bytes) -> str:
        if self.algorithm == SM2_SM3:
            signer = sm2.CryptSM2(private_key=self.private_key, public_key="")
            signer.public_key = self.public_key
            while True:
                k = f"{secrets.randbelow(_N - 1) + 1:064x}"
                signature = signer.sign_with_sm3(data, k)
                if signature:
                    return str(signature)
        return hmac.new(self.secret, data, hashlib.sha256).hexdigest()

    def signed(self, status: int, payload: dict[str, Any], message_id: str) -> Response:
        body = json.dumps(payload, ensure_ascii=False).encode()
        timestamp = str(int(time.time()))
        nonce = secrets.token_hex(16)
        return Response(
            body,
            status_code=status,
            media_type="application/json",
            headers={
                "X-Exchange-System": SANDBOX_SYSTEM,
                "X-Exchange-Message-Id": message_id,
                "X-Exchange-Timestamp": timestamp,
                "X-Exchange-Nonce": nonce,
                "X-Exchange-Algorithm": self.algorithm,
                "X-Exchange-Signature": self.sign(
                    self.canonical(message_id, timestamp, nonce, body)
                ),
            },
        )

    def next_fault(self, project_no: str) -> Fault | None:
        for index, fault in enumerate(self.faults):
            if fault.project_no in (None, project_no):
                fault.times -= 1
                if fault.times <= 0:
                    self.faults.pop(index)
                return fault
        return None


def _refuse(state: SandboxState, status: int, code: str, message_id: str = "") -> JSONResponse:
    state.refused.append({"code": code, "messageId": message_id})
    return JSONResponse({"code": code}, status_code=status)


def _china_day(value: str) -> str:
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return ""
    if moment.tzinfo is None:
        return moment.date().isoformat()
    return (moment.astimezone(UTC) + _CHINA).date().isoformat()


async def _authenticate(state: SandboxState, request: Request, body: bytes) -> JSONResponse | str:
    """The message id when the envelope checks out; else the refusal to answer."""
    headers = request.headers
    names = ("system", "message-id", "timestamp", "nonce", "algorithm", "signature")
    values = {name: headers.get(f"x-exchange-{name}", "") for name in names}
    if not all(values.values()):
        return _refuse(state, 401, "MISSING_SIGNATURE")
    message_id = values["message-id"]
    if values["system"] != state.system_id:
        return _refuse(state, 401, "UNKNOWN_SYSTEM", message_id)
    if values["algorithm"] != state.algorithm:
        return _refuse(state, 401, "WRONG_ALGORITHM", message_id)
    if not values["timestamp"].isdigit() or abs(time.time() - int(values["timestamp"])) > WINDOW:
        return _refuse(state, 401, "STALE_TIMESTAMP", message_id)
    data = state.canonical(message_id, values["timestamp"], values["nonce"], body)
    if not state.verify(data, values["signature"]):
        return _refuse(state, 401, "BAD_SIGNATURE", message_id)
    now = time.time()
    for nonce, seen in list(state.nonces.items()):
        if now - seen > 2 * WINDOW:
            del state.nonces[nonce]
    if values["nonce"] in state.nonces:
        return _refuse(state, 401, "REPLAYED_NONCE", message_id)
    state.nonces[values["nonce"]] = now
    return message_id


def create_sandbox_app(
    *,
    system_id: str = DEV_SYSTEM_ID,
    secret: str = DEV_SECRET,
    algorithm: str = HMAC_SHA256,
    client_public_key: str = "",
    private_key: str = "",
    public_key: str = "",
) -> Starlette:
    if algorithm not in (HMAC_SHA256, SM2_SM3):
        raise ValueError(f"unknown algorithm {algorithm}")
    if algorithm == SM2_SM3 and not (client_public_key and private_key and public_key):
        raise ValueError("SM2 needs the platform's public key and the sandbox's key pair")
    state = SandboxState(
        system_id=system_id,
        algorithm=algorithm,
        secret=secret.encode(),
        client_public_key=client_public_key,
        private_key=private_key,
        public_key=public_key,
    )

    async def messages(request: Request) -> Response:
        body = await request.body()
        state.calls += 1
        outcome = await _authenticate(state, request, body)
        if isinstance(outcome, Response):
            return outcome
        message_id = outcome
        try:
            message = json.loads(body)
            project_no = str(message["projectNo"])
            sequence = int(message["sequence"])
            step = str(message["step"])
            step_day = _china_day(str(message["stepDate"]))
            if message.get("messageId") != message_id or sequence < 1 or not step_day:
                raise ValueError("inconsistent")
        except (ValueError, KeyError, TypeError):
            return _refuse(state, 400, "BAD_MESSAGE", message_id)
        fault = state.next_fault(project_no)
        if fault is not None and fault.kind == "status":
            refusal = {"code": fault.code, **({"message": fault.message} if fault.message else {})}
            return JSONResponse(refusal, status_code=fault.status)
        if fault is not None and fault.kind == "timeout":
            # Held (nothing recorded) until the caller has long given up, then a gateway
            # timeout; /__sandbox__/release lets it go at once.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(state.release.wait(), timeout=fault.seconds)
            return JSONResponse({"code": "GATEWAY_TIMEOUT"}, status_code=504)
        if fault is not None and fault.kind == "slow":
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(state.release.wait(), timeout=fault.seconds)
        digest = hashlib.sha256(body).hexdigest()
        async with state.lock:
            known = state.received.get(message_id)
            if known is not None:
                if known.digest != digest:
                    return _refuse(state, 409, "MESSAGE_ID_REUSED", message_id)
                state.duplicates.append(message_id)
                record, duplicate = known, True
            else:
                expected = state.last_sequence.get(project_no, 0) + 1
                if sequence != expected:
                    state.out_of_order.append(
                        {
                            "messageId": message_id,
                            "projectNo": project_no,
                            "sequence": sequence,
                            "expected": expected,
                        }
                    )
                    return _refuse(state, 409, "OUT_OF_ORDER", message_id)
                record = Received(
                    message_id=message_id,
                    ack_id=f"ACK-{uuid.uuid4().hex[:20].upper()}",
                    digest=digest,
                    project_no=project_no,
                    sequence=sequence,
                    step=step,
                    step_day=step_day,
                    received_at=datetime.now(UTC).isoformat(),
                    position=len(state.received) + 1,
                )
                state.received[message_id] = record
                state.last_sequence[project_no] = sequence
                duplicate = False
        if fault is not None and fault.kind == "drop":
            # Recorded, but the receipt is lost on the way back: the platform must retry,
            # and the retry must come back as a duplicate of the same receipt.
            return JSONResponse({"code": "SANDBOX_DROPPED_ACK"}, status_code=503)
        return state.signed(
            200,
            {
                "messageId": message_id,
                "ackId": record.ack_id,
                "receivedAt": record.received_at,
                "duplicate": duplicate,
            },
            message_id,
        )

    async def reconciliation(request: Request) -> Response:
        body = await request.body()
        outcome = await _authenticate(state, request, body)
        if isinstance(outcome, Response):
            return outcome
        try:
            day = date.fromisoformat(str(json.loads(body)["date"])).isoformat()
        except (ValueError, KeyError, TypeError):
            return _refuse(state, 400, "BAD_MESSAGE", outcome)
        held = [r.public() for r in state.received.values() if r.step_day == day]
        return state.signed(200, {"date": day, "messages": held}, outcome)

    # -- the control side

    async def control_json(request: Request) -> dict[str, Any]:
        try:
            data = await request.json()
        except ValueError:
            return {}
        return data if isinstance(data, dict) else {}

    async def add_fault(request: Request) -> Response:
        data = await control_json(request)
        kind = request.path_params["kind"]
        if kind not in ("status", "timeout", "slow", "drop"):
            return JSONResponse({"error": "unknown fault"}, status_code=404)
        state.faults.append(
            Fault(
                kind=kind,
                times=int(data.get("times", 1)),
                status=int(data.get("status", 503)),
                seconds=float(data.get("seconds", 30.0 if kind == "timeout" else 0.5)),
                project_no=str(data["projectNo"]) if data.get("projectNo") else None,
                code=str(data.get("code") or "SANDBOX_FAULT"),
                message=str(data.get("message") or ""),
            )
        )
        return JSONResponse({"faults": len(state.faults)})

    async def release(request: Request) -> Response:
        state.release.set()
        state.release = asyncio.Event()
        return JSONResponse({"released": True})

    async def listing(request: Request) -> Response:
        return JSONResponse(
            {
                "messages": [r.public() for r in state.received.values()],
                "duplicates": list(state.duplicates),
                "refused": list(state.refused),
                "outOfOrder": list(state.out_of_order),
                "calls": state.calls,
            }
        )

    async def inject(request: Request) -> Response:
        """A message the province holds but the platform never sent (reconciliation tests)."""
        data = await control_json(request)
        message_id = str(data.get("messageId") or uuid.uuid4())
        state.received[message_id] = Received(
            message_id=message_id,
            ack_id=f"ACK-{uuid.uuid4().hex[:20].upper()}",
            digest="",
            project_no=str(data.get("projectNo", "")),
            sequence=int(data.get("sequence", 1)),
            step=str(data.get("step", "SUBMIT")),
            step_day=str(data.get("stepDate", "")),
            received_at=datetime.now(UTC).isoformat(),
            position=len(state.received) + 1,
        )
        return JSONResponse({"messageId": message_id})

    async def forget(request: Request) -> Response:
        """The province loses a message it had acknowledged (reconciliation tests)."""
        data = await control_json(request)
        found = state.received.pop(str(data.get("messageId", "")), None)
        return JSONResponse({"forgotten": found is not None})

    async def reset(request: Request) -> Response:
        state.reset()
        return JSONResponse({"reset": True})

    app = Starlette(
        routes=[
            Route("/exchange/v1/messages", messages, methods=["POST"]),
            Route("/exchange/v1/reconciliation", reconciliation, methods=["POST"]),
            Route("/__sandbox__/fault/{kind}", add_fault, methods=["POST"]),
            Route("/__sandbox__/release", release, methods=["POST"]),
            Route("/__sandbox__/messages", listing, methods=["GET"]),
            Route("/__sandbox__/inject", inject, methods=["POST"]),
            Route("/__sandbox__/forget", forget, methods=["POST"]),
            Route("/__sandbox__/reset", reset, methods=["POST"]),
        ]
    )
    app.state.sandbox = state
    return app


def main() -> None:
    import uvicorn

    parser = argparse.ArgumentParser(description="Sandbox of the provincial exchange interface")
    parser.add_argument(
        "--port", type=int, default=int(os.environ.get("PROVINCE_SANDBOX_PORT", "8002"))
    )
    parser.add_argument(
        "--system-id", default=os.environ.get("RONGBAN_EXCHANGE_SYSTEM_ID", DEV_SYSTEM_ID)
    )
    parser.add_argument(
        "--algorithm", default=os.environ.get("RONGBAN_EXCHANGE_ALGORITHM", HMAC_SHA256)
    )
    parser.add_argument("--client-public-key", default="", help="SM2: the platform's public key")
    parser.add_argument("--private-key", default="", help="SM2: the sandbox's private key")
    parser.add_argument("--public-key", default="", help="SM2: the sandbox's public key")
    args = parser.parse_args()
    # The secret comes from the environment only: never from a command line (ps shows it).
    secret = os.environ.get("RONGBAN_EXCHANGE_SECRET", DEV_SECRET)
    app = create_sandbox_app(
        system_id=args.system_id,
        secret=secret,
        algorithm=args.algorithm,
        client_public_key=args.client_public_key,
        private_key=args.private_key,
        public_key=args.public_key,
    )
    uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="warning")
