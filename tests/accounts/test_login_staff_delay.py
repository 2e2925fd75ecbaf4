"""Five failures slow an address down: checked with a first delay long enough that a loaded
machine cannot let it lapse between two attempts (the doubling itself is tested with the
default one-second delay in test_login_staff.py)."""

from __future__ import annotations

from typing import Any

import pytest

from resolvers.settings import Settings
from storage.models.accounts import AuditEvent
from tests.accounts.test_login_staff import login
from tests.conftest import RunningApp

DELAY = 30


@pytest.fixture
def settings(settings_factory: Any) -> Settings:
    built: Settings = settings_factory(staff_login_delay_seconds=DELAY)
    return built


async def test_five_failures_slow_down_that_address(seeded: RunningApp) -> None:
    results = [await login(seeded, "demo-admin", "wrong") for _ in range(6)]
    right = await login(seeded, "demo-admin", "demo-password-for-tests")

    assert [r["code"] for r in results] == ["INVALID_CREDENTIALS"] * 5 + ["RATE_LIMITED"]
    # The fifth failure says how long to wait; the sixth attempt was not checked at all.
    waits = [r["retryAfterSeconds"] for r in results]
    assert waits[:4] == [None] * 4
    assert DELAY - 5 <= waits[5] <= waits[4] <= DELAY
    assert right["code"] == "RATE_LIMITED"
    failures = await AuditEvent.filter(action="LOGIN_STAFF", success=False).count()
    assert failures == 5
