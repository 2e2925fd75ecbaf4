"""Staff sign-in under attack: throttled per (username, address), claimed before the password
check, one answer for unknown usernames, an account-wide lock only from many addresses, and a
bound on the argon2 checks a process runs at once."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from resolvers.accounts import service
from resolvers.accounts.service import hash_password
from resolvers.settings import Settings
from storage.models.accounts import Account, AuditEvent, Role
from tests.conftest import RunningApp, start_app
from tests.graphql import GraphQLClient
from tests.processes import ROOT, api_processes, eventually, free_port

PASSWORD = "correct horse battery staple"
OFFICER = "officer-under-attack"
ADMIN = "admin-on-duty"
OTHER = "officer-next-door"
ATTACKER = "198.51.100.66"
OFFICE = "203.0.113.10"

LOGIN = """
mutation($u: String!, $p: String!) {
  loginStaff(input: {username: $u, password: $p}) {
    __typename
    ... on Session { token account { username } }
    ... on LoginStaffError { code message field retryAfterSeconds }
  }
}
"""

UNLOCK = """
mutation($u: String!) {
  unlockStaffAccount(input: {username: $u}) {
    __typename
    ... on StaffAccountUnlocked { wasLocked account { username } }
    ... on UnlockStaffAccountError { code message field }
  }
}
"""


class VerifySpy:
    """Stands in for the argon2 check: counts calls and how many run at once."""

    def __init__(self, real: Callable[[str, str], bool], pause: float = 0.0) -> None:
        self.real = real
        self.pause = pause
        self.lock = threading.Lock()
        self.passwords: list[str] = []
        self.running = 0
        self.peak = 0

    def __call__(self, password_hash: str, password: str) -> bool:
        with self.lock:
            self.passwords.append(password)
            self.running += 1
            self.peak = max(self.peak, self.running)
        try:
            time.sleep(self.pause)
            return self.real(password_hash, password)
        finally:
            with self.lock:
                self.running -= 1


@pytest.fixture
def spy(monkeypatch: pytest.MonkeyPatch) -> VerifySpy:
    watcher = VerifySpy(service._verify_password)
    monkeypatch.setattr(service, "_verify_password", watcher)
    return watcher


async def create_staff() -> None:
    password_hash = hash_password(PASSWORD)
    for username, roles in (
        (OFFICER, [Role.STAFF.value]),
        (OTHER, [Role.STAFF.value]),
        (ADMIN, [Role.STAFF.value, Role.ADMIN.value]),
    ):
        await Account.create(username=username, roles=roles, password_hash=password_hash)


@asynccontextmanager
async def staff_app(settings: Settings) -> AsyncIterator[RunningApp]:
    async for running in start_app(settings):
        await create_staff()
        yield running


@pytest.fixture
async def app(settings_factory: Any, mock_state: Any) -> AsyncIterator[RunningApp]:
    """Three staff accounts; three failing addresses lock an account."""
    async with staff_app(settings_factory(staff_lock_addresses=3)) as running:
        yield running


@asynccontextmanager
async def client_at(running: RunningApp, ip: str) -> AsyncIterator[GraphQLClient]:
    transport = httpx.ASGITransport(app=running.asgi, client=(ip, 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield GraphQLClient(client)


async def login(running: RunningApp, ip: str, username: str, password: str) -> dict[str, Any]:
    async with client_at(running, ip) as gql:
        result = await gql.data(LOGIN, {"u": username, "p": password})
    return dict(result["loginStaff"])


async def failures_checked() -> int:
    """Failed attempts whose password was checked (the audit trail's count)."""
    return await AuditEvent.filter(
        action="LOGIN_STAFF", success=False, detail__in=["password", "unknown user"]
    ).count()


# -- one address cannot lock the officer out


async def test_failures_from_one_address_do_not_lock_the_officer_out_elsewhere(
    app: RunningApp,
) -> None:
    attempts = [await login(app, ATTACKER, OFFICER, f"guess-{i}") for i in range(8)]
    from_office = await login(app, OFFICE, OFFICER, PASSWORD)

    assert from_office["__typename"] == "Session"
    assert {a["code"] for a in attempts} <= {"INVALID_CREDENTIALS", "RATE_LIMITED"}
    assert "ACCOUNT_LOCKED" not in [a["code"] for a in attempts]


async def test_the_attacking_address_is_slowed_down_not_the_account(app: RunningApp) -> None:
    attempts = [await login(app, ATTACKER, OFFICER, f"guess-{i}") for i in range(6)]
    right_from_attacker = await login(app, ATTACKER, OFFICER, PASSWORD)

    assert [a["code"] for a in attempts] == ["INVALID_CREDENTIALS"] * 5 + ["RATE_LIMITED"]
    assert [a["retryAfterSeconds"] for a in attempts[:5]] == [None] * 4 + [1]
    assert attempts[5]["retryAfterSeconds"] == 1
    # The delay holds for the right password too: it is checked only when the wait is over.
    assert right_from_attacker["code"] == "RATE_LIMITED"
    assert await failures_checked() == 5


async def test_hosts_of_one_ipv6_network_count_as_one_address(app: RunningApp) -> None:
    attempts = [await login(app, f"2001:db8:5:7::{i}", OFFICER, "wrong") for i in range(1, 7)]
    elsewhere = await login(app, "2001:db8:5:8::1", OFFICER, PASSWORD)

    # One /64 is one address: it is slowed down, and it does not lock the account.
    assert [a["code"] for a in attempts] == ["INVALID_CREDENTIALS"] * 5 + ["RATE_LIMITED"]
    assert elsewhere["__typename"] == "Session"


# -- parallel attempts


async def test_parallel_wrong_passwords_cannot_all_reach_the_password_check(
    app: RunningApp, spy: VerifySpy
) -> None:
    free = app.settings.staff_max_failed_logins

    async def wrong(i: int) -> dict[str, Any]:
        return await login(app, ATTACKER, OFFICER, f"parallel-guess-{i}")

    async def right_once_the_free_attempts_are_checked() -> dict[str, Any]:
        # However slowly this machine lets the wrong ones in: a fixed pause of 0.15 s lost
        # that race on a slow one, and the right password took a free attempt.
        await eventually(lambda: len(spy.passwords) >= free, 30, "the free attempts checked")
        return await login(app, ATTACKER, OFFICER, PASSWORD)

    *wrongs, right = await asyncio.gather(
        *(wrong(i) for i in range(19)), right_once_the_free_attempts_are_checked()
    )

    assert len(spy.passwords) == free
    assert PASSWORD not in spy.passwords
    assert right["__typename"] == "LoginStaffError"
    assert right["code"] == "RATE_LIMITED"
    assert right["retryAfterSeconds"] >= 1
    codes = [w["code"] for w in wrongs]
    assert codes.count("INVALID_CREDENTIALS") == len(spy.passwords)
    assert codes.count("RATE_LIMITED") == 19 - len(spy.passwords)


@pytest.mark.slow
async def test_parallel_wrong_passwords_across_two_processes(app: RunningApp) -> None:
    if app.settings.embedded_redis:
        pytest.skip("two processes share state only through a real Redis")
    free = app.settings.staff_max_failed_logins
    # A long first delay: however slowly this machine answers, the 19 arrive within it.
    with api_processes(app.settings, 2, staff_login_delay_seconds="30") as urls:
        async with httpx.AsyncClient(timeout=60) as http:

            async def login_at(url: str, username: str, password: str) -> dict[str, Any]:
                response = await http.post(
                    f"{url}/graphql",
                    json={"query": LOGIN, "variables": {"u": username, "p": password}},
                )
                return dict(response.json()["data"]["loginStaff"])

            # Warm both processes up (database pool, Redis, argon2) on another username.
            for url in urls:
                assert (await login_at(url, OTHER, "warm-up"))["code"] == "INVALID_CREDENTIALS"
            warm_up = await failures_checked()

            wrongs = await asyncio.gather(
                *(login_at(urls[i % 2], OFFICER, f"parallel-guess-{i}") for i in range(19))
            )
            # Then the right password, within the delay the failures earned: refused too.
            # (Sent after the guesses, not beside them: on a loaded machine a request "a
            # moment later" may overtake guesses still on their way and take a free check.)
            right = await login_at(urls[0], OFFICER, PASSWORD)

    checked = await failures_checked() - warm_up
    assert checked == free
    assert right["__typename"] == "LoginStaffError"
    assert right["code"] == "RATE_LIMITED"
    assert [w["code"] for w in wrongs].count("INVALID_CREDENTIALS") == checked


async def test_a_lock_set_during_the_password_check_stops_the_session(
    app: RunningApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    checking, release = threading.Event(), threading.Event()
    real = service._verify_password

    def slow_for_the_right_password(password_hash: str, password: str) -> bool:
        if password == PASSWORD:
            checking.set()
            release.wait(timeout=30)
        return real(password_hash, password)

    monkeypatch.setattr(service, "_verify_password", slow_for_the_right_password)
    right = asyncio.ensure_future(login(app, OFFICE, OFFICER, PASSWORD))
    await eventually(checking.is_set, 30, "the right password being checked")
    attacks = [await login(app, f"192.0.2.{i}", OFFICER, "wrong") for i in range(1, 4)]
    release.set()
    result = await right

    # The attempt in flight counts as a failing address until it succeeds.
    assert [a["code"] for a in attacks] == ["INVALID_CREDENTIALS"] + ["ACCOUNT_LOCKED"] * 2
    assert result["__typename"] == "LoginStaffError"
    assert result["code"] == "ACCOUNT_LOCKED"


# -- unknown usernames


async def test_unknown_usernames_answer_exactly_like_wrong_passwords(
    app: RunningApp, spy: VerifySpy
) -> None:
    async with client_at(app, ATTACKER) as gql:
        known = [await gql(LOGIN, {"u": OFFICER, "p": f"guess-{i}"}) for i in range(7)]
        unknown = [await gql(LOGIN, {"u": "officer-nobody", "p": f"guess-{i}"}) for i in range(7)]

    # Byte for byte, but for the caller's own cost budget (it shrinks with every request).
    def answer(response: Any) -> bytes:
        return orjson.dumps({k: v for k, v in response.body.items() if k != "extensions"})

    assert [answer(r) for r in known] == [answer(r) for r in unknown]
    assert [r.http.status_code for r in known] == [r.http.status_code for r in unknown]
    assert known[0].data["loginStaff"]["code"] == "INVALID_CREDENTIALS"
    assert known[-1].data["loginStaff"]["code"] == "RATE_LIMITED"
    # The password was checked (against a stand-in hash for the unknown name) just as often.
    free = app.settings.staff_max_failed_logins
    assert len(spy.passwords) == 2 * free


async def test_unknown_usernames_lock_like_real_ones(app: RunningApp) -> None:
    real = [await login(app, f"192.0.2.{i}", OFFICER, "wrong") for i in range(1, 5)]
    unknown = [await login(app, f"192.0.2.{i}", "officer-nobody", "wrong") for i in range(1, 5)]

    assert real == unknown
    assert [r["code"] for r in real] == ["INVALID_CREDENTIALS"] * 2 + ["ACCOUNT_LOCKED"] * 2


# -- many addresses: the account-wide lock and the admin's unlock


async def test_many_addresses_lock_the_account_until_an_admin_unlocks_it(
    app: RunningApp,
) -> None:
    attacks = [await login(app, f"192.0.2.{i}", OFFICER, "wrong") for i in range(1, 4)]
    locked = await login(app, OFFICE, OFFICER, PASSWORD)
    admin = await login(app, "203.0.113.99", ADMIN, PASSWORD)
    async with client_at(app, "203.0.113.99") as gql:
        unlocked = (await gql.data(UNLOCK, {"u": OFFICER.upper()}, token=admin["token"]))[
            "unlockStaffAccount"
        ]
        again = (await gql.data(UNLOCK, {"u": OFFICER}, token=admin["token"]))["unlockStaffAccount"]
    after = await login(app, OFFICE, OFFICER, PASSWORD)

    assert [a["code"] for a in attacks] == ["INVALID_CREDENTIALS"] * 2 + ["ACCOUNT_LOCKED"]
    assert attacks[-1]["retryAfterSeconds"] == app.settings.staff_lockout_seconds
    assert locked["code"] == "ACCOUNT_LOCKED"
    assert 0 < locked["retryAfterSeconds"] <= app.settings.staff_lockout_seconds
    assert admin["__typename"] == "Session"
    assert unlocked == {
        "__typename": "StaffAccountUnlocked",
        "wasLocked": True,
        "account": {"username": OFFICER},
    }
    assert again["wasLocked"] is False
    assert after["__typename"] == "Session"
    admin_id = (await Account.get(username=ADMIN)).id
    officer_id = (await Account.get(username=OFFICER)).id
    audit = await AuditEvent.filter(action="STAFF_UNLOCKED", success=True).order_by("at")
    assert [(a.actor_id, a.detail) for a in audit] == [
        (admin_id, f"account {officer_id} (was locked)"),
        (admin_id, f"account {officer_id}"),
    ]
    locks = await AuditEvent.filter(action="STAFF_LOCKED")
    assert [lock.detail for lock in locks] == [f"account {officer_id}"]


async def test_only_admins_unlock(app: RunningApp) -> None:
    for i in range(1, 4):
        await login(app, f"192.0.2.{i}", OFFICER, "wrong")
    officer = await login(app, OFFICE, OTHER, PASSWORD)
    admin = await login(app, OFFICE, ADMIN, PASSWORD)
    async with client_at(app, OFFICE) as gql:
        by_officer = (await gql.data(UNLOCK, {"u": OFFICER}, token=officer["token"]))[
            "unlockStaffAccount"
        ]
        anonymous = (await gql.data(UNLOCK, {"u": OFFICER}))["unlockStaffAccount"]
        unknown = (await gql.data(UNLOCK, {"u": "officer-nobody"}, token=admin["token"]))[
            "unlockStaffAccount"
        ]
    still_locked = await login(app, OFFICE, OFFICER, PASSWORD)

    assert by_officer["__typename"] == "UnlockStaffAccountError"
    assert by_officer["code"] == "FORBIDDEN"
    assert anonymous["code"] == "UNAUTHENTICATED"
    assert unknown["code"] == "UNKNOWN_STAFF_ACCOUNT"
    assert unknown["field"] == "username"
    assert still_locked["code"] == "ACCOUNT_LOCKED"
    refused = await AuditEvent.filter(action="STAFF_UNLOCKED", success=False).count()
    assert refused == 1


def rongban(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RONGBAN_")} | {
        "RONGBAN_DATABASE_URL": settings.database_url,
        "RONGBAN_REDIS_URL": settings.redis_url,
        "RONGBAN_STORAGE_URL": settings.storage_url,
        "RONGBAN_SECRET_KEY": settings.secret_key.get_secret_value(),
        "RONGBAN_LOG_LEVEL": "WARNING",
    }
    return subprocess.run(
        [sys.executable, "-m", "api.cli", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


async def test_the_cli_unlocks(app: RunningApp) -> None:
    from api.cli import staff_unlock

    if app.settings.embedded_redis:
        pytest.skip("the command reaches a memory:// Redis only inside the API process")
    for i in range(1, 4):
        await login(app, f"192.0.2.{i}", OFFICER, "wrong")

    done = await asyncio.to_thread(rongban, app.settings, "staff-unlock", OFFICER.upper())
    missing = await staff_unlock(app.settings, "officer-nobody")
    after = await login(app, OFFICE, OFFICER, PASSWORD)

    assert (done.returncode, done.stdout) == (0, f"unlocked {OFFICER} (it was locked)\n")
    assert missing == (1, ["no staff account named officer-nobody"])
    assert after["__typename"] == "Session"
    audit = await AuditEvent.get(action="STAFF_UNLOCKED")
    assert (audit.actor_id, audit.request_id) == (None, "rongban staff-unlock")


# -- the bound on argon2 checks


async def test_password_checks_run_at_most_the_bound_at_once(
    settings_factory: Any, mock_state: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = settings_factory(password_hash_concurrency=2, password_hash_wait_seconds=5)
    spy = VerifySpy(service._verify_password, pause=0.2)
    monkeypatch.setattr(service, "_verify_password", spy)
    async with staff_app(settings) as running:
        results = await asyncio.gather(
            *(login(running, f"192.0.2.{i}", f"someone-{i}", "wrong") for i in range(10))
        )

    assert spy.peak == 2
    assert len(spy.passwords) == 10
    assert {r["code"] for r in results} == {"INVALID_CREDENTIALS"}


async def test_a_sign_in_that_finds_no_free_check_is_told_to_retry(
    settings_factory: Any, mock_state: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = settings_factory(password_hash_concurrency=1, password_hash_wait_seconds=0.1)
    spy = VerifySpy(service._verify_password, pause=0.5)
    monkeypatch.setattr(service, "_verify_password", spy)
    async with staff_app(settings) as running:
        results = await asyncio.gather(
            *(login(running, OFFICE, OFFICER, f"guess-{i}") for i in range(4))
        )
        spy.pause = 0
        next_wrong = await login(running, OFFICE, OFFICER, "guess-again")
        after = await login(running, OFFICE, OFFICER, PASSWORD)

    busy = [r for r in results if r["code"] == "SERVICE_BUSY"]
    assert spy.peak == 1
    assert len(busy) == 3
    assert all(r["retryAfterSeconds"] == 1 for r in busy)
    assert busy[0]["message"] == "系统繁忙，请稍后再试。"
    # Attempts that were never checked are not counted: this is the second failure, no delay.
    assert next_wrong["code"] == "INVALID_CREDENTIALS"
    assert next_wrong["retryAfterSeconds"] is None
    assert after["__typename"] == "Session"


# -- without Redis


@contextmanager
def private_redis(folder: Path) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    """A Redis server of this test's own, on a spare port, to be stopped on purpose."""
    port = free_port()
    server = subprocess.Popen(
        ["redis-server", "--port", str(port), "--save", "", "--appendonly", "no"],
        cwd=folder,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        while True:
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", port)) == 0:
                    break
            assert time.monotonic() < deadline, "redis-server did not start"
            time.sleep(0.05)
        yield server, f"redis://127.0.0.1:{port}/0"
    finally:
        if server.poll() is None:
            server.kill()
        server.wait()


async def test_without_redis_staff_sign_in_fails_closed(
    settings_factory: Any, mock_state: Any, spy: VerifySpy, tmp_path: Path
) -> None:
    with private_redis(tmp_path) as (redis_server, url):
        settings = settings_factory().model_copy(update={"redis_url": url})
        async with staff_app(settings) as running:
            redis_server.terminate()
            await asyncio.to_thread(redis_server.wait, 10)
            result = await login(running, OFFICE, OFFICER, PASSWORD)

    assert result["code"] == "SERVICE_UNAVAILABLE"
    assert spy.passwords == []
