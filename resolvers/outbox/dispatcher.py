"""Sends what transactions wrote to the outbox, after they committed: a registry of handlers
by kind, retries with exponential backoff and jitter, dead letters after the configured
attempts (per kind where a kind needs its own budget), strict order within a stream key: a
key's next message is sent only once the one before it is DELIVERED (or, outside strict
streams, dead).

Claims are leases (settings.outbox_lease_seconds): the worker renews them every third of a
lease while it works through its batch, so a slow peer never lets a live worker's message
pass to another, and a worker killed mid-batch lets go of its streams within one lease. A
worker sends a message only while its lease on it holds, and records the outcome only if
nobody took the message over.

Handlers may run more than once for one message (a worker can crash after the effect and
before recording it): each must make its own effect idempotent on the message id, as the
in-app inbox does; effects outside our database (a WeChat message) are at-least-once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from resolvers.resources import Resources
from storage.metrics import OUTBOX_HANDLED
from storage.models.outbox import OutboxMessage
from storage.repositories import outbox as repo

log = logging.getLogger(__name__)


class Retry(Exception):
    """A transient failure (peer down, timeout): try again later. The message is logged and
    stored, so it must never contain personal data."""


class Permanent(Exception):
    """Trying again cannot help (invalid data, unknown recipient): dead-letter it now."""


Handler = Callable[[Resources, OutboxMessage], Awaitable[None]]


def backoff_seconds(attempt: int, *, base: float, cap: float, rng: random.Random) -> float:
    """Exponential backoff with "equal jitter": half fixed, half random, so that messages
    that failed together do not come back together."""
    delay = min(cap, base * 2 ** max(attempt - 1, 0))
    return float(delay / 2 + rng.uniform(0, delay / 2))


@dataclass(slots=True)
class Lease:
    """What one worker holds of its batch, and until when (by its last renewal)."""

    held: set[UUID]
    until: datetime


@dataclass(slots=True)
class Dispatcher:
    resources: Resources
    handlers: Mapping[str, Handler]
    rng: random.Random = field(default_factory=random.Random)
    # Attempts before a dead letter, by kind; others use settings.outbox_max_attempts.
    max_attempts: Mapping[str, int] = field(default_factory=dict)
    # Names this worker's leases: only it renews them or records their outcome.
    owner: str = field(default_factory=lambda: uuid.uuid4().hex)

    def _lease(self) -> timedelta:
        return timedelta(seconds=self.resources.settings.outbox_lease_seconds)

    async def run_once(self) -> int:
        """Claims and handles one batch; returns how many messages it claimed."""
        settings = self.resources.settings
        now = self.resources.clock()
        batch = await repo.claim(
            now=now, until=now + self._lease(), limit=settings.outbox_batch_size, owner=self.owner
        )
        if not batch:
            return 0
        lease = Lease(held={m.id for m in batch}, until=now + self._lease())
        heartbeat = asyncio.create_task(self._renew(lease))
        try:
            for message in batch:
                if message.id not in lease.held or self.resources.clock() >= lease.until:
                    # Lapsed (renewals failed): another worker may have it by now.
                    log.warning("outbox %s %s: lease lapsed, left", message.kind, message.id)
                    continue
                await self._handle(message)
                lease.held.discard(message.id)
        finally:
            heartbeat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await heartbeat
        return len(batch)

    async def _renew(self, lease: Lease) -> None:
        """The heartbeat: renews the batch's leases every third of a lease until cancelled."""
        interval = self.resources.settings.outbox_lease_seconds / 3
        while lease.held:
            await asyncio.sleep(interval)
            now = self.resources.clock()
            try:
                kept = await repo.renew(
                    sorted(lease.held), owner=self.owner, now=now, until=now + self._lease()
                )
            except Exception:  # the database may be briefly away: try again next beat
                log.exception("outbox lease renewal failed")
                continue
            lease.held &= kept
            lease.until = now + self._lease()

    async def drain(self, *, max_batches: int = 100) -> int:
        """Runs batches until nothing is due (tests, `rongban worker --once`)."""
        total = 0
        for _ in range(max_batches):
            handled = await self.run_once()
            total += handled
            if handled == 0:
                break
        return total

    async def run_forever(self, stop: asyncio.Event) -> None:
        interval = self.resources.settings.outbox_poll_seconds
        while not stop.is_set():
            try:
                handled = await self.run_once()
            except Exception:  # the database may be briefly away: keep the loop alive
                log.exception("outbox pass failed")
                handled = 0
            if handled == 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=interval)

    async def _handle(self, message: OutboxMessage) -> None:
        settings = self.resources.settings
        handler = self.handlers.get(message.kind)
        attempts = message.attempts + 1
        if handler is None:
            log.error("outbox: no handler for kind %s", message.kind)
            await repo.failed(
                message.id, attempts=attempts, error="no handler", retry_at=None, owner=self.owner
            )
            return
        try:
            await handler(self.resources, message)
        except Permanent as exc:
            log.warning("outbox %s %s dead: %s", message.kind, message.id, exc)
            await repo.failed(
                message.id, attempts=attempts, error=str(exc), retry_at=None, owner=self.owner
            )
            OUTBOX_HANDLED.labels(message.kind, "dead").inc()
            return
        except Exception as exc:
            error = str(exc) if isinstance(exc, Retry) else type(exc).__name__
            if not isinstance(exc, Retry):
                log.exception("outbox %s %s failed", message.kind, message.id)
            retry_at: Any = None
            if attempts < self.max_attempts.get(message.kind, settings.outbox_max_attempts):
                delay = backoff_seconds(
                    attempts,
                    base=settings.outbox_backoff_base_seconds,
                    cap=settings.outbox_backoff_max_seconds,
                    rng=self.rng,
                )
                retry_at = self.resources.clock() + timedelta(seconds=delay)
            else:
                log.error("outbox %s %s dead after %d attempts", message.kind, message.id, attempts)
            await repo.failed(
                message.id, attempts=attempts, error=error, retry_at=retry_at, owner=self.owner
            )
            OUTBOX_HANDLED.labels(message.kind, "dead" if retry_at is None else "retry").inc()
            return
        await repo.delivered(message.id, now=self.resources.clock(), owner=self.owner)
        OUTBOX_HANDLED.labels(message.kind, "delivered").inc()
