"""OpenTelemetry: with RONGBAN_OTEL_ENDPOINT set, a request makes a server span with the
database and Redis calls inside it, and the request id the client sees is its trace id.
The exporter is in memory (the OTLP one would post the same spans to a collector)."""

from __future__ import annotations

from typing import Any

from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from api import tracing
from tests.conftest import postgres_only, start_app


@postgres_only("the trace's database spans are asyncpg's")
async def test_a_request_is_one_trace_whose_id_is_the_request_id(
    settings_factory: Any, mock_state: Any
) -> None:
    exporter = InMemorySpanExporter()
    settings = settings_factory(otel_endpoint="http://127.0.0.1:1")
    # Spans at once, not in batches: the test reads them right after the request.
    assert tracing.install(settings, exporter=exporter, batch=False) is not None
    try:
        async for running in start_app(settings):
            exporter.clear()
            response = await running.client.post(
                "/graphql",
                json={"query": "{ services(first: 3) { nodes { name } } }"},
                headers={"x-request-id": "client-chosen-id-123"},
            )
            assert response.status_code == 200
            request_id = response.headers["x-request-id"]

            spans = exporter.get_finished_spans()
            server = [s for s in spans if s.kind.name == "SERVER"]
            assert len(server) == 1
            trace_id = format(server[0].context.trace_id, "032x")
            assert request_id == trace_id  # not the client's own id
            children = [s for s in spans if s.context.trace_id == server[0].context.trace_id]
            systems = {s.attributes.get("db.system") for s in children if s.attributes}
            assert "postgresql" in systems
            assert "redis" in systems
    finally:
        tracing.uninstall()


async def test_no_endpoint_no_tracing(settings: Any) -> None:
    assert tracing.install(settings) is None
    assert tracing.tracing_middleware(settings) == []
