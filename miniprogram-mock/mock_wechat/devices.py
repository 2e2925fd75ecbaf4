"""Mock card readers: each mock device holds an Ed25519 key pair and
signs what it "reads", as a registered device at a window or a terminal would.

- `POST /__mock__/card-reader/key {deviceId}` -> `{deviceId, publicKey}`: the key to
  register the device with (made on first use; `deviceId` is the device's serial).
- `POST /__mock__/card-reader/read {deviceId, person: {name, idNumber, validFrom?,
  validUntil?} | user}` -> `{payload, signature}`: the card of that person (or of the mock
  user's person) as read from its chip. `age` (seconds) back-dates it, `nonce` fixes it.
- `POST /__mock__/card-reader/consent {deviceId, submissionId, challenge}` -> `{payload,
  signature}`: the resident signed the consent on the device's pad.
- `POST /__mock__/terminal/face {deviceId, user, idNumber}` -> `{payload, signature}`: the
  terminal's camera compared the face of the mock user standing there with the card's
  holder, by the rule of the mock's face verification (a face passes as its user's person).
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import time
from collections.abc import Callable
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

# The chip's photo is not modelled: its hash stands for it, the same for one person.
VALID_FROM = "2020-01-01"
VALID_UNTIL = "2040-01-01"


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


class DeviceBench:
    """The mock devices' key pairs, by serial. Kept across resets: a registered device's key
    does not change when a test resets the mock."""

    def __init__(self) -> None:
        self.keys: dict[str, Ed25519PrivateKey] = {}

    def key(self, serial: str) -> Ed25519PrivateKey:
        if serial not in self.keys:
            self.keys[serial] = Ed25519PrivateKey.generate()
        return self.keys[serial]

    def public_key(self, serial: str) -> str:
        raw = self.key(serial).public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        return _b64(raw)

    def sign(self, serial: str, kind: str, body: dict[str, Any], **envelope: Any) -> dict[str, str]:
        payload = {
            "kind": kind,
            "deviceSerial": serial,
            "timestamp": int(time.time()) - int(envelope.get("age") or 0),
            "nonce": str(envelope.get("nonce") or secrets.token_urlsafe(18)),
            **body,
        }
        text = _json(payload)
        return {"payload": text, "signature": _b64(self.key(serial).sign(text.encode()))}


def _json(value: dict[str, Any]) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def device_routes(person: Callable[[str], tuple[str, str]]) -> list[Route]:
    """The routes, given how to find the person a mock user is (the server's state)."""
    bench = DeviceBench()

    async def key(request: Request) -> Response:
        data = await request.json()
        serial = str(data.get("deviceId", ""))
        if not serial:
            return JSONResponse({"error": "deviceId is required"}, status_code=400)
        return JSONResponse({"deviceId": serial, "publicKey": bench.public_key(serial)})

    async def read(request: Request) -> Response:
        data = await request.json()
        serial = str(data.get("deviceId", ""))
        given = data.get("person")
        if isinstance(given, dict):
            name, number = str(given.get("name", "")), str(given.get("idNumber", ""))
            valid_from = str(given.get("validFrom", VALID_FROM))
            valid_until = given.get("validUntil", VALID_UNTIL)
        elif data.get("user"):
            name, number = person(str(data["user"]))
            valid_from, valid_until = VALID_FROM, VALID_UNTIL
        else:
            return JSONResponse({"error": "person or user is required"}, status_code=400)
        if not serial:
            return JSONResponse({"error": "deviceId is required"}, status_code=400)
        body = {
            "name": name,
            "idNumber": number,
            "validFrom": valid_from,
            "validUntil": valid_until,
            "photoSha256": hashlib.sha256(f"photo:{number}".encode()).hexdigest(),
        }
        return JSONResponse(bench.sign(serial, "ID_CARD", body, **_envelope(data)))

    async def consent(request: Request) -> Response:
        data = await request.json()
        serial = str(data.get("deviceId", ""))
        body = {
            "submissionId": str(data.get("submissionId", "")),
            "challenge": str(data.get("challenge", "")),
            # The pad's drawing is not modelled: its hash stands for it.
            "drawingSha256": hashlib.sha256(secrets.token_bytes(16)).hexdigest(),
        }
        return JSONResponse(bench.sign(serial, "CONSENT", body, **_envelope(data)))

    async def face(request: Request) -> Response:
        data = await request.json()
        serial = str(data.get("deviceId", ""))
        _, number = person(str(data.get("user", "")))
        claimed = str(data.get("idNumber", ""))
        # The mock's face verification rule: a face passes only as its own person's.
        result = "PASS" if claimed and claimed == number else "FAIL"
        body = {"idNumber": claimed, "result": result}
        return JSONResponse(bench.sign(serial, "FACE_CHECK", body, **_envelope(data)))

    return [
        Route("/__mock__/terminal/face", face, methods=["POST"]),
        Route("/__mock__/card-reader/key", key, methods=["POST"]),
        Route("/__mock__/card-reader/read", read, methods=["POST"]),
        Route("/__mock__/card-reader/consent", consent, methods=["POST"]),
    ]


def _envelope(data: dict[str, Any]) -> dict[str, Any]:
    return {"age": data.get("age"), "nonce": data.get("nonce")}
