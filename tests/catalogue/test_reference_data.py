"""The reference tables a process holds (regions, departments, the dispatch catalogue) are
reloaded whole when the catalogue version moves: a request that reads them while a reload is
still reading the database sees the old tables, every one of them, never one table new and
another old; once the reload is done it sees the new ones (resolvers.reference)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from resolvers.reference import ReferenceData
from storage.cache import bump_catalogue_version
from storage.models.catalogue import Department, Region
from storage.repositories import appeals as appeals_repo
from tests.conftest import RunningApp


async def test_a_reload_swaps_every_table_at_once(
    seeded: RunningApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    redis = seeded.resources.redis
    region = await Region.filter(code="510104").first()
    assert region is not None
    department = await Department.filter(region_id=region.id).first()
    assert department is not None
    reference = ReferenceData(redis)
    await reference.warm()
    old_region, old_department = region.name, department.name

    # The catalogue changes: both tables, under a new version.
    await Region.filter(id=region.id).update(name=f"{old_region}（新）")
    await Department.filter(id=department.id).update(name=f"{old_department}（新）")
    await bump_catalogue_version(redis)
    reference.forget_version()
    # The reload has read the new regions and departments and waits on its last table.
    reading, finish = asyncio.Event(), asyncio.Event()
    all_routes = appeals_repo.all_routes

    async def slow_routes(*args: Any, **kwargs: Any) -> Any:
        reading.set()
        await finish.wait()
        return await all_routes(*args, **kwargs)

    monkeypatch.setattr(appeals_repo, "all_routes", slow_routes)
    reloading = asyncio.create_task(reference.warm())
    await asyncio.wait_for(reading.wait(), 10)

    # Meanwhile (the version was checked a moment ago, so nothing waits for the reload):
    during = (reference.region_now(region.id), reference.department_now(department.id))
    assert during[0] is not None
    assert during[1] is not None
    assert (during[0].name, during[1].name) == (old_region, old_department)
    assert [r.name for r in await reference.regions([region.id])] == [old_region]

    finish.set()
    await asyncio.wait_for(reloading, 10)
    after = (reference.region_now(region.id), reference.department_now(department.id))
    assert after[0] is not None
    assert after[1] is not None
    assert (after[0].name, after[1].name) == (f"{old_region}（新）", f"{old_department}（新）")
