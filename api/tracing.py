"""OpenTelemetry traces when RONGBAN_OTEL_ENDPOINT is set: a span per request (ASGI) with the
database (asyncpg), Redis and outgoing HTTP (httpx) calls inside it, exported over OTLP/HTTP.
The trace id is the request id: in the X-Request-ID header, the log lines and masked errors."""

from __future__ import annotations

from typing import Any

from opentelemetry import trace
from opentelemetry.instrumentation.asgi import OpenTelemetryMiddleware
from opentelemetry.instrumentation.asyncpg import AsyncPGInstrumentor
from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor
from opentelemetry.instrumentation.redis import RedisInstrumentor
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor, SpanExporter
from starlette.middleware import Middleware
from starlette.types import ASGIApp, Receive, Scope, Send

from api.logging import loggable_target
from resolvers.settings import Settings

_provider: TracerProvider | None = None


def install(
    settings: Settings, exporter: SpanExporter | None = None, *, batch: bool = True
) -> TracerProvider | None:
    """The process's tracer provider, made once (the instrumentation patches libraries
    process-wide): None when tracing is off."""
    global _provider
    if _provider is not None:
        return _provider
    if not settings.otel_endpoint:
        return None
    if exporter is None:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        exporter = OTLPSpanExporter(endpoint=settings.otel_endpoint.rstrip("/") + "/v1/traces")
    provider = TracerProvider(
        resource=Resource.create({"service.name": settings.otel_service_name})
    )
    # Batches off the request path; one at a time only where a test reads them at once.
    provider.add_span_processor(
        BatchSpanProcessor(exporter) if batch else SimpleSpanProcessor(exporter)
    )
    AsyncPGInstrumentor().instrument(tracer_provider=provider)  # type: ignore[no-untyped-call]
    RedisInstrumentor().instrument(tracer_provider=provider)
    HTTPXClientInstrumentor().instrument(tracer_provider=provider)
    _provider = provider
    return provider


def uninstall() -> None:
    """Undoes `install` (tests)."""
    global _provider
    if _provider is None:
        return
    AsyncPGInstrumentor().uninstrument()  # type: ignore[no-untyped-call]
    RedisInstrumentor().uninstrument()
    HTTPXClientInstrumentor().uninstrument()
    _provider.shutdown()
    _provider = None


class TraceRequestId:
    """Makes the request's trace id its request id: sits inside OpenTelemetry's middleware
    (a span is current) and before Observed, which keeps a sane X-Request-ID."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            context = trace.get_current_span().get_span_context()
            if context.is_valid:
                headers = [(k, v) for k, v in scope["headers"] if k != b"x-request-id"]
                headers.append((b"x-request-id", format(context.trace_id, "032x").encode()))
                scope["headers"] = headers
        await self.app(scope, receive, send)


def _redact_target(span: Any, scope: dict[str, Any]) -> None:
    """Span attributes carry the path and query as the access log writes them: bearer
    material (the /files/<token> token, signatures, codes) redacted."""
    if span is None or not span.is_recording():
        return
    target = loggable_target(
        scope.get("path", ""), scope.get("query_string", b"").decode("latin-1")
    )
    path, _, query = target.partition("?")
    span.set_attribute("http.target", target)
    span.set_attribute("url.path", path)
    span.set_attribute("url.query", query)
    span.set_attribute("http.url", target)
    span.set_attribute("url.full", target)


def tracing_middleware(settings: Settings) -> list[Middleware]:
    """The outermost middleware when tracing is on: the request's span, then its id."""
    provider = install(settings)
    if provider is None:
        return []
    return [
        Middleware(
            OpenTelemetryMiddleware,
            tracer_provider=provider,
            server_request_hook=_redact_target,
            # Paths and query strings may carry tokens (/files/<token>): spans get the route.
            exclude_spans=["receive", "send"],
        ),
        Middleware(TraceRequestId),
    ]
