"""Regions and departments as GraphQL types."""

from __future__ import annotations

from typing import Self

import strawberry

from resolvers.context import Info
from storage.models import catalogue as models
from storage.models.catalogue import RegionLevel

strawberry.enum(
    RegionLevel,
    description=(
        "CITY 市, COUNTY 区县, ZONE 功能区 (no GB/T 2260 code), STREET 街道/乡镇, COMMUNITY 社区/村"
    ),
)


@strawberry.type(description="A region of the GB/T 2260 tree, with streets and communities below.")
class Region:
    code: str = strawberry.field(description="6 digits (GB/T 2260) or 12 (street, community)")
    name: str
    level: RegionLevel
    platform_code: bool = strawberry.field(
        description="true when `code` is the platform's own (functional zones), not GB/T 2260"
    )
    _model: strawberry.Private[models.Region]

    @classmethod
    def of(cls, model: models.Region) -> Self:
        return cls(
            code=model.code,
            name=model.name,
            level=model.level,
            platform_code=model.platform_code,
            _model=model,
        )

    @strawberry.field
    async def parent(self, info: Info) -> Region | None:
        if self._model.parent_id is None:
            return None
        parent = await info.context.loaders.region.load(self._model.parent_id)
        return Region.of(parent) if parent else None

    @strawberry.field(description="Current (not retired) regions directly below, by code.")
    async def children(self, info: Info) -> list[Region]:
        rows = await info.context.loaders.region_children.load(self._model.id)
        return [Region.of(row) for row in rows]


@strawberry.type(description="A government organ, identified by its unified social credit code.")
class Department:
    code: str = strawberry.field(description="unified social credit code (GB 32100), 18 characters")
    name: str
    _model: strawberry.Private[models.Department]

    @classmethod
    def of(cls, model: models.Department) -> Self:
        return cls(code=model.code, name=model.name, _model=model)

    @strawberry.field
    async def region(self, info: Info) -> Region:
        region = await info.context.loaders.region.load(self._model.region_id)
        assert region is not None  # a foreign key with RESTRICT
        return Region.of(region)
