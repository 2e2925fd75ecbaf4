"""What a department system can rely on: our answers are signed with the key it holds, its
callbacks have a share of their own, and its secret (and ours with the province) can be
rotated without a refused message."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from integrations.provincial import envelope
from resolvers.exchange.signing import HmacSha256, RotatingHmac, province_verifier
from resolvers.settings import Settings
from storage.models.catalogue import Department
from storage.models.exchange import ExchangeSystem
from tests.applications.conftest import HYGIENE, implementation
from tests.conftest import RunningApp
from tests.exchange.conftest import (
    SYSTEM_SECRET,
    accepted_application,
    callback_body,
    later,
    post_callback,
    register_system,
    rongban,
    sign_callback,
)

SYSTEM = "jinjiang-approval"
PER_MINUTE = 3


@pytest.fixture
def settings(settings_factory: Any) -> Settings:
    built: Settings = settings_factory(exchange_callbacks_per_minute=PER_MINUTE)
    return built


async def _registered(seeded: RunningApp) -> ExchangeSystem:
    item = await implementation(HYGIENE)
    return await register_system(seeded, item.department_id, SYSTEM)


def _signed_by(response: httpx.Response, secret: str, message_id: str) -> bool:
    found = envelope.read(response.headers)
    assert found.message_id == message_id
    return envelope.verify(HmacSha256(secret.encode()), found, response.content)


async def test_answers_are_signed_with_the_system_s_own_key(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    await _registered(seeded)
    submitted, _, _ = await accepted_application(seeded, wechat)
    body = callback_body(submitted["number"], "PROGRESS", note="审查中")
    message_id = str(uuid.uuid4())

    applied = await post_callback(
        seeded, body, sign_callback(SYSTEM, SYSTEM_SECRET, body, message_id=message_id)
    )
    unknown = callback_body("CD20990101999999", "PROGRESS", note="审查中")
    refused_id = str(uuid.uuid4())
    refused = await post_callback(
        seeded, unknown, sign_callback(SYSTEM, SYSTEM_SECRET, unknown, message_id=refused_id)
    )
    forged = await post_callback(seeded, body, sign_callback(SYSTEM, "x" * 40, body))

    assert applied.status_code == 200, applied.text
    assert _signed_by(applied, SYSTEM_SECRET, message_id)
    assert applied.headers[envelope.SYSTEM] == seeded.settings.exchange_system_id
    # A refusal of an authenticated system is signed too; a tampered answer is not ours.
    assert refused.status_code == 404
    assert _signed_by(refused, SYSTEM_SECRET, refused_id)
    assert not envelope.verify(
        HmacSha256(SYSTEM_SECRET.encode()), envelope.read(refused.headers), applied.content
    )
    # Nobody proved who they are: there is no key of theirs to sign with.
    assert forged.status_code == 401
    assert envelope.SIGNATURE not in forged.headers


async def test_each_system_has_its_own_share(seeded: RunningApp, wechat: httpx.AsyncClient) -> None:
    await _registered(seeded)
    item = await implementation(HYGIENE)
    partner = await Department.get(code=item.cooperating_departments[0])
    await register_system(seeded, partner.id, "partner-approval")
    submitted, _, _ = await accepted_application(seeded, wechat)
    body = callback_body(submitted["number"], "PROGRESS", note="审查中")

    answers = [
        await post_callback(seeded, body, sign_callback(SYSTEM, SYSTEM_SECRET, body))
        for _ in range(PER_MINUTE + 1)
    ]
    other = await post_callback(
        seeded, body, sign_callback("partner-approval", SYSTEM_SECRET, body)
    )
    headers = sign_callback(SYSTEM, SYSTEM_SECRET, body)
    throttled = await post_callback(seeded, body, headers)
    await seeded.resources.redis.flushdb()  # the minute has passed
    resent = await post_callback(seeded, body, headers)  # the very same request

    assert [a.status_code for a in answers] == [200] * PER_MINUTE + [429]
    limited = answers[-1]
    assert limited.json()["code"] == "RATE_LIMITED"
    assert 1 <= int(limited.headers["retry-after"]) <= 60
    assert other.status_code == 200, other.text  # another system's share is its own
    assert throttled.status_code == 429
    # The refused request did not spend its nonce: sent again as it was, it goes through.
    assert resent.status_code == 200, resent.text


async def test_a_rotated_secret_keeps_working_for_the_grace_period(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    await _registered(seeded)
    submitted, _, _ = await accepted_application(seeded, wechat)
    body = callback_body(submitted["number"], "PROGRESS", note="审查中")

    rotated = rongban(
        seeded.settings, "exchange", "system", "rotate", SYSTEM, "--grace-hours", "24"
    )
    assert rotated.returncode == 0, rotated.stderr
    new_secret = rotated.stdout.rsplit(": ", 1)[-1].strip()
    stored = await ExchangeSystem.get(key_id=SYSTEM)
    assert new_secret not in (stored.secret_sealed or "")
    assert new_secret != SYSTEM_SECRET

    old_id, new_id = str(uuid.uuid4()), str(uuid.uuid4())
    with_old = await post_callback(
        seeded, body, sign_callback(SYSTEM, SYSTEM_SECRET, body, message_id=old_id)
    )
    with_new = await post_callback(
        seeded, body, sign_callback(SYSTEM, new_secret, body, message_id=new_id)
    )
    assert (with_old.status_code, with_new.status_code) == (200, 200)
    # Each answer is signed with the key its request used: the one the system holds.
    assert _signed_by(with_old, SYSTEM_SECRET, old_id)
    assert _signed_by(with_new, new_secret, new_id)

    later(seeded, hours=25)
    expired = await post_callback(seeded, body, sign_callback(SYSTEM, SYSTEM_SECRET, body))
    still = await post_callback(seeded, body, sign_callback(SYSTEM, new_secret, body))
    assert (expired.status_code, expired.json()["code"]) == (401, "BAD_SIGNATURE")
    assert still.status_code == 200, still.text


async def test_only_hmac_systems_rotate(seeded: RunningApp) -> None:
    unknown = rongban(seeded.settings, "exchange", "system", "rotate", "nobody")
    too_long = rongban(
        seeded.settings, "exchange", "system", "rotate", "nobody", "--grace-hours", "721"
    )

    assert unknown.returncode == 1
    assert "no active HMAC-SHA256 system nobody" in unknown.stderr
    assert too_long.returncode == 2


def test_the_province_s_previous_secret_is_accepted_until_the_grace_period_ends(
    settings_factory: Any,
) -> None:
    old, new = "o" * 40, "n" * 40
    until = datetime(2027, 1, 1, tzinfo=UTC)
    settings = settings_factory(
        exchange_secret=new, exchange_previous_secret=old, exchange_previous_secret_until=until
    )
    verifier = province_verifier(settings)
    assert isinstance(verifier, RotatingHmac)
    data = b"message\n1\nnonce\ndigest"
    by_old = HmacSha256(old.encode()).sign(data)
    by_new = HmacSha256(new.encode()).sign(data)

    during = RotatingHmac(verifier.current, verifier.previous, until, lambda: until - timedelta(1))
    after = RotatingHmac(verifier.current, verifier.previous, until, lambda: until)

    assert during.verify(data, by_old)
    assert during.verify(data, by_new)
    assert not after.verify(data, by_old)
    assert after.verify(data, by_new)
    # What we send is always signed with the new secret.
    assert during.sign(data) == by_new
    assert province_verifier(settings_factory(exchange_secret=new)).verify(data, by_new)
