"""Regions, departments and the dispatch catalogue held in memory per process: small
reference tables that nearly every answer names (a guide's organ and region, a centre's
district) or every filing reads (an appeal's category, its group, the dispatch table),
changing only when the catalogue does (its edits, the dispatch catalogue's included, bump the
catalogue version). Kept per catalogue version, like the search index."""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Sequence
from uuid import UUID

from storage.cache import Redis, RedisError, catalogue_version
from storage.models.appeals import AppealCategory, AppealRoute
from storage.models.catalogue import Department, Region
from storage.repositories import appeals as appeals_repo
from storage.repositories import catalogue as repo

VERSION_TTL_SECONDS = 1.0


class ReferenceData:
    def __init__(self, redis: Redis) -> None:
        self._redis = redis
        self._lock = asyncio.Lock()
        self._version: str | None = None
        self._checked = -math.inf  # never: due however young the clock
        self._regions: dict[UUID, Region] = {}
        self._departments: dict[UUID, Department] = {}
        self._by_code: dict[str, Region] = {}
        self._categories: dict[UUID, AppealCategory] = {}
        self._category_codes: dict[str, AppealCategory] = {}
        self._groups: frozenset[UUID] = frozenset()  # categories with children
        self._routes: dict[tuple[UUID, UUID], UUID] = {}  # (region, category): department

    async def _fresh(self) -> None:
        if self._current():
            return
        try:
            version = await catalogue_version(self._redis)
        except RedisError:
            version = self._version or "redis-down"
        self._checked = time.monotonic()
        if version == self._version:
            return
        async with self._lock:  # one reload at a time; the others wait for its result
            if version != self._version:
                # Read whole, then swapped in at once: readers that do not wait for the lock
                # (the version was checked a moment ago) never see one table new, one old.
                regions = await repo.all_regions()
                departments = await repo.all_departments()
                categories = await appeals_repo.categories()
                routes = await appeals_repo.all_routes()
                self._regions = {r.id: r for r in regions}
                self._by_code = {}
                self._departments = {d.id: d for d in departments}
                self._categories = {c.id: c for c in categories}
                self._category_codes = {c.code: c for c in categories}
                self._groups = frozenset(c.parent_id for c in categories if c.parent_id)
                self._routes = _table(routes)
                self._version = version

    async def version(self) -> str:
        """The catalogue version, as checked at most once a second in this process ("redis-down"
        while Redis cannot say)."""
        await self._fresh()
        return self._version or "redis-down"

    async def region_by_code(self, code: str) -> Region | None:
        """A region by code, from memory (None when unknown to the loaded tables)."""
        await self._fresh()
        if len(self._by_code) != len(self._regions):
            self._by_code = {r.code: r for r in self._regions.values()}
        return self._by_code.get(code)

    async def appeal_category(self, code: str) -> tuple[AppealCategory, bool] | None:
        """A category of the dispatch catalogue by code, and whether it is a leaf; a category
        added since the tables were loaded is read."""
        await self._fresh()
        found = self._category_codes.get(code)
        if found is not None:
            return found, found.id not in self._groups
        rows = await appeals_repo.categories_by_codes([code])
        if not rows:
            return None
        return rows[0], await appeals_repo.is_leaf(rows[0].id)

    async def appeal_categories(self, ids: Sequence[UUID]) -> list[AppealCategory]:
        await self._fresh()
        found = [self._categories[i] for i in ids if i in self._categories]
        missing = [i for i in ids if i not in self._categories]
        return found + (await appeals_repo.categories_by_ids(missing) if missing else [])

    async def appeal_routes(
        self, category_ids: Sequence[UUID], region_ids: Sequence[UUID]
    ) -> dict[tuple[UUID, UUID], UUID]:
        """The dispatch table's departments for these categories in these regions, by
        (region, category); read when a category is newer than the tables held."""
        await self._fresh()
        if any(c not in self._categories for c in category_ids):
            return _table(await appeals_repo.routes(category_ids, region_ids))
        return {
            (region, category): self._routes[region, category]
            for region in region_ids
            for category in category_ids
            if (region, category) in self._routes
        }

    def forget_version(self) -> None:
        """The next read asks Redis for the version again (this process changed it)."""
        self._checked = -math.inf  # never: due however young the clock

    def forget(self) -> None:
        """Drops the tables held: the next read loads them again, whatever the version says
        (the database under this process was emptied or replaced)."""
        self._version = None
        self._checked = -math.inf

    async def warm(self) -> None:
        """Loads the tables now rather than on the first request that names a region."""
        await self._fresh()

    def _current(self) -> bool:
        """Whether the version was checked within the last VERSION_TTL_SECONDS."""
        return self._version is not None and time.monotonic() - self._checked < VERSION_TTL_SECONDS

    def region_now(self, region_id: UUID) -> Region | None:
        """The region from memory while the tables' version was checked within the last
        VERSION_TTL_SECONDS, without awaiting anything; None when a check is due or the
        region is not in them (`regions` then checks, or reads it)."""
        return self._regions.get(region_id) if self._current() else None

    def department_now(self, department_id: UUID) -> Department | None:
        """A department, as `region_now` gives a region."""
        return self._departments.get(department_id) if self._current() else None

    async def regions(self, ids: Sequence[UUID]) -> list[Region]:
        await self._fresh()
        found = [self._regions[i] for i in ids if i in self._regions]
        missing = [i for i in ids if i not in self._regions]
        # Rows added since the last version (a seed, an import) are read, not guessed.
        return found + (await repo.regions_by_ids(missing) if missing else [])

    async def departments(self, ids: Sequence[UUID]) -> list[Department]:
        await self._fresh()
        found = [self._departments[i] for i in ids if i in self._departments]
        missing = [i for i in ids if i not in self._departments]
        return found + (await repo.departments_by_ids(missing) if missing else [])

    async def department(self, department_id: UUID) -> Department | None:
        found = await self.departments([department_id])
        return found[0] if found else None

    async def region_chain(self, region_id: UUID) -> list[UUID]:
        """The region and every region above it, nearest first (a community, its street,
        its county, the city); read from memory, a row missing from it is read once."""
        chain: list[UUID] = []
        current: UUID | None = region_id
        while current is not None and current not in chain and len(chain) < 8:
            rows = await self.regions([current])
            if not rows:
                break
            chain.append(current)
            current = rows[0].parent_id
        return chain

    async def region_subtree(self, region_id: UUID) -> list[UUID]:
        """The region and everything below it, from memory."""
        await self._fresh()
        children: dict[UUID, list[UUID]] = {}
        for region in self._regions.values():
            if region.parent_id is not None:
                children.setdefault(region.parent_id, []).append(region.id)
        found, frontier = [region_id], [region_id]
        while frontier:
            frontier = [child for parent in frontier for child in children.get(parent, [])]
            found += frontier
        return found


def _table(routes: Sequence[AppealRoute]) -> dict[tuple[UUID, UUID], UUID]:
    return {(r.region_id, r.category_id): r.department_id for r in routes}
