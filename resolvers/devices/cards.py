"""What a device signs: an ID card it read, or a resident's consent signed on its pad.

A device signs the UTF-8 bytes of a JSON object (`payload`, sent as the text it signed, so
that nobody has to agree on a canonical form) with its Ed25519 key; `signature` is the
base64url signature. Every payload names the device (`deviceSerial`), when it was made
(`timestamp`, Unix seconds) and a random `nonce` (16–64 characters): the platform refuses a
payload outside the window around now, and any nonce it has seen from that device.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import orjson
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from resolvers.devices.errors import DeviceError
from resolvers.devices.errors import DeviceErrorCode as Code

MAX_PAYLOAD = 4096
MAX_SIGNATURE = 128
CARD = "ID_CARD"
CONSENT = "CONSENT"


@dataclass(frozen=True, slots=True)
class Signed:
    """A payload as the device sent it, parsed but not yet trusted."""

    kind: str
    device_serial: str
    timestamp: int
    nonce: str
    body: dict[str, Any]
    text: str
    signature: bytes


@dataclass(frozen=True, slots=True)
class CardHolder:
    """The person on a card a registered device read and signed."""

    name: str
    id_number: str
    valid_until: date | None  # None: 长期 (no end date)
    photo_sha256: str


def decode_key(text: str) -> Ed25519PublicKey:
    try:
        raw = base64.urlsafe_b64decode(text.strip() + "=" * (-len(text.strip()) % 4))
        if len(raw) != 32:
            raise ValueError("not 32 bytes")
        return Ed25519PublicKey.from_public_bytes(raw)
    except (ValueError, binascii.Error):
        raise DeviceError(Code.INVALID_PUBLIC_KEY, "publicKey") from None


def parse(payload: str, signature: str, field: str) -> Signed:
    """The payload's envelope; INVALID_INPUT (at `field`) for anything malformed."""
    if len(payload) > MAX_PAYLOAD or len(signature) > MAX_SIGNATURE:
        raise DeviceError(Code.INVALID_INPUT, field)
    try:
        body = orjson.loads(payload)
        raw_signature = base64.urlsafe_b64decode(signature + "=" * (-len(signature) % 4))
    except (orjson.JSONDecodeError, ValueError, binascii.Error):
        raise DeviceError(Code.INVALID_INPUT, field) from None
    if not isinstance(body, dict):
        raise DeviceError(Code.INVALID_INPUT, field)
    kind, serial = body.get("kind"), body.get("deviceSerial")
    timestamp, nonce = body.get("timestamp"), body.get("nonce")
    if (
        not isinstance(kind, str)
        or not isinstance(serial, str)
        or not 0 < len(serial) <= 64
        or not isinstance(timestamp, int)
        or isinstance(timestamp, bool)
        or not isinstance(nonce, str)
        or not 16 <= len(nonce) <= 64
        or not nonce.isascii()
    ):
        raise DeviceError(Code.INVALID_INPUT, field)
    return Signed(kind, serial, timestamp, nonce, body, payload, raw_signature)


def verified(key_text: str, signed: Signed) -> bool:
    try:
        key = decode_key(key_text)
        key.verify(signed.signature, signed.text.encode())
    except (InvalidSignature, DeviceError):
        return False
    return True


def fresh(signed: Signed, now: datetime, window: int) -> bool:
    return abs(now.timestamp() - signed.timestamp) <= window


def card_holder(signed: Signed, today: date, field: str) -> CardHolder:
    """The person a CARD payload carries: a name, a GB 11643 number, the card's validity (an
    expired card is refused) and the SHA-256 of the chip's photo."""
    body = signed.body
    name, number = body.get("name"), body.get("idNumber")
    valid_from, valid_until = body.get("validFrom"), body.get("validUntil")
    photo = body.get("photoSha256")
    if signed.kind != CARD or not isinstance(name, str) or not isinstance(number, str):
        raise DeviceError(Code.INVALID_CARD, field)
    if not isinstance(photo, str) or len(photo) != 64 or not _hex(photo):
        raise DeviceError(Code.INVALID_CARD, field)
    try:
        start = date.fromisoformat(valid_from) if isinstance(valid_from, str) else None
        end = None if valid_until in (None, "长期") else date.fromisoformat(str(valid_until))
    except ValueError:
        raise DeviceError(Code.INVALID_CARD, field) from None
    if start is None or start > today:
        raise DeviceError(Code.INVALID_CARD, field)
    if end is not None and end < today:
        raise DeviceError(Code.CARD_EXPIRED, field)
    return CardHolder(
        name=name.strip(),
        id_number=number.strip().upper(),
        valid_until=end,
        photo_sha256=photo.lower(),
    )


def _hex(text: str) -> bool:
    try:
        bytes.fromhex(text)
    except ValueError:
        return False
    return True
