"""The shared outbox's ordering, made strong enough for the province: only stream heads are
claimed (a blocked stream never starves the others), strict streams wait on a dead letter
until it is re-queued, strict rows stay in write order whatever the clocks say, and each
kind may have its own attempt budget."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest

from resolvers.outbox.dispatcher import Dispatcher, Retry
from resolvers.resources import Resources
from resolvers.settings import Settings
from storage.models.outbox import OutboxMessage, OutboxStatus
from storage.repositories import outbox as repo
from tests.conftest import RunningApp


@pytest.fixture
def settings(settings_factory: Any) -> Settings:
    built: Settings = settings_factory(outbox_batch_size=5, outbox_max_attempts=8)
    return built


class Recorder:
    def __init__(self, failing: set[str] | None = None) -> None:
        self.calls: list[tuple[str, int]] = []
        self.failing = failing or set()

    async def __call__(self, resources: Resources, message: OutboxMessage) -> None:
        self.calls.append((message.key, int(message.payload["n"])))
        await asyncio.sleep(0)  # let a concurrent worker run in between
        if message.key in self.failing:
            raise Retry("peer down")


async def _rows(key: str) -> list[OutboxMessage]:
    return await OutboxMessage.filter(key=key).order_by("seq")


async def test_a_blocked_stream_does_not_starve_the_others(running: RunningApp) -> None:
    now = running.resources.clock()
    await repo.enqueue("t", "blocked", {"n": 0}, now=now)
    await OutboxMessage.filter(key="blocked").update(
        status=OutboxStatus.FAILED, next_attempt_at=now + timedelta(hours=1)
    )
    for n in range(1, 31):  # all due, all waiting behind the failed head
        await repo.enqueue("t", "blocked", {"n": n}, now=now)
    await repo.enqueue("t", "free", {"n": 0}, now=now)
    recorder = Recorder()

    handled = await Dispatcher(running.resources, {"t": recorder}).run_once()

    assert handled == 1
    assert recorder.calls == [("free", 0)]


async def test_a_strict_stream_waits_for_its_dead_letter_and_others_do_not(
    running: RunningApp,
) -> None:
    now = running.resources.clock()
    for key, is_strict in (("strict", True), ("loose", False)):
        for n in range(3):
            await repo.enqueue("t", key, {"n": n}, now=now, strict=is_strict)
    recorder = Recorder(failing={"strict", "loose"})
    worker = Dispatcher(running.resources, {"t": recorder}, max_attempts={"t": 2})

    for day in range(6):
        running.resources.clock = lambda d=day: now + timedelta(days=d)
        await worker.drain()

    strict, loose = await _rows("strict"), await _rows("loose")
    assert [m.status for m in strict] == [
        OutboxStatus.DEAD,
        OutboxStatus.PENDING,
        OutboxStatus.PENDING,
    ]
    assert [m.status for m in loose] == [OutboxStatus.DEAD] * 3
    assert [n for k, n in recorder.calls if k == "strict"] == [0, 0]  # 2 attempts, then held

    recorder.failing.clear()
    requeued = await repo.requeue_dead([strict[0].id], now=running.resources.clock())
    await worker.drain()

    assert requeued == 1
    assert [m.status for m in await _rows("strict")] == [OutboxStatus.DELIVERED] * 3
    assert [n for k, n in recorder.calls if k == "strict"] == [0, 0, 0, 1, 2]


async def test_strict_rows_keep_write_order_when_clocks_disagree(running: RunningApp) -> None:
    now = running.resources.clock()
    ahead = await repo.enqueue("t", "stream", {"n": 0}, now=now, strict=True)
    # Another server whose clock runs a minute ahead wrote the first row.
    await OutboxMessage.filter(id=ahead.id).update(seq=ahead.seq + 60_000_000_000)
    second = await repo.enqueue("t", "stream", {"n": 1}, now=now, strict=True)
    recorder = Recorder()

    await Dispatcher(running.resources, {"t": recorder}).drain()

    assert second.seq == ahead.seq + 60_000_000_000 + 1
    assert recorder.calls == [("stream", 0), ("stream", 1)]


async def test_two_workers_at_once_keep_each_stream_in_order_and_send_each_once(
    running: RunningApp,
) -> None:
    now = running.resources.clock()
    for key in ("a", "b", "c"):
        for n in range(4):
            await repo.enqueue("t", key, {"n": n}, now=now, strict=True)
    recorder = Recorder()
    workers = [Dispatcher(running.resources, {"t": recorder}) for _ in range(2)]

    for _ in range(10):
        await asyncio.gather(*(w.run_once() for w in workers))

    for key in ("a", "b", "c"):
        assert [n for k, n in recorder.calls if k == key] == [0, 1, 2, 3]
    assert len(recorder.calls) == 12
