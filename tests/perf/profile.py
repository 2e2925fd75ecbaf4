"""Where a request's time goes, measured in-process on the same database the bench uses.

Each case is sent through the app's ASGI interface (with its lifespan, as uvicorn runs it)
one request at a time, with timers around:
- every asyncpg round trip (the statement, its arguments and its wall time; a pool's
  connection reset on release is counted apart, it is a round trip too),
- `strawberry.Schema.execute` ("GraphQL": parse, validation, execution with its resolvers,
  the SQL they wait for included),
- `orjson.dumps` ("serialisation": the answer's encoding, outside execution),
and the ASGI call as a whole; "framework" is what is left (middleware, body parsing, the
principal's look-up, the response cache, Starlette and the ASGI plumbing).

The statement counts are exact (counted on the client side of the wire, per request);
the timings are single-request latencies without concurrency, a split of the work rather
than the throughput wrk measures. With `explain`, each distinct statement of one request is
run again under EXPLAIN (ANALYZE) inside a transaction that is rolled back, and any
sequential scan over a table of more than a few hundred rows is flagged. With `hotspots`,
cProfile names the functions that took the most time of their own.
"""

from __future__ import annotations

import cProfile
import pstats
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from io import StringIO
from typing import Any

import asyncpg
import httpx
import orjson
from asgi_lifespan import LifespanManager
from strawberry.schema.schema import Schema

SEQ_SCAN_ROWS = 500
# asyncpg's pool resets a connection on release with this query (counted as a reset).
_RESET_QUERY = "SELECT pg_advisory_unlock_all()"
_WAITING = re.compile(r"epoll|_socket|select\.|base_events|selector_events|_run_once|events\.py")
_OURS = re.compile(
    r"^\s*\S+\s+\S+\s+\S+\s+\S+\s+\S+\s+(api|schema|resolvers|storage|integrations)/"
)
_WRAPPED = ("execute", "executemany", "fetch", "fetchval", "fetchrow", "fetchmany")
_NOT_EXPLAINED = re.compile(r"^\s*(BEGIN|COMMIT|ROLLBACK|SAVEPOINT|RELEASE|SET|RESET|SHOW)\b", re.I)


@dataclass
class Statement:
    sql: str
    args: tuple[Any, ...]
    ms: float


@dataclass
class Recording:
    statements: list[Statement] = field(default_factory=list)
    resets: int = 0
    graphql_ms: float = 0.0
    serialise_ms: float = 0.0
    active: bool = False


_recording = Recording()


def _timed_method(name: str) -> Callable[..., Any]:
    original = getattr(asyncpg.connection.Connection, name)

    async def wrapper(self: Any, query: str, *args: Any, **kwargs: Any) -> Any:
        if not _recording.active or query.startswith(_RESET_QUERY):
            return await original(self, query, *args, **kwargs)
        started = time.perf_counter()
        try:
            return await original(self, query, *args, **kwargs)
        finally:
            took = (time.perf_counter() - started) * 1000
            values = args[0] if name == "executemany" and args else args
            _recording.statements.append(Statement(query, tuple(values), took))

    wrapper.__wrapped__ = original  # type: ignore[attr-defined]
    return wrapper


@contextmanager
def instrumented() -> Iterator[Recording]:
    """Installs the timers for the duration (one process, one measurement at a time)."""
    saved: dict[tuple[object, str], Any] = {}

    def patch(owner: object, name: str, value: Any) -> None:
        saved[(owner, name)] = getattr(owner, name)
        setattr(owner, name, value)

    for name in _WRAPPED:
        patch(asyncpg.connection.Connection, name, _timed_method(name))
    reset = asyncpg.connection.Connection.reset

    async def counted_reset(self: Any, **kwargs: Any) -> None:
        if _recording.active:
            _recording.resets += 1
        await reset(self, **kwargs)

    patch(asyncpg.connection.Connection, "reset", counted_reset)
    execute = Schema.execute

    async def timed_execute(self: Any, *args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return await execute(self, *args, **kwargs)
        finally:
            if _recording.active:
                _recording.graphql_ms += (time.perf_counter() - started) * 1000

    patch(Schema, "execute", timed_execute)
    dumps = orjson.dumps

    def timed_dumps(*args: Any, **kwargs: Any) -> bytes:
        started = time.perf_counter()
        try:
            return dumps(*args, **kwargs)
        finally:
            if _recording.active:
                _recording.serialise_ms += (time.perf_counter() - started) * 1000

    patch(orjson, "dumps", timed_dumps)
    try:
        yield _recording
    finally:
        for (owner, name), value in saved.items():
            setattr(owner, name, value)


# A request to send: method, path, JSON body (or None), headers; a function of the request's
# number, so that a case can ask for a different guide each time.
Send = Callable[[int], tuple[str, str, Any, dict[str, str]]]


@dataclass
class Split:
    """Averages per request, in milliseconds (SQL and GraphQL overlap: SQL is waited for
    inside GraphQL execution)."""

    requests: int
    statements: float
    resets: float
    total_ms: float
    sql_ms: float
    graphql_ms: float
    serialise_ms: float

    @property
    def framework_ms(self) -> float:
        return max(0.0, self.total_ms - self.graphql_ms - self.serialise_ms)

    @property
    def resolvers_ms(self) -> float:
        """GraphQL execution less the SQL it waited for: parse, validation, resolvers."""
        return max(0.0, self.graphql_ms - self.sql_ms)


@dataclass
class CaseProfile:
    name: str
    split: Split
    one_request: list[Statement]
    plans: list[tuple[Statement, str, list[str]]] = field(default_factory=list)
    hotspots: str = ""


@asynccontextmanager
async def asgi_client(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    async with LifespanManager(app, startup_timeout=120, shutdown_timeout=30) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://127.0.0.1", timeout=60
        ) as client:
            yield client


async def _send(client: httpx.AsyncClient, request: tuple[str, str, Any, dict[str, str]]) -> None:
    method, path, body, headers = request
    response = await client.request(method, path, json=body, headers=headers)
    if response.status_code >= 400 or b'"errors"' in response.content[:4000]:
        raise RuntimeError(f"{path}: {response.status_code} {response.text[:500]}")


async def profile_case(
    client: httpx.AsyncClient,
    name: str,
    send: Send,
    *,
    requests: int = 20,
    warm_up: int = 3,
    start: int = 0,
) -> CaseProfile:
    """Sends `warm_up` then `requests` requests one by one; returns the averages and the
    statements of the last request."""
    for n in range(warm_up):
        await _send(client, send(start + n))
    totals = Split(requests, 0, 0, 0, 0, 0, 0)
    last: list[Statement] = []
    with instrumented() as recording:
        for n in range(requests):
            recording.statements, recording.resets = [], 0
            recording.graphql_ms = recording.serialise_ms = 0.0
            recording.active = True
            started = time.perf_counter()
            try:
                await _send(client, send(start + warm_up + n))
            finally:
                recording.active = False
            totals.total_ms += (time.perf_counter() - started) * 1000
            totals.statements += len(recording.statements)
            totals.resets += recording.resets
            totals.sql_ms += sum(s.ms for s in recording.statements)
            totals.graphql_ms += recording.graphql_ms
            totals.serialise_ms += recording.serialise_ms
            last = list(recording.statements)
    split = Split(
        requests,
        totals.statements / requests,
        totals.resets / requests,
        totals.total_ms / requests,
        totals.sql_ms / requests,
        totals.graphql_ms / requests,
        totals.serialise_ms / requests,
    )
    return CaseProfile(name, split, last)


async def hotspots(
    client: httpx.AsyncClient, send: Send, *, requests: int = 30, start: int = 0, top: int = 12
) -> str:
    """cProfile over `requests` requests: the functions with the most time of their own."""
    profiler = cProfile.Profile()
    profiler.enable()
    try:
        for n in range(requests):
            await _send(client, send(start + n))
    finally:
        profiler.disable()
    out = StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("tottime").print_stats(60)
    own = _rows(out.getvalue())
    own = [line for line in own if not _WAITING.search(line)][:top]
    out = StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("cumulative").print_stats(400)
    ours = [line for line in _rows(out.getvalue()) if _OURS.match(line)][:top]
    header = "   ncalls  tottime  percall  cumtime  percall filename:lineno(function)"
    return "\n".join(
        [
            f"{requests} requests; own time, waiting for sockets left out:",
            header,
            *own,
            "",
            "cumulative, this project's functions:",
            header,
            *ours,
        ]
    )


def _rows(text: str) -> list[str]:
    """pstats' table rows, paths shortened to the package."""
    return [
        re.sub(r"/\S*/(site-packages|wt-[^/]+|main)/", "", line)
        for line in text.splitlines()
        if re.match(r"\s+\d", line)
    ]


async def explain(
    database_url: str, statements: Sequence[Statement]
) -> list[tuple[Statement, str, list[str]]]:
    """EXPLAIN (ANALYZE) of each distinct statement, inside a rolled-back transaction; with
    the sequential scans over tables of more than SEQ_SCAN_ROWS rows that each plan does."""
    connection = await asyncpg.connect(database_url.replace("postgres://", "postgresql://", 1))
    try:
        sizes = {
            row["relname"]: int(row["reltuples"])
            for row in await connection.fetch(
                "SELECT relname, reltuples FROM pg_class WHERE relkind = 'r'"
            )
        }
        seen: set[str] = set()
        plans = []
        for statement in statements:
            if statement.sql in seen or _NOT_EXPLAINED.match(statement.sql):
                continue
            seen.add(statement.sql)
            transaction = connection.transaction()
            await transaction.start()
            # The request's own rows are in place already: an INSERT is planned, not run again.
            options = (
                "COSTS OFF"
                if statement.sql.lstrip().upper().startswith("INSERT")
                else "ANALYZE, COSTS OFF"
            )
            try:
                rows = await connection.fetch(
                    f"EXPLAIN ({options}) {statement.sql}", *statement.args
                )
                plan = "\n".join(r[0] for r in rows)
            except (asyncpg.PostgresError, asyncpg.InterfaceError) as error:
                plan = f"(not explained: {error.__class__.__name__}: {error})"
            finally:
                await transaction.rollback()
            flagged = [
                f"Seq Scan on {table} ({sizes.get(table, 0)} rows)"
                for table in re.findall(r"Seq Scan on (\w+)", plan)
                if sizes.get(table, 0) > SEQ_SCAN_ROWS
            ]
            plans.append((statement, plan, flagged))
        return plans
    finally:
        await connection.close()


def format_case(case: CaseProfile, *, plans: bool = True) -> str:
    s = case.split
    lines = [
        f"## {case.name}",
        "",
        f"per request (mean of {s.requests}, one at a time, in-process): total {s.total_ms:.2f} ms"
        f" = GraphQL {s.graphql_ms:.2f} ms (of which SQL {s.sql_ms:.2f} ms over "
        f"{s.statements:.1f} statements, parse/validate/resolvers {s.resolvers_ms:.2f} ms)"
        f" + serialisation {s.serialise_ms:.2f} ms + framework {s.framework_ms:.2f} ms;"
        f" pool resets {s.resets:.1f}",
        "",
    ]
    if not plans:
        return "\n".join(lines)
    for n, statement in enumerate(case.one_request, 1):
        sql = " ".join(statement.sql.split())
        lines.append(f"{n}. {statement.ms:.2f} ms  {sql[:300]}{'…' if len(sql) > 300 else ''}")
    for statement, plan, flagged in case.plans:
        sql = " ".join(statement.sql.split())[:120]
        verdict = "NO INDEX: " + "; ".join(flagged) if flagged else "indexed"
        lines += ["", f"EXPLAIN ANALYZE [{verdict}] {sql}", "```", plan, "```"]
    if case.hotspots:
        lines += ["", "cProfile:", "```", case.hotspots, "```"]
    return "\n".join(lines) + "\n"


async def run_cases(
    app: Any,
    cases: Sequence[tuple[str, Send]],
    *,
    database_url: str,
    detail: bool,
    prepare: Callable[[httpx.AsyncClient], Awaitable[None]] | None = None,
) -> list[CaseProfile]:
    """Profiles each case against one in-process app."""
    profiles = []
    async with asgi_client(app) as client:
        if prepare is not None:
            await prepare(client)
        for name, send in cases:
            case = await profile_case(client, name, send, requests=20 if detail else 5)
            if detail:
                case.plans = await explain(database_url, case.one_request)
                case.hotspots = await hotspots(client, send, start=100)
            profiles.append(case)
    return profiles
