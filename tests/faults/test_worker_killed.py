"""`kill -9` of a worker in the middle of an outbox batch, with real `rongban worker`
processes: every message still reaches the province exactly once and in order per stream,
and the dead worker's streams go on within one lease (a live worker's lease is renewed, so
its peers never take over a message it is still sending)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import httpx
import pytest

from storage.models.exchange import ExchangeAcknowledgement
from storage.models.outbox import OutboxMessage, OutboxStatus
from tests.conftest import RunningApp
from tests.exchange.conftest import Sandbox, completed_application, pushes
from tests.processes import eventually, worker_processes

pytestmark = pytest.mark.processes

# Short, so the test is quick; production's is 30 s.
LEASE_SECONDS = 2
# The promise: a dead worker's streams resume within about 30 s.
RESUME_WITHIN = 30


def _real_services(running: RunningApp) -> None:
    settings = running.settings
    if settings.embedded_redis or not settings.database_url.startswith("postgres"):
        pytest.skip("worker processes share state only through real PostgreSQL and Redis")


async def _claims() -> dict[str, tuple[str | None, datetime]]:
    rows = await OutboxMessage.filter(claimed_until__not_isnull=True)
    return {str(m.id): (m.claimed_by, m.claimed_until) for m in rows if m.claimed_until}


async def test_a_worker_killed_mid_batch_loses_nothing_and_its_streams_go_on(
    seeded: RunningApp, wechat: httpx.AsyncClient, sandbox: Sandbox, tmp_path: Path
) -> None:
    _real_services(seeded)
    for user in ("k1", "k2", "k3"):  # three applications, seven pushes each
        await completed_application(seeded, wechat, user)
    expected = {str(m.id): m for m in await pushes()}
    # The province holds the first push it gets: the worker that sends it is stuck there,
    # holding the rest of its batch.
    sandbox.fault("slow", seconds=55, times=1)
    workers = {
        "outbox_lease_seconds": str(LEASE_SECONDS),
        "outbox_poll_seconds": "0.2",
        # Longer than the hold, so the held push neither times out nor fails: it hangs.
        "exchange_timeout_seconds": "60",
    }

    with worker_processes(seeded.settings, 1, tmp_path / "workers.log", **workers) as (first,):
        await eventually(lambda: sandbox.state()["calls"] >= 1, 60, "the first worker sent")
        held = {i: c for i, c in (await _claims()).items() if i in expected}
        # The head of each application's stream, all claimed by the stuck worker.
        assert len(held) == 3
        (owner,) = {by for by, _ in held.values()}
        first_lapse = max(until for _, until in held.values())

        with worker_processes(seeded.settings, 1, tmp_path / "workers.log", **workers):
            # Past the first lease's end, the stuck worker still holds every one of them
            # (its heartbeat renewed them) and the second worker has sent none.
            async def renewed() -> bool:
                now = seeded.resources.clock()
                claims = await _claims()
                return now > first_lapse and all(claims.get(i, (None,))[0] == owner for i in held)

            await eventually(renewed, 30, "the stuck worker's leases outlived the first one")
            assert sandbox.state()["calls"] == 1

            first.kill()
            sandbox.release()  # the held request finishes: the province booked that one

            async def all_delivered() -> bool:
                rows = await pushes()
                return all(m.status is OutboxStatus.DELIVERED for m in rows)

            await eventually(all_delivered, RESUME_WITHIN, "the dead worker's streams resumed")

    state = sandbox.state()
    received = state["messages"]
    assert sorted(m["messageId"] for m in received) == sorted(expected)
    by_project: dict[str, list[int]] = {}
    for message in sorted(received, key=lambda m: m["position"]):
        by_project.setdefault(message["projectNo"], []).append(message["sequence"])
    assert sorted(by_project.values()) == [list(range(1, 8))] * 3
    assert state["outOfOrder"] == []
    # At most the message in flight when the worker died went twice (the province booked it
    # once and answered the resend with the same receipt).
    assert set(state["duplicates"]) <= set(held)
    assert len(state["duplicates"]) <= 1
    assert await ExchangeAcknowledgement.filter(message_id__in=list(expected)).count() == len(
        expected
    )
