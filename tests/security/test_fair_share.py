"""Overload gets a fast, typed refusal with Retry-After, never a queue that stalls everyone:
a cap on concurrent executions per principal and one per worker."""

from __future__ import annotations

import asyncio
import itertools
from typing import Any

import httpx
import pytest

from storage.repositories import catalogue as catalogue_repo
from tests.conftest import RunningApp, start_app

QUERY = "{ regions { code } }"


class HeldReads:
    """Holds every regions read until released, and counts the reads it holds: a test waits
    for the executions it started to be inside, not for a guess at how long that takes on a
    loaded machine."""

    def __init__(self) -> None:
        self.release = asyncio.Event()
        self.held = 0
        self._arrived = asyncio.Condition()

    async def hold(self) -> None:
        async with self._arrived:
            self.held += 1
            self._arrived.notify_all()
        await self.release.wait()

    async def until_held(self, count: int) -> None:
        async with asyncio.timeout(10), self._arrived:
            await self._arrived.wait_for(lambda: self.held >= count)


@pytest.fixture
def slow_regions(monkeypatch: pytest.MonkeyPatch) -> HeldReads:
    reads = HeldReads()
    original = catalogue_repo.top_regions

    async def slow(*args: Any, **kwargs: Any) -> Any:
        await reads.hold()
        return await original(*args, **kwargs)

    monkeypatch.setattr(catalogue_repo, "top_regions", slow)
    return reads


async def _post(running: RunningApp, client: str) -> httpx.Response:
    transport = httpx.ASGITransport(app=running.asgi, client=(client, 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        return await http.post(
            "/graphql", json={"query": QUERY}, headers={"accept": "application/json"}
        )


async def test_one_principal_cannot_hold_more_than_its_share(
    settings_factory: Any, mock_state: Any, slow_regions: HeldReads
) -> None:
    settings = settings_factory(
        max_concurrent_per_address=2, response_cache=False, max_concurrent_executions=50
    )
    async for running in start_app(settings):
        greedy = [asyncio.create_task(_post(running, "198.51.100.1")) for _ in range(6)]
        await slow_regions.until_held(2)
        # The four beyond the share are answered while the two held ones still wait.
        refused = [await t for t in itertools.islice(asyncio.as_completed(greedy, timeout=5), 4)]
        # Someone else is served at once while the greedy client's requests wait.
        polite = asyncio.create_task(_post(running, "198.51.100.2"))
        await slow_regions.until_held(3)
        slow_regions.release.set()
        results = [await t for t in greedy]
        answered = await polite

    assert len(refused) == 4
    assert all(r.status_code == 429 for r in refused)
    assert all(r.headers["retry-after"] == "1" for r in refused)
    assert all(r.json()["errors"][0]["extensions"]["code"] == "TOO_MANY_REQUESTS" for r in refused)
    assert sum(r.status_code == 200 for r in results) == 2
    assert answered.status_code == 200


async def test_a_full_worker_answers_503_at_once(
    settings_factory: Any, mock_state: Any, slow_regions: HeldReads
) -> None:
    settings = settings_factory(max_concurrent_executions=3, response_cache=False)
    async for running in start_app(settings):
        busy = [asyncio.create_task(_post(running, f"198.51.100.{n}")) for n in range(1, 4)]
        await slow_regions.until_held(3)
        overflow = await asyncio.wait_for(_post(running, "198.51.100.50"), 2)
        slow_regions.release.set()
        finished = [await t for t in busy]

    assert overflow.status_code == 503
    assert overflow.headers["retry-after"] == "1"
    assert overflow.json()["errors"][0]["extensions"]["code"] == "SERVICE_OVERLOADED"
    assert all(r.status_code == 200 for r in finished)
