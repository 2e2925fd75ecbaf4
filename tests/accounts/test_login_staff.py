"""loginStaff: argon2 passwords, growing delays after failures, TOTP with replay protection."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pyotp
import pytest

from resolvers.accounts.service import hash_password
from storage.models.accounts import Account, Role
from tests.conftest import RunningApp, start_app

LOGIN = """
mutation($u: String!, $p: String!, $otp: String) {
  loginStaff(input: {username: $u, password: $p, otp: $otp}) {
    __typename
    ... on Session { token expiresAt account { username roles department { code name } } }
    ... on LoginStaffError { code message field retryAfterSeconds }
  }
}
"""


async def login(running: RunningApp, username: str, password: str, otp: str | None = None) -> dict:
    result = await running.gql.data(LOGIN, {"u": username, "p": password, "otp": otp})
    return dict(result["loginStaff"])


async def test_demo_officers_sign_in_with_their_department(seeded: RunningApp) -> None:
    officer = (
        await Account.filter(username__startswith="officer-").first().prefetch_related("department")
    )
    assert officer is not None
    assert officer.department is not None
    assert officer.username is not None

    result = await login(seeded, officer.username.upper(), "demo-password-for-tests")

    assert result["__typename"] == "Session"
    assert result["account"]["roles"] == ["STAFF"]
    assert result["account"]["department"]["code"] == officer.department.code
    lifetime = datetime.fromisoformat(result["expiresAt"]) - datetime.now(UTC)
    assert lifetime.total_seconds() <= 15 * 60  # staff sessions are short


async def test_wrong_password_and_unknown_user_look_the_same(seeded: RunningApp) -> None:
    wrong = await login(seeded, "demo-admin", "not-the-password")
    unknown = await login(seeded, "nobody-at-all", "not-the-password")

    assert wrong["code"] == unknown["code"] == "INVALID_CREDENTIALS"
    assert wrong["message"] == unknown["message"]


async def test_the_delay_doubles_ends_and_a_success_resets_the_count(seeded: RunningApp) -> None:
    first = [await login(seeded, "demo-admin", "wrong") for _ in range(5)]
    await asyncio.sleep(1.05)
    sixth = await login(seeded, "demo-admin", "wrong")
    waiting = await login(seeded, "demo-admin", "demo-password-for-tests")
    await asyncio.sleep(2.05)
    right = await login(seeded, "demo-admin", "demo-password-for-tests")
    again = [await login(seeded, "demo-admin", "wrong") for _ in range(4)]

    assert first[-1]["retryAfterSeconds"] == 1
    assert (sixth["code"], sixth["retryAfterSeconds"]) == ("INVALID_CREDENTIALS", 2)
    assert waiting["code"] == "RATE_LIMITED"
    assert right["__typename"] == "Session"
    assert [r["retryAfterSeconds"] for r in again] == [None] * 4


@pytest.fixture
async def otp_officer(running: RunningApp) -> pyotp.TOTP:
    secret = pyotp.random_base32()
    await Account.create(
        username="otp-officer",
        roles=[Role.STAFF.value],
        password_hash=hash_password("correct horse battery"),
        totp_secret_sealed=running.resources.keyring.seal(secret, context="account.totp"),
    )
    return pyotp.TOTP(secret)


async def test_an_enrolled_second_factor_is_required(
    running: RunningApp, otp_officer: pyotp.TOTP
) -> None:
    missing = await login(running, "otp-officer", "correct horse battery")
    wrong = await login(running, "otp-officer", "correct horse battery", "000000")
    right = await login(running, "otp-officer", "correct horse battery", otp_officer.now())

    assert missing["code"] == "OTP_REQUIRED"
    assert missing["field"] == "otp"
    assert wrong["code"] == "INVALID_OTP"
    assert right["__typename"] == "Session"


async def test_a_totp_code_cannot_be_replayed(running: RunningApp, otp_officer: pyotp.TOTP) -> None:
    code = otp_officer.now()
    first = await login(running, "otp-officer", "correct horse battery", code)
    replay = await login(running, "otp-officer", "correct horse battery", code)

    assert first["__typename"] == "Session"
    assert replay["code"] == "INVALID_OTP"


async def test_when_otp_is_required_accounts_without_one_cannot_sign_in(
    settings_factory, mock_state
) -> None:
    from api.seed import seed_demo

    async for running in start_app(settings_factory(staff_require_otp=True)):
        await seed_demo(running.settings)
        result = await login(running, "demo-admin", "demo-password-for-tests")
        assert result["code"] == "OTP_REQUIRED"


async def test_disabled_accounts_cannot_sign_in(seeded: RunningApp) -> None:
    await Account.filter(username="demo-admin").update(disabled=True)

    result = await login(seeded, "demo-admin", "demo-password-for-tests")

    assert result["code"] == "ACCOUNT_DISABLED"


@pytest.mark.parametrize(("username", "password"), [("", "x"), ("a" * 65, "x"), ("demo-admin", "")])
async def test_absurd_input_is_just_wrong_credentials(
    seeded: RunningApp, username: str, password: str
) -> None:
    result = await login(seeded, username, password)

    assert result["code"] == "INVALID_CREDENTIALS"
