"""The process's Prometheus metrics: defined once here, at the bottom of the layers, so that
every layer may count (storage its cache and SQL statements, integrations their calls, the
resolvers the outbox, api the requests); api/metrics.py serves them at /metrics.

Labels take values from small fixed sets only (operation names from the persisted
operations, outcome words, route groups, error class names of our own code), so the number of
series stays bounded whatever clients send. With several processes per host set
PROMETHEUS_MULTIPROC_DIR (`rongban serve` does it for RONGBAN_WORKERS > 1): prometheus-client
then keeps the values in files that /metrics adds up across processes.
"""

from __future__ import annotations

import contextvars
import logging
import os
from bisect import bisect_left
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from prometheus_client import Counter, Gauge, Histogram

# Seconds: a cached page answers in about a millisecond, a heavy staff list in a second.
_LATENCY_BUCKETS = (0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

GRAPHQL_REQUESTS = Counter(
    "rongban_graphql_requests",
    "GraphQL requests over HTTP by operation name (persisted ones; 'other', 'anonymous' or "
    "'batch' otherwise) and outcome (ok, error: answered with errors, refused: a limit or bad "
    "request, failed: 5xx)",
    ["operation", "outcome"],
)
GRAPHQL_SECONDS = Histogram(
    "rongban_graphql_request_seconds",
    "Time from the request's first byte to its last, by operation name",
    ["operation"],
    buckets=_LATENCY_BUCKETS,
)
HTTP_REQUESTS = Counter(
    "rongban_http_requests",
    "Every HTTP request by route group and status class (429 counted on its own)",
    ["route", "status"],
)
HTTP_SECONDS = Histogram(
    "rongban_http_request_seconds",
    "Time from the request's first byte to its last, by route group",
    ["route"],
    buckets=_LATENCY_BUCKETS,
)
QUERY_COST = Histogram(
    "rongban_graphql_query_cost",
    "The price of a request's operations: estimated before running, actual after",
    ["kind"],
    buckets=(1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500),
)
SQL_STATEMENTS = Histogram(
    "rongban_sql_statements_per_request",
    "SQL statements one HTTP request ran (0 for a cached answer)",
    buckets=(0, 1, 2, 3, 5, 8, 13, 21, 34, 55, 100),
)
REFUSALS = Counter(
    "rongban_refusals",
    "Requests refused before or instead of running, by code (THROTTLED, TOO_MANY_REQUESTS, "
    "SERVICE_OVERLOADED, QUERY_TOO_COSTLY, ...)",
    ["code"],
)
RESPONSE_CACHE = Counter(
    "rongban_response_cache_lookups",
    "Lookups of whole cached anonymous answers, by result (hit, miss)",
    ["result"],
)
GUIDE_CACHE = Counter(
    "rongban_guide_cache_lookups",
    "Lookups of published guides held in a process's memory, by result (hit, miss)",
    ["result"],
)
WEBSOCKETS = Gauge(
    "rongban_websocket_connections",
    "Open GraphQL WebSocket connections",
    multiprocess_mode="livesum",
)
EXTERNAL_CALLS = Counter(
    "rongban_external_calls",
    "Calls to outside systems (wechat, sms, province) by outcome: ok or the error's class",
    ["system", "outcome"],
)
OUTBOX_HANDLED = Counter(
    "rongban_outbox_handled",
    "Outbox messages handled by kind and outcome (delivered, retry, dead)",
    ["kind", "outcome"],
)

# -- tallied on the request path, added to the metrics in batches

# Every tally made, so that `flush_tallies` reaches them all. Tallies are made per label set,
# and label values come from small fixed sets, so this stays small.
_TALLIES: list[CounterTally | HistogramTally] = []


class CounterTally:
    """A counter's increments as a plain number, added to the prometheus children by
    `flush_tallies`. prometheus-client takes a lock for every increment (and in multiprocess
    mode writes a memory-mapped file): on a cached answer, the request's handful of
    observations cost as much as the answer itself. One tally may feed several children
    (a request counted by route and by operation), and several tallies one child: each
    adds what it counted since its last flush. Meant for the event loop's thread; the amount
    flushed is a delta of a running total, so a flush from another thread loses nothing."""

    __slots__ = ("_children", "_flushed", "total")

    def __init__(self, *children: Any) -> None:
        self._children = children
        self.total = 0
        self._flushed = 0
        _TALLIES.append(self)

    def inc(self, amount: int = 1) -> None:
        self.total += amount

    def flush(self) -> None:
        total = self.total
        if total != self._flushed:
            for child in self._children:
                child.inc(total - self._flushed)
            self._flushed = total

    def forget_unflushed(self) -> None:
        self._flushed = self.total


class HistogramTally:
    """Histogram observations as plain per-bucket counts and a sum, added to the children
    (histograms with the same buckets) by `flush_tallies` (see CounterTally)."""

    __slots__ = ("_bounds", "_children", "_flushed", "_flushed_sum", "counts", "sum")

    def __init__(self, *children: Any) -> None:
        self._children = children
        # The children's bounds (+Inf last): an amount belongs to the first bound >= it.
        self._bounds: tuple[float, ...] = tuple(children[0]._upper_bounds)
        if any(tuple(child._upper_bounds) != self._bounds for child in children):
            raise ValueError("a tally feeds only histograms with the same buckets")
        self.counts = [0] * len(self._bounds)
        self.sum = 0.0
        self._flushed = [0] * len(self._bounds)
        self._flushed_sum = 0.0
        _TALLIES.append(self)

    def observe(self, amount: float) -> None:
        self.counts[bisect_left(self._bounds, amount)] += 1
        self.sum += amount

    def flush(self) -> None:
        counts, total = list(self.counts), self.sum
        if counts == self._flushed:
            return
        # prometheus-client has no call that adds many observations at once; these are the
        # values its own observe() adds to, one per bucket (not cumulative) and the sum.
        for child in self._children:
            buckets = child._buckets
            for i, (now, before) in enumerate(zip(counts, self._flushed, strict=True)):
                if now != before:
                    buckets[i].inc(now - before)
            child._sum.inc(total - self._flushed_sum)
        self._flushed, self._flushed_sum = counts, total

    def forget_unflushed(self) -> None:
        self._flushed, self._flushed_sum = list(self.counts), self.sum


def flush_tallies() -> None:
    """Adds what every tally counted since its last flush to its metric: before a scrape, and
    every second while a server runs (each process of a multiprocess server writes its own
    values, which a scrape of any of them adds up)."""
    for tally in list(_TALLIES):
        tally.flush()


def _forget_after_fork() -> None:
    # What the parent counted is the parent's to flush; a worker counts from zero.
    for tally in _TALLIES:
        tally.forget_unflushed()


os.register_at_fork(after_in_child=_forget_after_fork)


# -- SQL statements per request

_statements: contextvars.ContextVar[list[int] | None] = contextvars.ContextVar(
    "rongban_sql_statements", default=None
)


_SQL_LOGGER = "tortoise.db_client"


def install_statement_counter() -> None:
    """Counts statements per request from here on. Tortoise announces every statement with a
    DEBUG call on the `tortoise.db_client` logger, which all its clients share: that call is
    replaced on the logger itself by one that counts, so a statement costs an increment
    rather than a log record (a record and the caller's frame looked up: about 4 µs, some
    70 µs of a submission's 18 statements). The record is still made for a handler put on
    the logger itself (the tests' statement log, tests/sql.py). The logger stops propagating:
    its records carry SQL parameters (openids, keyed digests), which must never reach a log."""
    logger = logging.getLogger(_SQL_LOGGER)
    logger.propagate = False
    logger.setLevel(logging.DEBUG)
    if "debug" in vars(logger):
        return
    recorded = logger.debug

    def debug(msg: object, *args: object, **kwargs: Any) -> None:
        tally = _statements.get()
        if tally is not None:
            tally[0] += 1
        if logger.handlers:
            recorded(msg, *args, **kwargs)

    logger.debug = debug  # type: ignore[method-assign]


class counting_statements:
    """[count] of the statements run inside the block (tasks started in it included). A class
    rather than a generator: every request enters it, and @contextmanager's wrapper costs more
    than twice as much (2.7 µs against 1.1 µs)."""

    __slots__ = ("_token",)

    def __enter__(self) -> list[int]:
        tally = [0]
        self._token = _statements.set(tally)
        return tally

    def __exit__(self, *_: object) -> None:
        _statements.reset(self._token)


# -- outside systems


@contextmanager
def external_call(system: str) -> Iterator[None]:
    """Counts one call to an outside system by how it ended."""
    try:
        yield
    except BaseException as exc:
        EXTERNAL_CALLS.labels(system, type(exc).__name__).inc()
        raise
    EXTERNAL_CALLS.labels(system, "ok").inc()
