"""Liveness and readiness probes."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable

from starlette.requests import Request
from starlette.responses import JSONResponse

from resolvers.resources import Resources
from storage.database import ping

_CHECK_TIMEOUT = 2.0


async def healthz(request: Request) -> JSONResponse:
    """The process is alive and serving; says nothing about its dependencies."""
    return JSONResponse({"status": "ok"})


async def readyz(request: Request) -> JSONResponse:
    """Ready when the database, Redis and object storage all answer within 2 seconds."""
    resources: Resources = request.state.resources
    checks = {
        "database": ping(),
        "redis": _redis(resources),
        "storage": resources.objects.ping(),
    }
    results = await asyncio.gather(*(_within(check) for check in checks.values()))
    down = [name for name, ok in zip(checks, results, strict=True) if not ok]
    status = 503 if down else 200
    return JSONResponse(
        {"status": "unavailable" if down else "ready", "down": down}, status_code=status
    )


async def _within(check: Awaitable[bool]) -> bool:
    try:
        return bool(await asyncio.wait_for(check, _CHECK_TIMEOUT))
    except Exception:  # any failure of a probe means "not ready", never a 500
        return False


async def _redis(resources: Resources) -> bool:
    return bool(await resources.redis.ping())
