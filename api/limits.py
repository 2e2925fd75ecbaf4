"""Fair share of one process: executions at once, in all and per principal, and WebSockets
per account and per address. Refusals are immediate (a queue would stall everyone behind the
greedy client); counters are plain integers, touched without awaiting, so they never race."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import math
import time
from collections.abc import Callable, Coroutine, Generator, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from starlette.types import ASGIApp, Receive, Scope, Send

from api.middleware import send_error
from api.preparation import Caller, Refused
from api.results import cost_extension
from resolvers.settings import Settings
from storage.cache import (
    Bucket,
    Budget,
    HotCommands,
    Keys,
    Level,
    Redis,
    RedisError,
    settle_and_admit,
    spend_budgets,
)

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
    (points, points_per_minute), (seconds, seconds_per_minute) = bucket_sizes(settings)
    return (
        Bucket(Keys.cost_budget(caller.key), capacity=points, per_minute=points_per_minute),
        Bucket(Keys.time_budget(caller.key), capacity=seconds, per_minute=seconds_per_minute),
    )


def bucket_sizes(settings: Settings) -> tuple[tuple[float, float], tuple[float, float]]:
    """What each of `buckets` holds and drains per minute: cost points, then seconds."""
    burst = settings.cost_burst_seconds / 60
    return (
        (max(1.0, settings.cost_budget_per_minute * burst), settings.cost_budget_per_minute),
        (settings.execution_seconds_per_minute * burst, settings.execution_seconds_per_minute),
    )


def _throttled(settings: Settings, budget: Budget) -> Refused:
    retry = max(1, math.ceil(budget.retry_after))
    return Refused(
        429,
        "THROTTLED",
        f"请求过于频繁，请 {retry} 秒后再试。",
        headers={"retry-after": str(retry)},
        cost=cost_extension(0, None, budget, settings),
    )


# Principals whose charges wait for their next request, at most this many; past it every
# charge is settled at once. The same bound holds the callers whose buckets this process saw.
_OWED_ENTRIES = 10_000
# How often charges that no next request came to settle are sent (the most a principal
# spreading requests over several processes can run ahead of its budget).
SETTLE_SECONDS = 0.5
# How long what Redis last said of a caller's buckets may decide its next admissions here:
# longer than a settling period, so that a busy caller's next settle answers before what the
# last one said has aged (the period is SETTLE_SECONDS plus the loop's lateness and the
# round trip).
SEEN_SECONDS = 1.5 * SETTLE_SECONDS


@dataclass(slots=True)
class _Seen:
    """A caller's bucket levels as Redis answered its last admission, and what this process
    charged it since (sent or not)."""

    at: float
    levels: tuple[float, float]
    spent: list[float]


class Ledger:
    """Charges a request's cost after it ran without a round trip of its own: what it spent
    is owed here and added to the caller's buckets by its next admission, in the same Lua
    call that decides it (`settle_and_admit`), or within SETTLE_SECONDS by `settle` when no
    next request comes.

    A caller admitted by Redis within SEEN_SECONDS is admitted again here without a round
    trip while its buckets, as Redis said they were plus everything this process charged it
    since (their draining not counted), still have room: a busy caller (many residents
    behind one carrier's address, a resident paging through results) pays no round trip of
    its own, since each `settle` of its charges answers with its buckets' levels as well,
    and at most one per SEEN_SECONDS when its charges were carried by an admission instead
    of a settle. Once that sum reaches a bucket's capacity,
    Redis decides, with the drain and every process's charges counted. So in this process a
    principal is refused exactly when it would have been had every charge been sent at once;
    across processes, what others charged counts at most SETTLE_SECONDS + SEEN_SECONDS late.
    The answer's own cost extension counts its charge."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._owed: dict[str, tuple[Caller, float, float]] = {}
        # Charges `settle` is sending: an admission answered meanwhile may not count them.
        self._settling: dict[str, tuple[Caller, float, float]] = {}
        self._seen: dict[str, _Seen] = {}
        sizes = bucket_sizes(settings)
        self._capacities = tuple(capacity for capacity, _ in sizes)
        self._rates = tuple(per_minute / 60 for _, per_minute in sizes)

    async def admit(self, redis: Redis | HotCommands, caller: Caller) -> Budget | None:
        known = self._admit_here(caller)
        if known is not None:
            return known
        owed = self._owed.pop(caller.key, None)
        amounts = [owed[1], owed[2]] if owed is not None else [0.0, 0.0]
        try:
            budget = await settle_and_admit(redis, buckets(self.settings, caller), amounts)
        except (RedisError, OSError):
            if owed is not None:
                self._owe(caller, owed[1], owed[2])
            log.warning("cost budget unavailable: Redis error")
            return None
        if not budget.allowed:
            self._seen.pop(caller.key, None)
            raise _throttled(self.settings, budget)
        self._saw(caller, budget)
        return budget

    def _admit_here(self, caller: Caller) -> Budget | None:
        """The caller's budget without asking Redis, or None when Redis must decide."""
        seen = self._seen.get(caller.key)
        if seen is None:
            return None
        if time.monotonic() - seen.at > SEEN_SECONDS:
            del self._seen[caller.key]
            return None
        levels = []
        for level, spent, capacity, rate in zip(
            seen.levels, seen.spent, self._capacities, self._rates, strict=True
        ):
            held = level + spent
            if held >= capacity:
                return None
            levels.append(
                Level(remaining=capacity - held, reset_seconds=held / rate, retry_after=0.0)
            )
        return Budget(allowed=True, levels=tuple(levels))

    def _saw(self, caller: Caller, budget: Budget) -> None:
        # What is still owed here was not in the answer: it counts as spent since. So does
        # what `settle` is sending, which the answer may or may not count: counted twice at
        # worst, Redis decides a little sooner, never later.
        spent = [0.0, 0.0]
        for pending in (self._owed, self._settling):
            charge = pending.get(caller.key)
            if charge is not None:
                spent[0] += charge[1]
                spent[1] += charge[2]
        levels = (
            self._capacities[0] - budget.levels[0].remaining,
            self._capacities[1] - budget.levels[1].remaining,
        )
        self._seen.pop(caller.key, None)
        if len(self._seen) >= _OWED_ENTRIES:
            self._seen.pop(next(iter(self._seen)))
        self._seen[caller.key] = _Seen(time.monotonic(), levels, spent)

    def owe(self, caller: Caller, actual: int, seconds: float) -> None:
        points, seconds = float(actual), max(seconds, 0.001)
        seen = self._seen.get(caller.key)
        if seen is not None:
            seen.spent[0] += points
            seen.spent[1] += seconds
        self._owe(caller, points, seconds)

    def _owe(self, caller: Caller, points: float, seconds: float) -> None:
        before = self._owed.get(caller.key)
        if before is not None:
            points, seconds = points + before[1], seconds + before[2]
        elif len(self._owed) >= _OWED_ENTRIES:
            # More principals owing within one settling period than a worker serves: memory
            # stays bounded, the oldest charge is dropped (and said so).
            self._owed.pop(next(iter(self._owed)))
            log.warning("cost ledger full: a charge was dropped")
        self._owed[caller.key] = (caller, points, seconds)

    def charged(self, budget: Budget | None, actual: int, seconds: float) -> Budget | None:
        """The budget as it stands with this request's own charge counted (not sent yet)."""
        if budget is None:
            return None
        levels = []
        for level, rate, amount in zip(
            budget.levels, self._rates, (float(actual), seconds), strict=True
        ):
            remaining = level.remaining - amount
            levels.append(
                Level(
                    remaining=remaining,
                    reset_seconds=level.reset_seconds + amount / rate,
                    retry_after=max(0.0, -remaining / rate),
                )
            )
        return Budget(allowed=budget.allowed, levels=tuple(levels))

    async def settle(self, redis: Redis) -> None:
        """Sends every charge still owed, all in one round trip (the worker's periodic task,
        and at shutdown). Redis answers each with the caller's buckets as they then stand,
        which this process remembers as it would an admission's answer: a caller busy here
        is admitted without a round trip of its own for as long as its requests keep coming,
        and others' charges are heard of as soon as they would have been."""
        owed, self._owed = self._owed, {}
        if not owed:
            return
        asked = time.monotonic()
        entries = list(owed.values())
        self._settling = owed
        try:
            settled = await spend_budgets(
                redis,
                [
                    (buckets(self.settings, caller), [points, seconds])
                    for caller, points, seconds in entries
                ],
            )
        except RedisError:
            settled = [None] * len(entries)
        finally:
            self._settling = {}
        failed = False
        for (caller, points, seconds), budget in zip(entries, settled, strict=True):
            if budget is None:
                failed = True
                self._owe(caller, points, seconds)
                continue
            seen = self._seen.get(caller.key)
            if seen is None or seen.at < asked:  # not an admission's answer heard since
                self._saw(caller, budget)
        if failed:
            log.warning("cost budget unavailable: Redis error")

    async def settle_forever(self, redis: Redis, stop: asyncio.Event) -> None:
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), SETTLE_SECONDS)
            await self.settle(redis)


def check_cost(settings: Settings, cost: int, status: int = 400) -> None:
    if cost > settings.max_query_cost:
        raise Refused(
            status,
            "QUERY_TOO_COSTLY",
            f"查询过于复杂（成本 {cost}，上限 {settings.max_query_cost}），请减少字段或分页大小。",
            cost=cost,
            maxCost=settings.max_query_cost,
        )


T = TypeVar("T")


@dataclass(slots=True)
class Meter:
    """How long one request's code held the worker, across every task it started."""

    seconds: float = 0.0


_meter: ContextVar[Meter | None] = ContextVar("rongban_meter", default=None)
# Steps run one at a time in a process's loop, and a step may drive a nested _Steps (a task's
# wrapper, then `metered`): only the outermost one counts, or the time would count twice.
_depth = 0


class _Steps(Generic[T]):
    """Drives a task's coroutine and times each step (from one suspension to the next) into
    the meter of the request whose context the task runs in. Time spent waiting (for the
    database, for Redis, behind other requests) is no step, so it is never charged."""

    def __init__(self, coroutine: Coroutine[Any, Any, T]) -> None:
        self.coroutine = coroutine

    def __await__(self) -> Generator[Any, Any, T]:
        coroutine = self.coroutine
        sent: Any = None
        thrown: BaseException | None = None
        global _depth
        while True:
            started = time.perf_counter()
            _depth += 1
            try:
                waiting = coroutine.send(sent) if thrown is None else coroutine.throw(thrown)
            except StopIteration as finished:
                return finished.value  # type: ignore[no-any-return]
            finally:
                _depth -= 1
                meter = _meter.get()
                if meter is not None and _depth == 0:
                    meter.seconds += time.perf_counter() - started
            try:
                sent, thrown = (yield waiting), None
            except BaseException as error:  # cancellation too: the coroutine handles it
                sent, thrown = None, error


async def _timed(coroutine: Coroutine[Any, Any, T]) -> T:
    return await _Steps(coroutine)


def install_meter(loop: asyncio.AbstractEventLoop) -> Callable[[], None]:
    """Times every task started while a request's execution is metered into that request's
    meter (tasks inherit the context of whoever created them, so the resolvers graphql-core
    gathers and the DataLoader batches count for the request that caused them). Any other
    task (the server's own for each request, a cache hit's whole life) runs unwrapped: it has
    no meter to charge, and driving its steps from Python would cost every request for
    nothing; if it later executes, `metered` times that itself. Returns what undoes it."""
    previous = loop.get_task_factory()

    def factory(
        loop: asyncio.AbstractEventLoop, coroutine: Any, **kwargs: Any
    ) -> asyncio.Future[Any]:
        context = kwargs.get("context")
        meter = _meter.get() if context is None else context.get(_meter)
        wrapped = (
            _timed(coroutine) if meter is not None and asyncio.iscoroutine(coroutine) else coroutine
        )
        if previous is not None:
            return previous(loop, wrapped, **kwargs)
        return asyncio.Task(wrapped, loop=loop, **kwargs)

    loop.set_task_factory(factory)
    return lambda: loop.set_task_factory(previous)


async def metered(awaitable: Coroutine[Any, Any, T], meter: Meter) -> T:
    """Awaits one request's execution with its meter running (its own steps are timed here
    when the task running it was not started through the loop's factory)."""
    token = _meter.set(meter)
    try:
        return await _Steps(awaitable)
    finally:
        _meter.reset(token)


# Principals this process saw refused, remembered until their Retry-After, at most this many.
_THROTTLED_ENTRIES = 10_000


class FairShare:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.executions = Counter()
        self.sockets_by_account = Counter()
        self.sockets_by_address = Counter()
        self._throttled: dict[str, float] = {}
        self.ledger = Ledger(settings)

    def throttled(self, refused: Refused, door: str) -> Refused:
        """Remembers a THROTTLED refusal until its Retry-After, under the key the front door
        sees (`door_key`), so that the principal's next requests are refused before anything
        is parsed: a throttled flood costs the worker almost nothing. The bucket in Redis stays
        the authority; this only saves asking it again."""
        retry = float(refused.headers.get("retry-after", "1"))
        if len(self._throttled) >= _THROTTLED_ENTRIES:
            now = time.monotonic()
            self._throttled = {k: t for k, t in self._throttled.items() if t > now}
            if len(self._throttled) >= _THROTTLED_ENTRIES:
                self._throttled.clear()
        self._throttled[door] = time.monotonic() + retry
        return refused

    @property
    def any_throttled(self) -> bool:
        """Whether any principal is remembered as throttled (most of the time, none is)."""
        return bool(self._throttled)

    def retry_after(self, door: str) -> int | None:
        """Seconds a remembered THROTTLED principal must still wait, or None."""
        until = self._throttled.get(door)
        if until is None:
            return None
        wait = until - time.monotonic()
        if wait <= 0:
            del self._throttled[door]
            return None
        return max(1, math.ceil(wait))

    @contextmanager
    def execution(self, caller: Caller) -> Iterator[None]:
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
        self.executions.add(caller.key)
        try:
            yield
        finally:
            self.executions.remove(caller.key)

    def socket_allowed(self, address: str) -> bool:
        return self.sockets_by_address.get(address) < self.settings.max_sockets_per_address

    def account_socket_allowed(self, account: str) -> bool:
        return self.sockets_by_account.get(account) < self.settings.max_sockets_per_account


def door_key(scope: Scope) -> str:
    """Who knocks, as far as can be told without any work: the bearer token (hashed), else the
    client's address."""
    for name, value in scope.get("headers", ()):
        if name == b"authorization":
            return "token:" + hashlib.sha256(value).hexdigest()[:32]
    client = scope.get("client")
    return f"ip:{client[0] if client else 'unknown'}"


class ShedThrottled:
    """Pure-ASGI: answers a GraphQL request of a principal this process saw THROTTLED with
    429 at once, before the body is read or anything parsed."""

    def __init__(self, app: ASGIApp, fair_share: FairShare, path: str = "/graphql") -> None:
        self.app = app
        self.fair_share = fair_share
        self.path = path

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.fair_share.any_throttled and scope["type"] == "http" and scope["path"] == self.path:
            retry = self.fair_share.retry_after(door_key(scope))
            if retry is not None:
                await send_error(
                    send,
                    429,
                    {
                        "message": f"请求过于频繁，请 {retry} 秒后再试。",
                        "extensions": {"code": "THROTTLED"},
                    },
                    [(b"retry-after", str(retry).encode()), (b"cache-control", b"no-store")],
                )
                return
        await self.app(scope, receive, send)
