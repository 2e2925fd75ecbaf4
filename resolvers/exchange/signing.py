"""Signatures of exchange messages: HMAC-SHA256 with a shared secret (the default) and SM2
with SM3 (GB/T 32918, GB/T 32905, through gmssl), behind one interface.

Both fit integrations.provincial.envelope.Signer: `digest` is the body's digest (SHA-256 or
SM3, hex), `sign`/`verify` work on the canonical string the envelope builds.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Callable
from datetime import UTC, datetime

from cryptography.hazmat.primitives import hashes
from gmssl import sm2

from resolvers.settings import Settings
from storage.models.exchange import SigningAlgorithm

_N = int(sm2.default_ecc_table["n"], 16)
_G = sm2.default_ecc_table["g"]
_HEX64 = re.compile(r"[0-9a-f]{64}")
_HEX128 = re.compile(r"[0-9a-f]{128}")


class InvalidKey(ValueError):
    """A key that is not a key: wrong length, not hex, not on the curve."""


class HmacSha256:
    algorithm = SigningAlgorithm.HMAC_SHA256.value

    def __init__(self, secret: bytes) -> None:
        if len(secret) < 16:
            raise InvalidKey("an HMAC secret needs at least 16 bytes")
        self._secret = secret

    def digest(self, body: bytes) -> str:
        return hashlib.sha256(body).hexdigest()

    def sign(self, data: bytes) -> str:
        return hmac.new(self._secret, data, hashlib.sha256).hexdigest()

    def verify(self, data: bytes, signature: str) -> bool:
        return hmac.compare_digest(self.sign(data), signature.lower())


class RotatingHmac:
    """An HMAC key being replaced: signs with the new secret; verifies with the new one and,
    until the grace period ends, with the previous one, so that the peer can switch at its own
    pace without a single refused message. `verifying_key` tells which one matched, so that
    an answer is signed with the key the peer still holds."""

    algorithm = SigningAlgorithm.HMAC_SHA256.value

    def __init__(
        self,
        current: HmacSha256,
        previous: HmacSha256 | None = None,
        until: datetime | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.current = current
        self.previous = previous
        self.until = until
        self._clock = clock

    def _keys(self) -> tuple[HmacSha256, ...]:
        if self.previous is not None and self.until is not None and self._clock() < self.until:
            return (self.current, self.previous)
        return (self.current,)

    def digest(self, body: bytes) -> str:
        return self.current.digest(body)

    def sign(self, data: bytes) -> str:
        return self.current.sign(data)

    def verifying_key(self, data: bytes, signature: str) -> HmacSha256 | None:
        for key in self._keys():
            if key.verify(data, signature):
                return key
        return None

    def verify(self, data: bytes, signature: str) -> bool:
        return self.verifying_key(data, signature) is not None


class Sm2Sm3:
    """SM2 signatures of the SM3 digest with the default user id (1234567812345678).

    gmssl picks the per-signature random k with `random.choice`, which is predictable, and a
    predictable k gives the private key away: k always comes from `secrets` here. Its
    constructor also strips a leading "04" with `lstrip`, which eats more than the prefix
    for some keys: the public key is set after construction instead.
    """

    algorithm = SigningAlgorithm.SM2_SM3.value

    def __init__(self, *, public_key: str, private_key: str | None = None) -> None:
        public = normalise_public_key(public_key)
        if private_key is not None:
            private = private_key.strip().lower()
            if not _HEX64.fullmatch(private) or not 0 < int(private, 16) < _N:
                raise InvalidKey("an SM2 private key is 64 hex characters")
            if public_key_of(private) != public:
                raise InvalidKey("the SM2 public key does not belong to the private key")
        self._private = private_key.strip().lower() if private_key else None
        self._public = public

    def _crypt(self) -> sm2.CryptSM2:
        crypt = sm2.CryptSM2(private_key=self._private or "", public_key="")
        crypt.public_key = self._public
        return crypt

    def digest(self, body: bytes) -> str:
        hasher = hashes.Hash(hashes.SM3())
        hasher.update(body)
        return hasher.finalize().hex()

    def sign(self, data: bytes) -> str:
        if self._private is None:
            raise RuntimeError("a verify-only SM2 key cannot sign")
        crypt = self._crypt()
        while True:  # gmssl returns None for the rare k that gives r = 0 or r + k = n
            signature = crypt.sign_with_sm3(data, f"{secrets.randbelow(_N - 1) + 1:064x}")
            if signature:
                return str(signature)

    def verify(self, data: bytes, signature: str) -> bool:
        if not _HEX128.fullmatch(signature.lower()):
            return False
        try:
            return bool(self._crypt().verify_with_sm3(signature.lower(), data))
        except Exception:  # gmssl raises on points off the curve: a bad signature
            return False


def normalise_public_key(value: str) -> str:
    """x||y as 128 lower-case hex characters (an uncompressed "04" prefix is accepted)."""
    key = value.strip().lower()
    if len(key) == 130 and key.startswith("04"):
        key = key[2:]
    if not _HEX128.fullmatch(key):
        raise InvalidKey("an SM2 public key is 128 hex characters (x||y)")
    return key


def public_key_of(private_key: str) -> str:
    crypt = sm2.CryptSM2(private_key=private_key, public_key="")
    return str(crypt._kg(int(private_key, 16), _G))


def generate_sm2_keypair() -> tuple[str, str]:
    """(private, public) for `rongban exchange sm2-keygen` and tests."""
    private = f"{secrets.randbelow(_N - 1) + 1:064x}"
    return private, public_key_of(private)


def platform_signer(settings: Settings) -> HmacSha256 | Sm2Sm3:
    """How this platform signs what it sends to the province."""
    if settings.exchange_algorithm == SigningAlgorithm.SM2_SM3.value:
        return Sm2Sm3(
            public_key=settings.exchange_sm2_public_key,
            private_key=settings.exchange_sm2_private_key.get_secret_value(),
        )
    return HmacSha256(settings.exchange_secret.get_secret_value().encode())


def province_verifier(settings: Settings) -> RotatingHmac | Sm2Sm3:
    """How the province's receipts are checked: the shared secret (and, while a rotation's
    grace period lasts, the previous one), or its SM2 public key."""
    if settings.exchange_algorithm == SigningAlgorithm.SM2_SM3.value:
        return Sm2Sm3(public_key=settings.exchange_province_public_key)
    current = HmacSha256(settings.exchange_secret.get_secret_value().encode())
    previous = settings.exchange_previous_secret.get_secret_value()
    if not previous:
        return RotatingHmac(current)
    return RotatingHmac(
        current, HmacSha256(previous.encode()), settings.exchange_previous_secret_until
    )
