"""The signed envelope of every exchange message, in both directions: its headers and the
canonical string that is signed (docs/exchange.md, "Signatures")."""

from __future__ import annotations

import re
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

SYSTEM = "X-Exchange-System"
MESSAGE_ID = "X-Exchange-Message-Id"
TIMESTAMP = "X-Exchange-Timestamp"
NONCE = "X-Exchange-Nonce"
ALGORITHM = "X-Exchange-Algorithm"
SIGNATURE = "X-Exchange-Signature"

_TOKEN = re.compile(r"[A-Za-z0-9_.:\-]{1,64}")
_NONCE = re.compile(r"[A-Za-z0-9_\-]{16,64}")
_HEX = re.compile(r"[0-9a-fA-F]{32,512}")


class Signer(Protocol):
    """One signature scheme with its keys: HMAC-SHA256 or SM2 with SM3 (resolvers.exchange
    .signing). A verify-only signer (a peer's SM2 public key) raises on `sign`."""

    @property
    def algorithm(self) -> str: ...

    def digest(self, body: bytes) -> str: ...

    def sign(self, data: bytes) -> str: ...

    def verify(self, data: bytes, signature: str) -> bool: ...


class EnvelopeError(Exception):
    """Missing or malformed envelope headers; the reason is safe to log (no values)."""


@dataclass(frozen=True, slots=True)
class Envelope:
    system: str
    message_id: str
    timestamp: int
    nonce: str
    algorithm: str
    signature: str


def canonical(message_id: str, timestamp: int, nonce: str, body_digest: str) -> bytes:
    """What is signed: the four values joined by newlines. The body enters by its digest
    (SHA-256 with HMAC-SHA256, SM3 with SM2), in lower-case hex."""
    return f"{message_id}\n{timestamp}\n{nonce}\n{body_digest}".encode()


def seal(
    signer: Signer, *, system: str, message_id: str, body: bytes, now: float | None = None
) -> dict[str, str]:
    """The headers that carry `body`: a fresh nonce, the wall-clock time, the signature.

    The time is the real one even when the business clock is frozen: the peer checks it
    against its own clock."""
    timestamp = int(time.time() if now is None else now)
    nonce = secrets.token_hex(16)
    signature = signer.sign(canonical(message_id, timestamp, nonce, signer.digest(body)))
    return {
        SYSTEM: system,
        MESSAGE_ID: message_id,
        TIMESTAMP: str(timestamp),
        NONCE: nonce,
        ALGORITHM: signer.algorithm,
        SIGNATURE: signature,
    }


def read(headers: Mapping[str, str]) -> Envelope:
    """The envelope of a request or response; EnvelopeError names what is wrong."""

    def header(name: str) -> str:
        value = headers.get(name) or headers.get(name.lower())
        if not value:
            raise EnvelopeError(f"missing {name}")
        return value.strip()

    system = header(SYSTEM)
    message_id = header(MESSAGE_ID)
    raw_timestamp = header(TIMESTAMP)
    nonce = header(NONCE)
    algorithm = header(ALGORITHM)
    signature = header(SIGNATURE)
    if not _TOKEN.fullmatch(system):
        raise EnvelopeError(f"malformed {SYSTEM}")
    if not _TOKEN.fullmatch(message_id):
        raise EnvelopeError(f"malformed {MESSAGE_ID}")
    if not raw_timestamp.isdigit() or len(raw_timestamp) > 12:
        raise EnvelopeError(f"malformed {TIMESTAMP}")
    if not _NONCE.fullmatch(nonce):
        raise EnvelopeError(f"malformed {NONCE}")
    if not _TOKEN.fullmatch(algorithm):
        raise EnvelopeError(f"malformed {ALGORITHM}")
    if not _HEX.fullmatch(signature):
        raise EnvelopeError(f"malformed {SIGNATURE}")
    return Envelope(
        system=system,
        message_id=message_id,
        timestamp=int(raw_timestamp),
        nonce=nonce,
        algorithm=algorithm,
        signature=signature.lower(),
    )


def verify(signer: Signer, envelope: Envelope, body: bytes) -> bool:
    """True when `envelope` signs `body` under `signer`. The algorithm header must name the
    signer's own scheme: a peer cannot pick a weaker one."""
    if envelope.algorithm != signer.algorithm:
        return False
    data = canonical(envelope.message_id, envelope.timestamp, envelope.nonce, signer.digest(body))
    return signer.verify(data, envelope.signature)


def fresh(envelope: Envelope, *, window: int, now: float | None = None) -> bool:
    """Within `window` seconds of now, either way (clocks of two servers are never equal)."""
    current = time.time() if now is None else now
    return abs(current - envelope.timestamp) <= window
