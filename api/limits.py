"""Fair share of one process: executions at once, in all and per principal, and WebSockets
per account and per address. Refusals are immediate (a queue would stall everyone behind the
greedy client); counters are plain integers, touched without awaiting, so they never race."""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from api.preparation import Caller, Refused
from api.results import cost_extension
from api.settings import Settings
from storage.cache import Bucket, Budget, Keys, Redis, RedisError, admit_budget, spend_budget

log = logging.getLogger(__name__)


class Counter:
    def __init__(self) -> None:
        self._counts: dict[str, int] = {}
        self.total = 0

    def get(self, key: str) -> int:
        return self._counts.get(key, 0)

    def add(self, key: str) -> None:
        self._counts[key] = self._counts.get(key, 0) + 1
        self.total += 1

    def remove(self, key: str) -> None:
        left = self._counts.get(key, 0) - 1
        if left > 0:
            self._counts[key] = left
        else:
            self._counts.pop(key, None)
        self.total -= 1


def buckets(settings: Settings, caller: Caller) -> tuple[Bucket, Bucket]:
    """A principal's two budgets: cost points (what answers hold) and seconds of execution
    (what they took: GitHub's CPU-time limit, which also catches what the price misses)."""
    seconds = settings.cost_burst_seconds / 60
    return (
        Bucket(
            Keys.cost_budget(caller.key),
            capacity=max(1.0, settings.cost_budget_per_minute * seconds),
            per_minute=settings.cost_budget_per_minute,
        ),
        Bucket(
            Keys.time_budget(caller.key),
            capacity=settings.execution_seconds_per_minute * seconds,
            per_minute=settings.execution_seconds_per_minute,
        ),
    )


async def admit(redis: Redis, settings: Settings, caller: Caller) -> Budget | None:
    """Admits a request while both of the caller's buckets have room, or refuses it
    (THROTTLED, with Retry-After). None when Redis cannot count: the request goes ahead, since
    the per-process caps still hold and refusing everything while Redis restarts would take the
    whole service down with it."""
    try:
        budget = await admit_budget(redis, buckets(settings, caller))
    except RedisError:
        log.warning("cost budget unavailable: Redis error")
        return None
    if not budget.allowed:
        retry = max(1, math.ceil(budget.retry_after))
        raise Refused(
            429,
            "THROTTLED",
            f"请求过于频繁，请 {retry} 秒后再试。",
            headers={"retry-after": str(retry)},
            cost=cost_extension(0, None, budget, settings),
        )
    return budget


async def spend(
    redis: Redis, settings: Settings, caller: Caller, actual: int, seconds: float
) -> Budget | None:
    """Charges what a request actually cost and how long it ran (after it ran); None when Redis
    cannot count."""
    try:
        return await spend_budget(redis, buckets(settings, caller), [actual, seconds])
    except RedisError:
        log.warning("cost budget unavailable: Redis error")
        return None


def check_cost(settings: Settings, cost: int, status: int = 400) -> None:
    if cost > settings.max_query_cost:
        raise Refused(
            status,
            "QUERY_TOO_COSTLY",
            f"查询过于复杂（成本 {cost}，上限 {settings.max_query_cost}），请减少字段或分页大小。",
            cost=cost,
            maxCost=settings.max_query_cost,
        )


@dataclass(slots=True)
class Slot:
    """One running execution; `seconds` is its share of the worker once it has finished."""

    started_at: float
    seconds: float = 0.0


class FairShare:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.executions = Counter()
        self.sockets_by_account = Counter()
        self.sockets_by_address = Counter()
        # Processor-sharing time: a clock that runs at 1/n of real time while n executions
        # run at once. What it advances between an execution's start and end is that
        # execution's share of the worker, whatever else ran beside it (wall time would
        # charge a client for waiting behind others).
        self._virtual = 0.0
        self._stamp = time.perf_counter()

    def _tick(self) -> float:
        now = time.perf_counter()
        running = self.executions.total
        if running:
            self._virtual += (now - self._stamp) / running
        self._stamp = now
        return self._virtual

    @contextmanager
    def execution(self, caller: Caller) -> Iterator[Slot]:
        """Holds one execution slot of the process and one of the caller, or refuses."""
        settings = self.settings
        if self.executions.total >= settings.max_concurrent_executions:
            raise Refused(
                503,
                "SERVICE_OVERLOADED",
                "服务繁忙，请稍后重试。",
                headers={"retry-after": "1"},
            )
        cap = (
            settings.max_concurrent_per_account
            if caller.signed_in
            else settings.max_concurrent_per_address
        )
        if self.executions.get(caller.key) >= cap:
            raise Refused(
                429,
                "TOO_MANY_REQUESTS",
                f"同时进行的请求过多（上限 {cap} 个），请等前面的请求完成。",
                headers={"retry-after": "1"},
                limit=cap,
            )
        slot = Slot(started_at=self._tick())
        self.executions.add(caller.key)
        try:
            yield slot
        finally:
            slot.seconds = self._tick() - slot.started_at
            self.executions.remove(caller.key)

    def socket_allowed(self, address: str) -> bool:
        return self.sockets_by_address.get(address) < self.settings.max_sockets_per_address

    def account_socket_allowed(self, account: str) -> bool:
        return self.sockets_by_account.get(account) < self.settings.max_sockets_per_account
