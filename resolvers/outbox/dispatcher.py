"""Sends what transactions wrote to the outbox, after they committed: a registry of handlers
by kind, retries with exponential backoff and jitter, dead letters after the configured
attempts (per kind where a kind needs its own budget), strict order within a stream key: a
key's next message is sent only once the one before it is DELIVERED (or, outside strict
streams, dead).

Handlers may run more than once for one message (a worker can crash after the effect and
before recording it): each must make its own effect idempotent on the message id, as the
in-app inbox does; effects outside our database (a WeChat message) are at-least-once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from resolvers.resources import Resources
from storage.metrics import OUTBOX_HANDLED
from storage.models.outbox import OutboxMessage
from storage.repositories import outbox as repo

log = logging.getLogger(__name__)

# A claim lasts this long: a worker that dies mid-batch frees its messages after it.
CLAIM_SECONDS = 300


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
class Dispatcher:
    resources: Resources
    handlers: Mapping[str, Handler]
    rng: random.Random = field(default_factory=random.Random)
    # Attempts before a dead letter, by kind; others use settings.outbox_max_attempts.
    max_attempts: Mapping[str, int] = field(default_factory=dict)

    async def run_once(self) -> int:
        """Claims and handles one batch; returns how many messages it handled."""
        settings = self.resources.settings
        now = self.resources.clock()
        batch = await repo.claim(
            now=now,
            until=now + timedelta(seconds=CLAIM_SECONDS),
            limit=settings.outbox_batch_size,
        )
        for message in batch:
            await self._handle(message)
        return len(batch)

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
            await repo.failed(message.id, attempts=attempts, error="no handler", retry_at=None)
            return
        try:
            await handler(self.resources, message)
        except Permanent as exc:
            log.warning("outbox %s %s dead: %s", message.kind, message.id, exc)
            await repo.failed(message.id, attempts=attempts, error=str(exc), retry_at=None)
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
            await repo.failed(message.id, attempts=attempts, error=error, retry_at=retry_at)
            OUTBOX_HANDLED.labels(message.kind, "dead" if retry_at is None else "retry").inc()
            return
        await repo.delivered(message.id, now=self.resources.clock())
        OUTBOX_HANDLED.labels(message.kind, "delivered").inc()
