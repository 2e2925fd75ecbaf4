"""Region and department look-ups."""

from __future__ import annotations

from resolvers.context import Info
from schema.catalogue import Department, Region
from storage.repositories import catalogue as repo


def _plausible(code: str, longest: int) -> bool:
    """Codes longer than any real one, or with control characters, match nothing."""
    return 0 < len(code) <= longest and code.isprintable()


async def regions(info: Info, parent_code: str | None = None) -> list[Region]:
    """Top-level regions, or the children of `parentCode`; an unknown code gives []."""
    if parent_code is None:
        return [Region.of(row) for row in await repo.top_regions()]
    if not _plausible(parent_code, 12):
        return []
    parent = await info.context.loaders.region_by_code.load(parent_code)
    if parent is None:
        return []
    return [Region.of(row) for row in await info.context.loaders.region_children.load(parent.id)]


async def region(info: Info, code: str) -> Region | None:
    if not _plausible(code, 12):
        return None
    row = await info.context.loaders.region_by_code.load(code)
    return Region.of(row) if row else None


async def departments(info: Info, region_code: str | None = None) -> list[Department]:
    region_id = None
    if region_code is not None:
        row = (
            await info.context.loaders.region_by_code.load(region_code)
            if _plausible(region_code, 12)
            else None
        )
        if row is None:
            return []
        region_id = row.id
    return [Department.of(row) for row in await repo.departments_in_region(region_id)]


async def department(info: Info, code: str) -> Department | None:
    if not _plausible(code, 18):
        return None
    row = await info.context.loaders.department_by_code.load(code)
    return Department.of(row) if row else None
