"""Queries on regions and departments."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from storage.models.catalogue import Department, Region


async def regions_by_ids(ids: Sequence[UUID]) -> list[Region]:
    return await Region.filter(id__in=list(ids))


async def regions_by_codes(codes: Sequence[str]) -> list[Region]:
    return await Region.filter(code__in=list(codes))


async def region_children(parent_ids: Sequence[UUID]) -> list[Region]:
    return await Region.filter(parent_id__in=list(parent_ids), retired=False).order_by("code")


async def top_regions() -> list[Region]:
    return await Region.filter(parent_id__isnull=True, retired=False).order_by("code")


async def departments_by_ids(ids: Sequence[UUID]) -> list[Department]:
    return await Department.filter(id__in=list(ids))


async def departments_by_codes(codes: Sequence[str]) -> list[Department]:
    return await Department.filter(code__in=list(codes))


async def departments_in_region(region_id: UUID | None) -> list[Department]:
    query = Department.all() if region_id is None else Department.filter(region_id=region_id)
    return await query.order_by("code")
