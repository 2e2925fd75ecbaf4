"""What real-name verification needs from an identity provider, as typed values and errors."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol


class IdentityProviderError(Exception):
    """The provider refused the request; `code` is its own (an errcode, an HTTP status)."""

    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(f"identity provider error {code}")
        self.code = code
        # Never holds the claimed name or number: it goes to the logs.
        self.detail = detail


class IdentityProviderUnavailable(IdentityProviderError):
    """The provider could not be reached, timed out or answered something unusable."""


class Outcome(StrEnum):
    PASSED = "PASSED"  # the person in front of the camera is the holder of the claimed identity
    MISMATCH = "MISMATCH"  # someone else's face, or a name that does not go with the number
    FAILED = "FAILED"  # the check itself failed (camera, network, liveness): may be retried
    CANCELLED = "CANCELLED"  # the resident left the check
    EXPIRED = "EXPIRED"  # the session ran out before the check was done
    PENDING = "PENDING"  # not done yet: ask again after the resident finished


@dataclass(frozen=True, slots=True)
class Claim:
    """The identity a verification is about, and whose session it is."""

    out_seq_no: str  # our serial number of the verification, unique, [0-9A-Za-z_-]{5,32}
    name: str = field(repr=False)
    id_number: str = field(repr=False)
    openid: str | None = None  # the mini-program user, for WeChat's face check


@dataclass(frozen=True, slots=True)
class Started:
    verify_id: str  # the provider's session id, at most 256 characters
    expires_in: int  # seconds
    link: str | None = None  # where an app sends the resident (H5 or deep link); None in WeChat


@dataclass(frozen=True, slots=True)
class Result:
    outcome: Outcome
    code: str  # the provider's own result code, for the audit trail (never face data)


class IdentityProvider(Protocol):
    async def start(self, claim: Claim) -> Started:
        """Opens a face-verification session for the claimed identity."""
        ...

    async def result(self, claim: Claim, verify_id: str) -> Result:
        """What the session came to, asked of the provider (never taken from the client)."""
        ...

    async def close(self) -> None: ...
