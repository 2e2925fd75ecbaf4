"""Signatures: HMAC-SHA256 and SM2 with SM3 behind one interface, the envelope both ways, and
the keys each accepts."""

from __future__ import annotations

import dataclasses
import time

import pytest
from cryptography.hazmat.primitives import hashes

from integrations.provincial import envelope
from integrations.provincial.envelope import EnvelopeError
from resolvers.exchange.signing import (
    HmacSha256,
    InvalidKey,
    Sm2Sm3,
    generate_sm2_keypair,
    normalise_public_key,
)

BODY = b'{"projectNo":"CD20260302000001","step":"ACCEPT"}'


def _signers() -> list[tuple[str, HmacSha256 | Sm2Sm3, HmacSha256 | Sm2Sm3]]:
    private, public = generate_sm2_keypair()
    secret = HmacSha256(b"a-shared-secret-0123456789abcdef")
    return [
        ("HMAC-SHA256", secret, secret),
        ("SM2-SM3", Sm2Sm3(public_key=public, private_key=private), Sm2Sm3(public_key=public)),
    ]


@pytest.mark.parametrize(("algorithm", "signer", "verifier"), _signers())
def test_a_sealed_body_verifies_and_any_change_breaks_it(
    algorithm: str, signer: HmacSha256 | Sm2Sm3, verifier: HmacSha256 | Sm2Sm3
) -> None:
    headers = envelope.seal(signer, system="rongban-test", message_id="m-1", body=BODY)
    found = envelope.read(headers)

    assert found.algorithm == algorithm
    assert envelope.verify(verifier, found, BODY)
    assert envelope.fresh(found, window=300)
    assert not envelope.verify(verifier, found, BODY.replace(b"ACCEPT", b"FINISH"))
    for changed in (
        dataclasses.replace(found, message_id="x" * 32),
        dataclasses.replace(found, nonce="x" * 32),
    ):
        assert not envelope.verify(verifier, changed, BODY)
    older = dataclasses.replace(found, timestamp=found.timestamp - 1)
    assert not envelope.verify(verifier, older, BODY)


def test_sm2_signatures_use_fresh_randomness_and_sm3_digests() -> None:
    private, public = generate_sm2_keypair()
    signer = Sm2Sm3(public_key=public, private_key=private)
    data = envelope.canonical("m-1", 1, "n" * 16, signer.digest(BODY))
    sm3 = hashes.Hash(hashes.SM3())
    sm3.update(b"abc")

    first, second = signer.sign(data), signer.sign(data)

    assert first != second  # k comes from `secrets`, never repeats
    assert signer.verify(data, first)
    assert signer.verify(data, second)
    assert Sm2Sm3(public_key=public).digest(b"abc") == sm3.finalize().hex()
    # GB/T 32905's test vector for SM3("abc")
    assert signer.digest(b"abc").startswith("66c7f0f462eeedd9d1f2d46bdc10e4e2")


def test_a_peer_cannot_choose_a_weaker_algorithm() -> None:
    secret = HmacSha256(b"a-shared-secret-0123456789abcdef")
    _, public = generate_sm2_keypair()
    headers = envelope.seal(secret, system="s", message_id="m", body=BODY)
    headers[envelope.ALGORITHM] = "SM2-SM3"

    assert not envelope.verify(Sm2Sm3(public_key=public), envelope.read(headers), BODY)


def test_keys_that_are_not_keys_are_refused() -> None:
    private, public = generate_sm2_keypair()
    _, other = generate_sm2_keypair()

    with pytest.raises(InvalidKey):
        HmacSha256(b"short")
    with pytest.raises(InvalidKey):
        Sm2Sm3(public_key="04" + "zz" * 64)
    with pytest.raises(InvalidKey):
        Sm2Sm3(public_key=other, private_key=private)  # not the pair
    with pytest.raises(InvalidKey):
        Sm2Sm3(public_key=public, private_key="00" * 32)
    with pytest.raises(RuntimeError):
        Sm2Sm3(public_key=public).sign(b"data")
    assert normalise_public_key("04" + public.upper()) == public
    assert not Sm2Sm3(public_key=public).verify(b"data", "not hex")
    assert not Sm2Sm3(public_key=public).verify(b"data", "00" * 64)


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({envelope.SIGNATURE: ""}, "missing X-Exchange-Signature"),
        ({envelope.TIMESTAMP: "yesterday"}, "malformed X-Exchange-Timestamp"),
        ({envelope.NONCE: "abc"}, "malformed X-Exchange-Nonce"),
        ({envelope.SIGNATURE: "xyz"}, "malformed X-Exchange-Signature"),
        ({envelope.MESSAGE_ID: "a b"}, "malformed X-Exchange-Message-Id"),
        ({envelope.SYSTEM: "x" * 65}, "malformed X-Exchange-System"),
    ],
)
def test_malformed_envelopes_say_what_is_wrong_without_the_value(
    change: dict[str, str], reason: str
) -> None:
    headers = envelope.seal(
        HmacSha256(b"a-shared-secret-0123456789abcdef"), system="s", message_id="m", body=BODY
    )
    headers.update(change)

    with pytest.raises(EnvelopeError) as raised:
        envelope.read(headers)

    assert str(raised.value) == reason


def test_freshness_is_a_window_either_way() -> None:
    now = time.time()
    headers = envelope.seal(
        HmacSha256(b"a-shared-secret-0123456789abcdef"), system="s", message_id="m", body=BODY
    )
    found = envelope.read(headers)

    assert envelope.fresh(found, window=300, now=now + 299)
    assert not envelope.fresh(found, window=300, now=now + 302)
    assert not envelope.fresh(found, window=300, now=now - 302)
