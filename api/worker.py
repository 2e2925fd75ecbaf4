"""`rongban worker`: background jobs that run outside requests, each a small periodic task
with the process-wide resources (the outbox needs the WeChat gateway, the sweep the store)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from prometheus_client import REGISTRY, start_http_server

from api.metrics import OutboxGauges
from api.outbox import dispatcher
from api.resources import open_resources
from api.tracing import install as install_tracing
from resolvers.appeals import deadlines as appeal_deadlines
from resolvers.appeals.closing import close_expired
from resolvers.appeals.handling import recheck_held
from resolvers.appeals.photo_checks import hold_silent
from resolvers.applications.deadlines import scan
from resolvers.documents.service import sweep_expired_tickets
from resolvers.hall.booking import sweep_no_shows
from resolvers.payments import service as payments
from resolvers.resources import Resources
from resolvers.settings import Settings
from storage.database import database
from storage.repositories import accounts as account_repo

log = logging.getLogger(__name__)

# Ended sessions are kept a while for the audit trail of who was signed in when.
SESSION_RETENTION = timedelta(days=30)


@dataclass(frozen=True, slots=True)
class Job:
    name: str
    every_seconds: float
    run: Callable[[Resources], Awaitable[int]]


async def purge_ended_sessions(resources: Resources) -> int:
    cutoff = datetime.now(UTC) - SESSION_RETENTION
    return await account_repo.purge_sessions_ended_before(cutoff)


async def dispatch_outbox(resources: Resources) -> int:
    return await dispatcher(resources).drain()


async def scan_deadlines(resources: Resources) -> int:
    found = await scan(resources)
    return found.warned + found.overdue + found.rescheduled


async def scan_appeal_deadlines(resources: Resources) -> int:
    """督办 for missed appeal deadlines (once each), then closes replied appeals whose
    rating window passed without a complaint."""
    found = await appeal_deadlines.scan(resources)
    return found.supervised + found.rescheduled + await close_expired(resources)


async def recheck_held_appeals(resources: Resources) -> int:
    return await recheck_held(resources)


async def hold_unchecked_photos(resources: Resources) -> int:
    return await hold_silent(resources)


async def sweep_tickets(resources: Resources) -> int:
    return await sweep_expired_tickets(resources.objects)


async def sweep_payments(resources: Resources) -> int:
    """Orders and refunds no notification settled are asked about; expired orders closed."""
    return await payments.sweep_orders(resources)


async def reconcile_payments(resources: Resources) -> int:
    """Yesterday's WeChat Pay trade bill, once published (10:00 China time), matched once."""
    return await payments.daily(resources)


async def record_no_shows(resources: Resources) -> int:
    """Bookings whose slot ended without a check-in become no-shows, each told to its
    resident once (and the one that suspends their online booking, as such)."""
    return await sweep_no_shows(resources)


async def _refreshed(gauges: OutboxGauges) -> int:
    await gauges.refresh()
    return 0


JOBS = (
    Job("dispatch-outbox", 1, dispatch_outbox),
    Job("scan-deadlines", 300, scan_deadlines),
    Job("scan-appeal-deadlines", 300, scan_appeal_deadlines),
    Job("recheck-held-appeals", 120, recheck_held_appeals),
    Job("hold-unchecked-appeal-photos", 300, hold_unchecked_photos),
    Job("sweep-expired-tickets", 300, sweep_tickets),
    Job("purge-ended-sessions", 600, purge_ended_sessions),
    Job("sweep-payments", 60, sweep_payments),
    Job("reconcile-payments", 600, reconcile_payments),
    Job("record-no-shows", 60, record_no_shows),
)


async def run_jobs_once(resources: Resources) -> dict[str, int]:
    results = {}
    for job in JOBS:
        try:
            results[job.name] = await job.run(resources)
        except Exception:  # one failing job must not stop the others
            log.exception("job %s failed", job.name)
            results[job.name] = -1
    return results


def serve_metrics(settings: Settings) -> OutboxGauges | None:
    """The worker's /metrics on its own port (RONGBAN_WORKER_METRICS_PORT), for the internal
    network only: its sends, outside calls and the outbox gauges."""
    if settings.worker_metrics_port is None:
        return None
    gauges = OutboxGauges()
    REGISTRY.register(gauges)
    start_http_server(settings.worker_metrics_port, addr=settings.worker_metrics_host)
    return gauges


async def run_worker(settings: Settings, *, once: bool = False) -> None:
    install_tracing(settings)
    gauges = None if once else serve_metrics(settings)
    # Intervals an operator sets: how soon held appeals are re-checked once WeChat is back.
    jobs: tuple[Job, ...] = tuple(
        replace(job, every_seconds=settings.appeal_recheck_seconds)
        if job.run is recheck_held_appeals
        else job
        for job in JOBS
    )
    if gauges is not None:
        jobs = (*jobs, Job("outbox-metrics", 15, lambda _: _refreshed(gauges)))
    async with database(settings.database_url), open_resources(settings) as resources:
        if once:
            log.info("worker pass: %s", await run_jobs_once(resources))
            return
        last_run: dict[str, float] = {}
        loop = asyncio.get_running_loop()
        while True:
            now = loop.time()
            for job in jobs:
                if now - last_run.get(job.name, -job.every_seconds) >= job.every_seconds:
                    last_run[job.name] = now
                    try:
                        done = await job.run(resources)
                        if done:
                            log.info("job %s: %s", job.name, done)
                    except Exception:
                        log.exception("job %s failed", job.name)
            await asyncio.sleep(settings.outbox_poll_seconds)
