"""A peer down for a long time, simulated by its fault switch staying on across many cycles
of a real `rongban worker`: the work waits (FAILED, retried with backoff, never dead while the
attempt budget lasts), nothing is lost or reordered, and it drains when the peer returns."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from storage.models.outbox import OutboxStatus
from tests.conftest import RunningApp
from tests.exchange.conftest import Sandbox, completed_application, pushes
from tests.processes import eventually, worker_processes

pytestmark = pytest.mark.processes

# Refusals before the province is back: several worker cycles of every stream's head.
OUTAGE = 12


async def test_the_province_down_for_many_cycles_then_back(
    seeded: RunningApp, wechat: httpx.AsyncClient, sandbox: Sandbox, tmp_path: Path
) -> None:
    settings = seeded.settings
    if settings.embedded_redis or not settings.database_url.startswith("postgres"):
        pytest.skip("worker processes share state only through real PostgreSQL and Redis")
    for user in ("p1", "p2"):
        await completed_application(seeded, wechat, user)
    expected = {str(m.id) for m in await pushes()}
    sandbox.fault("status", status=503, times=OUTAGE)
    # Backoff in tenths of a second stands for the minutes of a real outage.
    workers = {
        "outbox_poll_seconds": "0.1",
        "outbox_backoff_base_seconds": "0.1",
        "outbox_backoff_max_seconds": "0.5",
    }

    with worker_processes(settings, 1, tmp_path / "worker.log", **workers):
        await eventually(lambda: sandbox.state()["calls"] >= OUTAGE, 60, "the worker kept trying")
        during = await pushes()

        async def drained() -> bool:
            return all(m.status is OutboxStatus.DELIVERED for m in await pushes())

        await eventually(drained, 60, "the backlog drained once the province was back")

    # While it was down nothing was given up and nothing got past a stream's head.
    assert {m.status for m in during} <= {OutboxStatus.PENDING, OutboxStatus.FAILED}
    state = sandbox.state()
    assert sorted(m["messageId"] for m in state["messages"]) == sorted(expected)
    assert state["outOfOrder"] == []
    by_project: dict[str, list[int]] = {}
    for message in sorted(state["messages"], key=lambda m: m["position"]):
        by_project.setdefault(message["projectNo"], []).append(message["sequence"])
    assert sorted(by_project.values()) == [list(range(1, 8))] * 2
