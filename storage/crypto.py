"""Personal data at rest: SM4-GCM sealing, keyed blind indexes and keyed token hashes."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from collections.abc import Sequence
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import hmac as crypto_hmac
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

_VERSION = b"\x01"
_NONCE_BYTES = 12
_TAG_BYTES = 16
_KEY_ID_BYTES = 4


class SealError(Exception):
    """A sealed value could not be opened: wrong key, truncated or tampered."""


def _derive(master: bytes, purpose: str, length: int) -> bytes:
    # One master secret, one sub-key per purpose: a leak of one derived key (say the
    # URL-signing key in a log) does not open the sealed columns.
    return HKDF(
        algorithm=hashes.SHA256(), length=length, salt=b"rongban/v1", info=purpose.encode()
    ).derive(master)


@dataclass(frozen=True, slots=True)
class _DataKey:
    key_id: bytes
    key: bytes


class Keyring:
    """Seals and indexes personal data with keys derived from the configured master secrets.

    SM4-GCM and HMAC-SM3 follow GB/T 39786 (the national commercial cryptography baseline).
    The first master secret encrypts; older ones (after a rotation) still decrypt.
    """

    def __init__(self, master_secrets: Sequence[bytes]) -> None:
        if not master_secrets:
            raise ValueError("at least one master secret is required")
        self._data_keys = [self._data_key(secret) for secret in master_secrets]
        self._current = self._data_keys[0]
        primary = master_secrets[0]
        self._index_key = _derive(primary, "blind-index", 32)
        self._token_key = _derive(primary, "token-hash", 32)
        self._signing_key = _derive(primary, "url-signing", 32)

    @staticmethod
    def _data_key(secret: bytes) -> _DataKey:
        key = _derive(secret, "sm4-data", 16)
        return _DataKey(key_id=hashlib.sha256(key).digest()[:_KEY_ID_BYTES], key=key)

    def seal(self, plaintext: str, *, context: str) -> str:
        """Encrypts a value; `context` (e.g. "account.phone") is bound as associated data,
        so a ciphertext copied into another column does not open."""
        nonce = os.urandom(_NONCE_BYTES)
        encryptor = Cipher(algorithms.SM4(self._current.key), modes.GCM(nonce)).encryptor()
        encryptor.authenticate_additional_data(context.encode())
        body = encryptor.update(plaintext.encode()) + encryptor.finalize()
        raw = _VERSION + self._current.key_id + nonce + body + encryptor.tag
        return base64.urlsafe_b64encode(raw).decode()

    def open(self, sealed: str, *, context: str) -> str:
        try:
            raw = base64.urlsafe_b64decode(sealed.encode())
        except (ValueError, TypeError) as exc:
            raise SealError("not a sealed value") from exc
        header = 1 + _KEY_ID_BYTES + _NONCE_BYTES
        if len(raw) < header + _TAG_BYTES or raw[:1] != _VERSION:
            raise SealError("not a sealed value")
        key_id = raw[1 : 1 + _KEY_ID_BYTES]
        nonce = raw[1 + _KEY_ID_BYTES : header]
        body, tag = raw[header:-_TAG_BYTES], raw[-_TAG_BYTES:]
        for data_key in self._data_keys:
            if hmac.compare_digest(data_key.key_id, key_id):
                decryptor = Cipher(algorithms.SM4(data_key.key), modes.GCM(nonce, tag)).decryptor()
                decryptor.authenticate_additional_data(context.encode())
                try:
                    return (decryptor.update(body) + decryptor.finalize()).decode()
                except InvalidTag as exc:
                    raise SealError("sealed value failed authentication") from exc
        raise SealError("sealed with an unknown key")

    def blind_index(self, value: str, *, purpose: str) -> str:
        """A keyed, deterministic digest for equality look-ups without storing the value."""
        return _hmac_sm3(self._index_key, f"{purpose}\x00{value}")

    def token_hash(self, token: str) -> str:
        """The stored form of a bearer token, SMS code or API key."""
        return _hmac_sm3(self._token_key, token)

    def sign(self, message: str) -> str:
        return _hmac_sm3(self._signing_key, message)

    def verify_signature(self, message: str, signature: str) -> bool:
        return hmac.compare_digest(self.sign(message), signature)


def _hmac_sm3(key: bytes, message: str) -> str:
    mac = crypto_hmac.HMAC(key, hashes.SM3())
    mac.update(message.encode())
    return mac.finalize().hex()
