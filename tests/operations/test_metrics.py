"""/metrics as Prometheus scrapes it: after real requests through the app, the series for
operations and outcomes, latency, cost, SQL statements, refusals, the response cache, outside
calls and the outbox are there with the right values; the endpoint wants its bearer token.
A `rongban worker` process serves its own on RONGBAN_WORKER_METRICS_PORT."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from httpx_ws import aconnect_ws
from httpx_ws.transport import ASGIWebSocketTransport
from prometheus_client.parser import text_string_to_metric_families

from mock_wechat.client import MiniProgram
from resolvers.notifications.handlers import INBOX
from storage.repositories import outbox as outbox_repo
from tests.conftest import RunningApp, start_app
from tests.processes import eventually, free_port, worker_processes

TOKEN = "metrics-scrape-token-for-tests"
Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


@pytest.fixture
async def observed(settings_factory: Any, mock_state: Any) -> AsyncIterator[RunningApp]:
    async for running in start_app(settings_factory(metrics_token=TOKEN)):
        yield running


async def scrape(running: RunningApp) -> Samples:
    response = await running.client.get("/metrics", headers={"authorization": f"Bearer {TOKEN}"})
    return parsed(response)


def parsed(response: httpx.Response) -> Samples:
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    samples: Samples = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            samples[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return samples


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def grew(before: Samples, after: Samples, name: str, **labels: str) -> float:
    return value(after, name, **labels) - value(before, name, **labels)


async def test_requests_are_counted_by_operation_and_outcome(observed: RunningApp) -> None:
    before = await scrape(observed)

    await observed.client.post(
        "/graphql", json={"query": "query Themes { __typename }", "operationName": "Themes"}
    )
    await observed.client.post("/graphql", json={"query": "query Whatever { __typename }"})
    await observed.client.post("/graphql", json={"query": "{ __typename }"})
    await observed.client.post("/graphql", json={"query": "{ nosuchfield }"})
    refused = await observed.client.post(
        "/graphql", content=b"{}", headers={"content-type": "text/plain"}
    )
    assert refused.status_code == 415

    after = await scrape(observed)
    requests = "rongban_graphql_requests_total"
    # Persisted names are labels; any other name is "other", no name "anonymous".
    assert grew(before, after, requests, operation="Themes", outcome="ok") == 1
    assert grew(before, after, requests, operation="other", outcome="ok") == 1
    assert grew(before, after, requests, operation="anonymous", outcome="ok") == 1
    # An invalid document and a refused transport never reach a named operation.
    assert grew(before, after, requests, operation="unparsed", outcome="refused") == 2
    assert not any(
        name == requests and ("operation", "Whatever") in labels for name, labels in after
    )
    assert grew(before, after, "rongban_refusals_total", code="UNSUPPORTED_MEDIA_TYPE") == 1
    assert grew(before, after, "rongban_refusals_total", code="GRAPHQL_VALIDATION_FAILED") == 1
    assert grew(before, after, "rongban_http_requests_total", route="graphql", status="2xx") >= 3
    assert grew(before, after, "rongban_http_requests_total", route="graphql", status="4xx") == 1
    seconds = "rongban_graphql_request_seconds"
    assert grew(before, after, f"{seconds}_count", operation="Themes") == 1
    assert grew(before, after, f"{seconds}_bucket", operation="Themes", le="+Inf") == 1
    assert grew(before, after, f"{seconds}_sum", operation="Themes") > 0
    assert grew(before, after, "rongban_graphql_query_cost_count", kind="estimated") == 3


async def test_sql_statements_cost_and_the_response_cache(
    observed: RunningApp, settings: Any
) -> None:
    query = "{ services(first: 5) { nodes { name } } }"
    before = await scrape(observed)

    first = await observed.client.post("/graphql", json={"query": query})
    after_first = await scrape(observed)
    second = await observed.client.post("/graphql", json={"query": query})
    after_second = await scrape(observed)

    assert first.status_code == second.status_code == 200
    lookups = "rongban_response_cache_lookups_total"
    assert grew(before, after_first, lookups, result="miss") == 1
    assert grew(after_first, after_second, lookups, result="hit") == 1
    statements = "rongban_sql_statements_per_request"
    # The scrape itself reads the outbox (one statement), so compare what the request added.
    assert grew(before, after_first, f"{statements}_sum") > 1
    # The cached answer ran no SQL at all: only the scrape's own statement was added.
    assert grew(after_first, after_second, f"{statements}_sum") == 1
    assert grew(after_first, after_second, f"{statements}_bucket", le="0.0") == 1
    assert grew(before, after_first, "rongban_graphql_query_cost_count", kind="actual") == 1
    assert grew(before, after_first, "rongban_graphql_query_cost_sum", kind="actual") >= 1


async def test_outside_calls_and_the_outbox_are_measured(
    observed: RunningApp, wechat: httpx.AsyncClient
) -> None:
    before = await scrape(observed)
    program = MiniProgram(observed.client, wechat, "metrics-user")
    await program.login()
    now = datetime.now(UTC)
    await outbox_repo.enqueue("metrics.test", "stream-a", {}, now=now)
    await outbox_repo.enqueue("metrics.test", "stream-b", {}, now=now)

    after = await scrape(observed)

    assert grew(before, after, "rongban_external_calls_total", system="wechat", outcome="ok") >= 1
    assert value(after, "rongban_outbox_backlog", kind="metrics.test") == 2
    assert value(after, "rongban_outbox_oldest_age_seconds", kind="metrics.test") >= 0
    assert value(after, "rongban_outbox_dead_letters", kind="metrics.test") == 0


async def test_metrics_need_the_bearer_token(observed: RunningApp) -> None:
    assert (await observed.client.get("/metrics")).status_code == 401
    wrong = await observed.client.get("/metrics", headers={"authorization": "Bearer nope"})
    assert wrong.status_code == 401
    assert wrong.headers["www-authenticate"].startswith("Bearer")


async def test_metrics_are_off_without_a_token(running: RunningApp) -> None:
    response = await running.client.get("/metrics", headers={"authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 404


async def test_open_websockets_are_a_gauge(observed: RunningApp) -> None:
    gauge = "rongban_websocket_connections"
    before = value(await scrape(observed), gauge)
    transport = ASGIWebSocketTransport(app=observed.asgi)
    async with (
        httpx.AsyncClient(transport=transport, base_url="http://testserver") as client,
        aconnect_ws("/graphql", client, subprotocols=["graphql-transport-ws"]) as ws,  # type: ignore[var-annotated]
    ):
        await ws.send_json({"type": "connection_init", "payload": {}})
        assert (await ws.receive_json())["type"] == "connection_ack"
        assert value(await scrape(observed), gauge) == before + 1
    assert value(await scrape(observed), gauge) == before


@pytest.mark.processes
async def test_a_worker_process_serves_its_metrics_on_its_own_port(
    running: RunningApp, tmp_path: Path
) -> None:
    settings = running.settings
    if settings.embedded_redis or not settings.database_url.startswith("postgres"):
        pytest.skip("a worker process shares state only through real PostgreSQL and Redis")
    now = datetime.now(UTC)
    # One message the worker delivers (an inbox note for nobody), one it has no handler for.
    await outbox_repo.enqueue(
        INBOX,
        "worker-metrics",
        {"account_ids": [], "topic": "T", "title": "t", "body": "b"},
        now=now,
    )
    await outbox_repo.enqueue("metrics.unhandled", "worker-metrics", {}, now=now)
    port = free_port()
    found: Samples = {}

    async def served() -> bool:
        nonlocal found
        try:
            async with httpx.AsyncClient(timeout=5) as client:
                response = await client.get(f"http://127.0.0.1:{port}/metrics")
        except httpx.HTTPError:
            return False  # not listening yet
        found = parsed(response)
        return value(found, "rongban_outbox_dead_letters", kind="metrics.unhandled") == 1

    with worker_processes(
        settings,
        1,
        tmp_path / "worker.log",
        worker_metrics_port=str(port),
        outbox_poll_seconds="0.1",
    ):
        await eventually(served, 60, "the worker's /metrics showed what it did")

    handled = "rongban_outbox_handled_total"
    assert value(found, handled, kind=INBOX, outcome="delivered") == 1
    assert value(found, "rongban_outbox_backlog", kind=INBOX) == 0
    assert value(found, "rongban_outbox_backlog", kind="metrics.unhandled") == 0
    assert value(found, "rongban_outbox_oldest_age_seconds", kind=INBOX) == 0


async def test_statements_are_counted_without_a_log_record_each(
    observed: RunningApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Tortoise announces each statement on its DEBUG log; the count must not cost a record
    (and the caller's frame looked up) per statement when nothing reads those records."""
    sql_log = logging.getLogger("tortoise.db_client")
    monkeypatch.setattr(sql_log, "handlers", [])  # what a serving process has
    made = logging.getLogRecordFactory()
    records: list[str] = []

    def counted(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = made(*args, **kwargs)
        records.append(record.name)
        return record

    logging.setLogRecordFactory(counted)
    try:
        before = await scrape(observed)
        answer = await observed.client.post(
            "/graphql", json={"query": "{ services(first: 5) { nodes { name } } }"}
        )
        after = await scrape(observed)
    finally:
        logging.setLogRecordFactory(made)

    assert answer.status_code == 200
    assert grew(before, after, "rongban_sql_statements_per_request_sum") > 1
    assert "tortoise.db_client" not in records
