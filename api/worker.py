"""`rongban worker`: background jobs that run outside requests, each a small periodic task."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from tortoise import Tortoise

from api.db import tortoise_config
from api.settings import Settings
from storage.models.accounts import AuthSession

log = logging.getLogger(__name__)

# Ended sessions are kept a while for the audit trail of who was signed in when.
SESSION_RETENTION = timedelta(days=30)


@dataclass(frozen=True, slots=True)
class Job:
    name: str
    every_seconds: float
    run: Callable[[], Awaitable[int]]


async def purge_ended_sessions() -> int:
    cutoff = datetime.now(UTC) - SESSION_RETENTION
    return await AuthSession.filter(refresh_expires_at__lt=cutoff).delete()


JOBS = (Job("purge-ended-sessions", 600, purge_ended_sessions),)


async def run_jobs_once() -> dict[str, int]:
    results = {}
    for job in JOBS:
        try:
            results[job.name] = await job.run()
        except Exception:  # one failing job must not stop the others
            log.exception("job %s failed", job.name)
            results[job.name] = -1
    return results


async def run_worker(settings: Settings, *, once: bool = False) -> None:
    await Tortoise.init(config=tortoise_config(settings.database_url), _enable_global_fallback=True)
    try:
        if once:
            log.info("worker pass: %s", await run_jobs_once())
            return
        last_run: dict[str, float] = {}
        loop = asyncio.get_running_loop()
        while True:
            now = loop.time()
            for job in JOBS:
                if now - last_run.get(job.name, -job.every_seconds) >= job.every_seconds:
                    last_run[job.name] = now
                    try:
                        done = await job.run()
                        log.info("job %s: %s", job.name, done)
                    except Exception:
                        log.exception("job %s failed", job.name)
            await asyncio.sleep(1.0)
    finally:
        await Tortoise.close_connections()
