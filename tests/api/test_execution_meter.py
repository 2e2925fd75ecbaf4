"""The execution meter: a request is charged for the time its execution held the worker,
across the tasks that execution started, and for nothing it spent waiting."""

from __future__ import annotations

import asyncio
import time

from api.limits import Meter, install_meter, metered


def _runs(task: asyncio.Task[None]) -> str | None:
    """The coroutine a task drives: the one it was given, or the meter's wrapper of it."""
    return getattr(task.get_coro(), "__qualname__", None)


def _spin(seconds: float) -> None:
    until = time.perf_counter() + seconds
    while time.perf_counter() < until:
        pass


async def test_the_tasks_an_execution_starts_are_charged_to_it_and_no_other_task_is_timed() -> None:
    async def busy() -> None:
        await asyncio.sleep(0.05)  # waiting: not charged
        _spin(0.05)

    undo = install_meter(asyncio.get_running_loop())
    try:
        started: list[asyncio.Task[None]] = []

        async def execution() -> None:
            # As graphql-core gathers resolvers: each in a task of its own.
            started.extend(asyncio.create_task(busy()) for _ in range(2))
            await asyncio.gather(*started)

        meter = Meter()
        await metered(execution(), meter)
        outside = asyncio.create_task(busy())
        await outside
    finally:
        undo()

    assert 0.1 <= meter.seconds < 0.2  # both tasks' spinning, none of their sleeping
    assert all(_runs(task) != busy.__qualname__ for task in started)
    # A task no execution started (the server's own task for each request) runs as it is.
    assert _runs(outside) == busy.__qualname__
