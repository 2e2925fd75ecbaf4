"""`create_app(settings)`: the ASGI application and its lifespan."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import os
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from importlib.resources import files
from pathlib import Path
from typing import Any

import orjson
import strawberry
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import Route, WebSocketRoute
from starlette.types import ASGIApp, Message
from starlette_compress import CompressMiddleware, add_compress_type

from api.courier import COURIER_WEBHOOK_PATH, courier_webhook
from api.dev_clock import DevClock, dev_clock_routes
from api.exchange import CALLBACK_PATH, callbacks
from api.graphql import GRAPHQL_RESPONSE_JSON, CachedAnswers, GraphQLEndpoint
from api.health import healthz, readyz
from api.limits import FairShare, ShedThrottled, install_meter
from api.logging import quiet_chatty_libraries
from api.metrics import MetricsEndpoint, flush_every_second
from api.middleware import ClientAddress, Cors, Interruptions, Observed
from api.open311 import ROUTES as OPEN311_ROUTES
from api.outbox import dispatcher
from api.payments import notify, notify_paths
from api.preparation import allow_list, load_registered
from api.providers import ROUTES as PROVIDER_API_ROUTES
from api.resources import open_resources
from api.tracing import tracing_middleware
from api.uploads import download, upload
from api.wechat_push import WECHAT_PUSH_PATH, push
from resolvers.appeals import keywords as appeal_keywords
from resolvers.catalogue import service as catalogue_service
from resolvers.settings import Settings
from schema.root import PUBLIC_CATALOGUE_FIELDS, SchemaOptions, build_schema
from storage.database import database
from storage.objects import DOWNLOAD_PATH, UPLOAD_PATH
from storage.response_cache import COMPRESS_MIN_BYTES

# The mini-program's operations, their hashes and texts (`make schema` writes it from
# miniprogram-mock/).
PERSISTED_OPERATIONS = Path(str(files("schema").joinpath("persisted-operations.json")))
log = logging.getLogger(__name__)


# GraphQL over HTTP's own media type is JSON too (the middleware's list names plain JSON only).
add_compress_type(GRAPHQL_RESPONSE_JSON)


def schema_of(settings: Settings) -> strawberry.Schema:
    """The schema an app with these settings runs (built once per option set)."""
    return build_schema(
        SchemaOptions(
            max_operations=settings.max_operations_per_request,
            production=settings.is_production,
        )
    )


def create_app(settings: Settings) -> Starlette:
    # Whoever set up the logging (or nobody): SQL parameters and WeChat's URLs, which the
    # drivers and HTTP clients log at DEBUG, never reach it.
    quiet_chatty_libraries()
    schema = schema_of(settings)
    registered = load_registered(PERSISTED_OPERATIONS)
    fair_share = FairShare(settings)
    # Development only (production refuses the setting): a business clock to move forward.
    dev_clock = DevClock() if settings.test_clock else None
    graphql = GraphQLEndpoint(
        schema,
        settings,
        allow_list=allow_list(registered) if settings.persisted_queries_only else None,
        cacheable_fields=PUBLIC_CATALOGUE_FIELDS if settings.response_cache else frozenset(),
        fair_share=fair_share,
        registered=registered,
    )

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[dict[str, Any]]:
        # Each request's execution time is counted across the tasks it starts (fair share).
        uninstall_meter = install_meter(asyncio.get_running_loop())
        try:
            async with (
                database(settings.database_url, pool_max=settings.database_pool_max),
                open_resources(settings) as resources,
            ):
                if dev_clock is not None:
                    resources.clock = dev_clock.now
                app.state.resources = resources
                # Before the first request: uvicorn accepts connections only after this.
                await catalogue_service.warm(resources)
                # The appeals' keyword table: a no-op when a pre-forking parent loaded it.
                appeal_keywords.load()
                stop = asyncio.Event()
                runner = None
                if settings.outbox_in_process:
                    # Embedded mode (`make run`): no separate worker process sends the outbox.
                    runner = asyncio.create_task(dispatcher(resources).run_forever(stop))
                # Budget charges no next request came to settle (api/limits.py Ledger).
                settler = asyncio.create_task(
                    fair_share.ledger.settle_forever(resources.redis, stop)
                )
                # The request metrics' tallies, added to the process's metrics each second.
                flusher = asyncio.create_task(flush_every_second(stop))
                try:
                    yield {"resources": resources}
                finally:
                    stop.set()
                    with contextlib.suppress(asyncio.CancelledError):
                        await asyncio.wait_for(settler, timeout=10)
                    await flusher
                    if runner is not None:
                        with contextlib.suppress(asyncio.CancelledError):
                            await asyncio.wait_for(runner, timeout=10)
        finally:
            uninstall_meter()

    return Starlette(
        routes=[
            # First: nearly every request is for it, and the router tries each route in turn.
            Route("/graphql", graphql, methods=["GET", "POST"]),
            WebSocketRoute("/graphql", graphql),
            Route("/healthz", healthz, methods=["GET"]),
            Route("/readyz", readyz, methods=["GET"]),
            Route("/metrics", MetricsEndpoint(settings.metrics_bearer).respond, methods=["GET"]),
            # The local object store's S3 look-alike (404 when storage is S3/MinIO).
            Route(UPLOAD_PATH, upload, methods=["POST"]),
            Route(DOWNLOAD_PATH + "{token}", download, methods=["GET"]),
            # Department business systems' signed callbacks (the provincial exchange).
            Route(CALLBACK_PATH, callbacks, methods=["POST"]),
            # WeChat's message push: the image check's verdicts on appeal photos.
            Route(WECHAT_PUSH_PATH, push, methods=["GET", "POST"]),
            # The courier's signed status events of posted results.
            Route(COURIER_WEBHOOK_PATH, courier_webhook, methods=["POST"]),
            # WeChat Pay's payment and refund notifications.
            *(Route(path, notify, methods=["POST"]) for path in notify_paths(settings)),
            *PROVIDER_API_ROUTES,  # /provider-api/v1: providers' systems, by API key
            # Open311 GeoReport v2 for civic apps (appeals; public reads, keyed filing).
            *OPEN311_ROUTES,
            # Absent unless RONGBAN_TEST_CLOCK: then a 404 like any unknown path.
            *(dev_clock_routes(dev_clock) if dev_clock is not None else []),
        ],
        middleware=[
            *tracing_middleware(settings),
            # Every limit and log line below counts the real client's address.
            *(
                [Middleware(ClientAddress, proxies=settings.trusted_proxy_networks)]
                if settings.trusted_proxy_networks
                else []  # no proxy is trusted: the peer is the client, as the server says
            ),
            # The request's id, access line and metrics: everything below, refusals included.
            Middleware(Observed, operation_names=registered.keys()),
            # A principal this process saw THROTTLED is answered before anything is parsed.
            Middleware(ShedThrottled, fair_share=fair_share),
            # Anonymous requests answered before from the response cache: answered here.
            Middleware(CachedAnswers, endpoint=graphql),
            # Answers over 1 KB compressed for clients that accept it (cached answers above
            # carry their own compressed forms): brotli, else gzip.
            Middleware(
                CompressMiddleware,
                minimum_size=COMPRESS_MIN_BYTES,
                zstd=False,
                brotli_quality=5,
                gzip_level=6,
            ),
            Middleware(
                Cors,
                allow_origins=list(settings.allowed_origins),
                allow_methods=["GET", "POST"],
                allow_headers=["authorization", "content-type", "x-request-id"],
                max_age=600,
            ),
            # Innermost: a body too large is a 413, a lost database a 503 with Retry-After, a
            # client gone mid-request a 499 (each logged, counted and with CORS headers like
            # any answer), not a 500 with a traceback.
            Middleware(
                Interruptions,
                max_bytes=settings.max_body_bytes,
                exempt_paths=(UPLOAD_PATH, CALLBACK_PATH),
            ),
        ],
        lifespan=lifespan,
    )


def serving(app: Starlette) -> Starlette:
    """The app as a serving process runs it (not the tests' apps): once the lifespan has
    started, everything alive is moved out of the cyclic collector's generations. Those few
    hundred thousand objects (reference data, the search index, the dictionaries) live as
    long as the process, and a full collection over them took a quarter of a second: a pause
    that fell on whichever requests were running (the p99 of computed reads). Objects made
    later are collected as usual. Tests build many apps in one process and let them go, so
    they must not freeze them."""
    started = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(inner: Starlette) -> AsyncIterator[Any]:
        async with started(inner) as state:
            await _warm_up(inner, state)
            gc.collect()
            gc.freeze()
            log.info("ready: process %d serves", os.getpid())
            yield state

    app.router.lifespan_context = lifespan
    return app


# A keyword that finds services in any catalogue of government services.
WARM_UP_KEYWORD = "证"


async def _warm_up(app: Starlette, state: Mapping[str, Any] | None) -> None:
    """What a serving process asks itself once started, before it takes traffic: the
    mini-program's search, then the guide of the first service found, through the whole
    stack. A fresh process answered its first requests in twice the time of later ones (code
    run for the first time, caches and connections first used): these requests pay for that
    instead of a resident's. Logged like any request, with the request ids warm-up-1 and -2;
    a failure is only logged, since the process serves anyway."""
    operations = load_registered(PERSISTED_OPERATIONS)
    try:
        found = await ask_self(
            app,
            {
                "query": operations["SearchServices"],
                "operationName": "SearchServices",
                "variables": {"keyword": WARM_UP_KEYWORD, "first": 20},
            },
            state=state,
            request_id="warm-up-1",
        )
        nodes = ((found.get("data") or {}).get("services") or {}).get("nodes") or []
        if nodes:
            await ask_self(
                app,
                {
                    "query": operations["ServiceGuide"],
                    "operationName": "ServiceGuide",
                    "variables": {"code": nodes[0]["code"]},
                },
                state=state,
                request_id="warm-up-2",
            )
    except Exception:
        log.warning("warm-up requests failed", exc_info=True)


async def ask_self(
    app: ASGIApp, body: Any, *, request_id: str, state: Mapping[str, Any] | None = None
) -> Any:
    """The app's JSON answer to a GraphQL POST from this process itself, through the whole
    stack (without `state`, the app must bring its lifespan's state itself)."""
    raw = orjson.dumps(body)
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/graphql",
        "raw_path": b"/graphql",
        "query_string": b"",
        "root_path": "",
        "headers": [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(raw)).encode()),
            (b"x-request-id", request_id.encode()),
        ],
        "client": ("127.0.0.1", 0),
        "server": ("127.0.0.1", 0),
        "state": dict(state or {}),
    }
    pending = [{"type": "http.request", "body": raw, "more_body": False}]
    answer = bytearray()

    async def receive() -> Message:
        return pending.pop() if pending else {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        if message["type"] == "http.response.body":
            answer.extend(message.get("body", b""))

    await app(scope, receive, send)
    return orjson.loads(answer)
