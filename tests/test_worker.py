"""`rongban worker` jobs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from api.worker import run_jobs_once
from storage.models.accounts import Account, AuthSession
from tests.conftest import RunningApp


async def test_sessions_ended_long_ago_are_purged_and_live_ones_kept(running: RunningApp) -> None:
    account = await Account.create(roles=["RESIDENT"])
    now = datetime.now(UTC)
    for name, refresh_end in (("old", now - timedelta(days=31)), ("live", now + timedelta(days=1))):
        await AuthSession.create(
            account=account,
            access_hash=f"a-{name}",
            refresh_hash=f"r-{name}",
            method="SMS",
            access_expires_at=refresh_end,
            refresh_expires_at=refresh_end,
        )

    results = await run_jobs_once(running.resources)

    assert results["purge-ended-sessions"] == 1
    assert [s.access_hash for s in await AuthSession.all()] == ["a-live"]
