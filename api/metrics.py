"""Prometheus metrics: what every request adds (told by api.middleware.Observed), the hooks
the GraphQL endpoint calls to name the operation, and the `/metrics` endpoint (bearer token).

Per request this costs a few additions to plain numbers (tallies, added to the
prometheus values each second and before each scrape) and one context variable for the SQL
statement count. The metric definitions live in storage/metrics.py so that every layer can
count; the outbox gauges are read from the database when scraped.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from prometheus_client import REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Scope

from storage.metrics import (
    GRAPHQL_REQUESTS,
    GRAPHQL_SECONDS,
    HTTP_REQUESTS,
    HTTP_SECONDS,
    QUERY_COST,
    REFUSALS,
    RESPONSE_CACHE,
    SQL_STATEMENTS,
    WEBSOCKETS,
    CounterTally,
    HistogramTally,
    flush_tallies,
    install_statement_counter,
)
from storage.repositories import outbox as outbox_repo

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
_STATE_KEY = "rongban.metrics"

# Route groups: the first path segment of the routes create_app serves; anything else is
# "other", so a scanner's random paths add no series.
_ROUTES = {
    "graphql": "graphql",
    "healthz": "probe",
    "readyz": "probe",
    "metrics": "metrics",
    "files": "files",
    "uploads": "files",
    "provider-api": "provider-api",
    "open311": "open311",
    "exchange": "exchange",
    "wechat": "wechat",
}


def route_of(path: str) -> str:
    first = path[1:].split("/", 1)[0]
    return _ROUTES.get(first, "other")


def _status_class(status: int) -> str:
    if status == 429:
        return "429"
    return _STATUS_CLASSES[status // 100] if 0 < status < 600 else "none"


_STATUS_CLASSES = [f"{n}xx" for n in range(6)]


class OperationNames:
    """Operation names that may be label values: the persisted operations' names."""

    def __init__(self, names: Iterable[str]) -> None:
        self.names = frozenset(names)

    def label(self, operation_names: Sequence[str | None]) -> str:
        if len(operation_names) != 1:
            return "batch"
        name = operation_names[0]
        if name is None:
            return "anonymous"
        return name if name in self.names else "other"


@dataclass(slots=True)
class Observation:
    """What the GraphQL endpoint tells the middleware about one request."""

    names: OperationNames
    operation: str = "unparsed"
    errors: bool = False
    refused: bool = False


# -- hooks the GraphQL endpoint calls


# The process's tallies per kind of request: its route group and status, and for GraphQL its
# operation and outcome. One pair of tallies (count, time) feeds the route's and the
# operation's series, so a request costs one lookup. Label values come from small fixed sets.
_kinds: dict[tuple[str, int, str | None, str | None], tuple[CounterTally, HistogramTally]] = {}


def _kind(
    route: str, status: int, operation: str | None, outcome: str | None
) -> tuple[CounterTally, HistogramTally]:
    key = (route, status, operation, outcome)
    kind = _kinds.get(key)
    if kind is None:
        counts = [HTTP_REQUESTS.labels(route, _status_class(status))]
        times = [HTTP_SECONDS.labels(route)]
        if operation is not None:
            counts.append(GRAPHQL_REQUESTS.labels(operation, outcome))
            times.append(GRAPHQL_SECONDS.labels(operation))
        kind = _kinds[key] = (CounterTally(*counts), HistogramTally(*times))
    return kind


_ESTIMATED_COST = HistogramTally(QUERY_COST.labels("estimated"))
_ACTUAL_COST = HistogramTally(QUERY_COST.labels("actual"))
_CACHE_HIT = CounterTally(RESPONSE_CACHE.labels("hit"))
_REFUSED: dict[str, CounterTally] = {}
_SQL_STATEMENTS = HistogramTally(SQL_STATEMENTS)


def note_operations(scope: Scope, names: Sequence[str | None], estimated_cost: int) -> None:
    observation: Observation | None = scope.get("state", {}).get(_STATE_KEY)
    if observation is None:
        return
    observation.operation = observation.names.label(names)
    _ESTIMATED_COST.observe(estimated_cost)


def note_outcome(scope: Scope, actual_cost: int, *, errors: bool) -> None:
    observation: Observation | None = scope.get("state", {}).get(_STATE_KEY)
    if observation is None:
        return
    observation.errors = errors
    _ACTUAL_COST.observe(actual_cost)


def note_cached_answer(scope: Scope, name: str | None) -> None:
    """A request answered in front of the endpoint from the answers kept in memory: a cache
    hit by the operation's name, with no cost estimated and no SQL."""
    _CACHE_HIT.inc()
    observation: Observation | None = scope.get("state", {}).get(_STATE_KEY)
    if observation is not None:
        observation.operation = observation.names.label([name])


def note_refusal(scope: Scope, code: str) -> None:
    tally = _REFUSED.get(code)
    if tally is None:  # codes are our own error codes: a small fixed set
        tally = _REFUSED[code] = CounterTally(REFUSALS.labels(code))
    tally.inc()
    observation: Observation | None = scope.get("state", {}).get(_STATE_KEY)
    if observation is not None:
        observation.refused = True


class RequestMetrics:
    """What each request adds to the metrics, as api.middleware.Observed tells it: HTTP
    requests counted and timed by route group and status, GraphQL ones also by operation and
    outcome, with the SQL statements each ran; the WebSocket gauge. Not a layer of its own:
    the request's id, access line and metrics share one layer and one `send` wrapper."""

    def __init__(self, operation_names: Iterable[str] = ()) -> None:
        self.names = OperationNames(operation_names)
        install_statement_counter()

    def begin(self, scope: Scope, route: str) -> Observation | None:
        """A GraphQL request's observation, which the endpoint fills through the hooks
        above; None for other routes."""
        if route != "graphql":
            return None
        observation = Observation(self.names)
        scope.setdefault("state", {})[_STATE_KEY] = observation
        return observation

    def http(
        self,
        route: str,
        status: int,
        elapsed: float,
        statements: int,
        observation: Observation | None,
    ) -> None:
        _SQL_STATEMENTS.observe(statements)
        if observation is None:
            requests, seconds = _kind(route, status, None, None)
        else:
            if status >= 500:
                outcome = "failed"
            elif observation.refused or status >= 400:
                outcome = "refused"
            elif observation.errors:
                outcome = "error"
            else:
                outcome = "ok"
            requests, seconds = _kind(route, status, observation.operation, outcome)
        requests.inc()
        seconds.observe(elapsed)

    @staticmethod
    def websocket_opened() -> None:
        WEBSOCKETS.inc()

    @staticmethod
    def websocket_closed() -> None:
        WEBSOCKETS.dec()


async def flush_every_second(stop: asyncio.Event) -> None:
    """Adds the tallies to the metrics each second until `stop`, and once more then: in
    multiprocess mode a scrape reads every process's values from their files, and a process
    must have written its own for them to count."""
    while not stop.is_set():
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=1.0)
        flush_tallies()


# -- the outbox, read when scraped


class OutboxGauges(Collector):
    """The outbox's backlog, oldest waiting message and dead letters by kind, as of the last
    `refresh()` (the API refreshes on each scrape; the worker every few seconds)."""

    def __init__(self) -> None:
        self.rows: list[outbox_repo.KindBacklog] = []
        self.read_at: datetime | None = None

    async def refresh(self) -> None:
        self.rows = await outbox_repo.backlog()
        self.read_at = datetime.now(UTC)

    def collect(self) -> Iterable[Metric]:
        backlog = GaugeMetricFamily(
            "rongban_outbox_backlog",
            "Outbox messages waiting to be sent (pending or to be retried), by kind",
            labels=["kind"],
        )
        age = GaugeMetricFamily(
            "rongban_outbox_oldest_age_seconds",
            "Age of the oldest waiting outbox message, by kind (0 when none waits)",
            labels=["kind"],
        )
        dead = GaugeMetricFamily(
            "rongban_outbox_dead_letters",
            "Outbox messages given up on (dead letters), by kind",
            labels=["kind"],
        )
        now = self.read_at or datetime.now(UTC)
        for row in self.rows:
            backlog.add_metric([row.kind], row.waiting)
            oldest = (now - row.oldest).total_seconds() if row.oldest is not None else 0.0
            age.add_metric([row.kind], max(oldest, 0.0))
            dead.add_metric([row.kind], row.dead)
        yield from (backlog, age, dead)


def exposition(outbox: OutboxGauges) -> bytes:
    """This process's metrics (every process's, in multiprocess mode) and the outbox's."""
    flush_tallies()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        processes = generate_latest(registry)
    else:
        processes = generate_latest(REGISTRY)
    extra = CollectorRegistry()
    extra.register(outbox)
    return processes + generate_latest(extra)


class MetricsEndpoint:
    """`/metrics`: 404 unless RONGBAN_METRICS_TOKEN is set, 401 without that bearer token."""

    def __init__(self, token: str | None) -> None:
        self.token = token.encode() if token else None
        self.outbox = OutboxGauges()

    async def respond(self, request: Request) -> Response:
        if self.token is None:
            return Response("Not Found", status_code=404, media_type="text/plain")
        sent = request.headers.get("authorization", "").encode("latin-1")
        if not hmac.compare_digest(sent, b"Bearer " + self.token):
            return Response(
                "Unauthorized",
                status_code=401,
                media_type="text/plain",
                headers={"www-authenticate": 'Bearer realm="metrics"'},
            )
        await self.outbox.refresh()
        return Response(exposition(self.outbox), media_type=CONTENT_TYPE)
