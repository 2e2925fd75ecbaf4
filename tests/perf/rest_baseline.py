"""The REST endpoint a team would otherwise write for the catalogue page: Starlette, Tortoise
and orjson, reading the same database. The benchmark measures our GraphQL against it."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from tortoise.contrib.starlette import RegisterTortoise

from resolvers.catalogue.service import today
from storage.database import tortoise_config
from storage.models.catalogue import Region
from storage.repositories.catalogue import published


async def services(request: Request) -> Response:
    region = await Region.get_or_none(code=request.query_params.get("region", "510100"))
    if region is None:
        return Response(b'{"services": []}', media_type="application/json")
    regions = [region.id] + ([region.parent_id] if region.parent_id else [])
    rows = (
        await published(today())
        .filter(region_id__in=regions)
        .order_by("name", "code", "id")
        .limit(int(request.query_params.get("limit", "20")))
        .values("code", "name", "visits", "online_depth", "department__name", "region__name")
    )
    return Response(orjson.dumps({"services": rows}), media_type="application/json")


def create_baseline() -> Starlette:
    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        config = tortoise_config(os.environ["RONGBAN_DATABASE_URL"], pool_max=10)
        async with RegisterTortoise(app, config=config):
            yield

    return Starlette(routes=[Route("/rest/services", services)], lifespan=lifespan)
