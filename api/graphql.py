"""The GraphQL endpoint, a small pure-ASGI app of our own on strawberry's public API: GraphQL
over HTTP (media types, status codes, batches), auth, the response cache, cost budgets and
fair share; WebSockets go to api/websocket.py. Both prepare requests in api/preparation.py."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

import orjson
import strawberry
from graphql import GraphQLError, OperationType
from starlette.requests import ClientDisconnect, Request
from starlette.responses import HTMLResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from strawberry.http.ides import get_graphql_ide_html
from strawberry.types import ExecutionResult

from api.limits import FairShare, Meter, check_cost, door_key, metered
from api.metrics import note_cached_answer, note_operations, note_outcome, note_refusal
from api.preparation import (
    GraphQLRequest,
    InvalidDocument,
    Operation,
    Preparer,
    Refused,
    Transport,
    bad_request,
    rename,
    request_from,
    requests_from_body,
)
from api.principals import caller_of, principal_from_header
from api.results import actual_cost, cost_extension, format_errors
from api.websocket import GraphQLWebSocket
from resolvers.principal import ANONYMOUS, Principal
from resolvers.resources import Resources
from resolvers.settings import Settings
from schema.context import Context
from schema.error_codes import is_request_error
from schema.loaders import create_loaders
from schema.plans import Unplanned
from storage.response_cache import Answer

log = logging.getLogger(__name__)

GRAPHQL_RESPONSE_JSON = "application/graphql-response+json"
APPLICATION_JSON = "application/json"

# Cached catalogue answers are the same for every anonymous caller: a CDN or the app's own
# HTTP cache may keep them this long, and revalidate with the ETag (the catalogue version).
PUBLIC_MAX_AGE_SECONDS = 30
_PUBLIC = f"public, max-age={PUBLIC_MAX_AGE_SECONDS}".encode()
# What a cached answer depends on besides its URL: a signed-in request must never be
# answered from a shared cache's copy of an anonymous one, nor a web page (whose Origin CORS
# answers by name) from a copy made for a request without one. Said here as well as by
# api.middleware.Cors: CachedAnswers answers ahead of it.
_VARY = b"Accept, Accept-Encoding, Authorization, Origin"
# The scope key under which CachedAnswers leaves the raw request it could not answer, so
# that the endpoint can remember which cached answer that request is.
RAW_REQUEST = "rongban.raw_request"
# Raw requests remembered (and the largest remembered): clients send a few hundred shapes.
_KNOWN_REQUESTS = 4096
_KNOWN_MAX_BYTES = 8192


def negotiate(accept: str) -> str | None:
    """The response media type for an Accept header, or None when we offer nothing acceptable."""
    if not accept.strip():
        return APPLICATION_JSON  # legacy clients: GraphQL-over-HTTP says treat as JSON
    ranges = []
    for part in accept.split(","):
        media, *params = (piece.strip() for piece in part.split(";"))
        quality = 1.0
        for param in params:
            if param.startswith("q="):
                try:
                    quality = float(param[2:])
                except ValueError:
                    quality = 0.0
        if quality > 0:
            ranges.append((quality, media.lower()))
    for _, media in sorted(ranges, key=lambda item: -item[0]):
        if media == GRAPHQL_RESPONSE_JSON:
            return GRAPHQL_RESPONSE_JSON
        if media in (APPLICATION_JSON, "application/*", "*/*"):
            return APPLICATION_JSON
    return None


@dataclass(slots=True)
class _Outcome:
    body: dict[str, Any]
    actual: int = 1  # what the answer cost (see api/results.py actual_cost)
    data: bytes | None = None  # the data, encoded in the cache's own keys, when cacheable
    as_sent: bool = False  # `data` is also exactly what the client asked for (no aliases)
    seconds: float = 0.0  # how long the request's own code held the worker

    def encoded(self, extensions: bytes) -> bytes:
        if self.as_sent and self.data is not None:
            return b'{"data":' + self.data + b',"extensions":' + extensions + b"}"
        return orjson.dumps({**self.body, "extensions": orjson.Fragment(extensions)})


class GraphQLEndpoint:
    """`/graphql`: HTTP requests here, WebSocket connections handed to GraphQLWebSocket."""

    def __init__(
        self,
        schema: strawberry.Schema,
        settings: Settings,
        *,
        allow_list: frozenset[str] | None,
        cacheable_fields: frozenset[str],
        fair_share: FairShare,
        registered: Mapping[str, str] | None = None,
    ) -> None:
        self.schema = schema
        self.settings = settings
        self.preparer = Preparer(
            schema,
            settings,
            allow_list=allow_list,
            cacheable_fields=cacheable_fields,
            registered=registered,
        )
        self.fair_share = fair_share
        self.websocket = GraphQLWebSocket(self)
        self.ide = None if settings.is_production else get_graphql_ide_html("graphiql")
        # Raw anonymous requests (method, query string or body, Accept) known to be answered
        # from the response cache: their cache key and response media type.
        self.known: dict[tuple[bytes, bytes, bytes], tuple[str, bytes, str | None]] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            await self.websocket(scope, receive, send)
            return
        request = Request(scope, receive=receive)
        media_type = negotiate(request.headers.get("accept", ""))
        try:
            if (
                request.method == "GET"
                and "query" not in request.query_params
                and ("extensions" not in request.query_params)
            ):
                response = self._ide(media_type)
            else:
                if media_type is None:
                    raise Refused(
                        406,
                        "NOT_ACCEPTABLE",
                        f"请接受 {GRAPHQL_RESPONSE_JSON} 或 {APPLICATION_JSON}。",
                    )
                response = await self._handle(request, media_type)
        except Refused as refused:
            note_refusal(scope, refused.code)
            response = self._refusal(refused, media_type or APPLICATION_JSON)
        if "authorization" in request.headers:
            # A signed-in answer is the caller's own: no cache, shared or not, may keep it.
            response.headers["cache-control"] = "private, no-store"
        await response(scope, receive, send)

    def _ide(self, media_type: str | None) -> Response:
        if self.ide is not None:
            return HTMLResponse(self.ide)
        if media_type is None:
            return Response("Not Found", status_code=404, media_type="text/plain")
        raise bad_request("请求中没有 GraphQL 查询。")

    async def _handle(self, request: Request, media_type: str) -> Response:
        resources: Resources = request.state.resources
        principal = await self._principal(request)
        address = request.client.host if request.client else "unknown"
        caller = caller_of(principal, address)
        payloads, batched = await self._payloads(request)
        transport = Transport.GET if request.method == "GET" else Transport.POST
        try:
            operations = [
                await self.preparer.prepare(payload, caller, transport, resources.redis)
                for payload in payloads
            ]
        except InvalidDocument as invalid:
            note_refusal(request.scope, "GRAPHQL_VALIDATION_FAILED")
            errors = self.preparer.public_errors(invalid.errors)
            return self._json(
                {"errors": format_errors(errors, _request_id(request))},
                media_type,
                request_failed=True,
            )
        cost = sum(operation.cost for operation in operations)
        note_operations(request.scope, [_name(o) for o in operations], cost)
        check_cost(self.settings, cost, 400 if media_type == GRAPHQL_RESPONSE_JSON else 200)
        cache = resources.response_cache
        shared = operations[0] if not batched and operations[0].cache_key else None
        version = None
        if shared is not None:
            assert shared.cache_key is not None
            cached = await cache.get(shared.cache_key)
            if cached is not None:
                self._remember(request.scope, shared, media_type)
                return self._cached(cached, shared, media_type, request.scope)
            version = await cache.version()
        ledger = self.fair_share.ledger
        try:
            admitted = await ledger.admit(resources.redis_hot, caller)
        except Refused as refused:
            raise self.fair_share.throttled(refused, door_key(request.scope)) from None
        with self.fair_share.execution(caller):
            outcomes = [
                await self._execute(request, principal, address, operation, shared is not None)
                for operation in operations
            ]
        actual = sum(outcome.actual for outcome in outcomes)
        note_outcome(request.scope, actual, errors=any("errors" in o.body for o in outcomes))
        seconds = sum(outcome.seconds for outcome in outcomes)
        ledger.owe(caller, actual, seconds)  # sent with the caller's next admission
        budget = ledger.charged(admitted, actual, seconds)
        extension = orjson.dumps({"cost": cost_extension(cost, actual, budget, self.settings)})
        if shared is not None and outcomes[0].data is not None and version is not None:
            assert shared.cache_key is not None
            if await cache.put(shared.cache_key, outcomes[0].data, version) is not None:
                self._remember(request.scope, shared, media_type)
        if batched:
            encoded = b"[" + b",".join(o.encoded(extension) for o in outcomes) + b"]"
            return self._encoded(self._capped(encoded), media_type, 200)
        outcome = outcomes[0]
        return self._encoded(
            self._capped(outcome.encoded(extension)),
            media_type,
            400 if "data" not in outcome.body and media_type == GRAPHQL_RESPONSE_JSON else 200,
        )

    async def _principal(self, request: Request) -> Principal:
        header = request.headers.get("authorization")
        if not header:
            return ANONYMOUS
        found = await principal_from_header(request.state.resources, header)
        if found is None:
            raise Refused(
                401,
                "UNAUTHENTICATED",
                "登录状态已失效，请刷新登录。",
                headers={"www-authenticate": 'Bearer error="invalid_token"'},
            )
        return found

    async def _payloads(self, request: Request) -> tuple[list[GraphQLRequest], bool]:
        if request.method == "GET":
            return [self._from_query_string(request)], False
        content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if content_type != APPLICATION_JSON:
            raise Refused(415, "UNSUPPORTED_MEDIA_TYPE", "请使用 application/json 提交请求。")
        try:
            data = orjson.loads(await _body(request.receive))
        except orjson.JSONDecodeError:
            raise bad_request("请求体不是有效的 JSON。") from None
        return requests_from_body(data, self.settings.max_operations_per_request)

    @staticmethod
    def _from_query_string(request: Request) -> GraphQLRequest:
        params = dict(parse_qsl(request.scope.get("query_string", b"").decode("latin-1")))
        payload: dict[str, Any] = {}
        for name in ("query", "operationName"):
            if name in params:
                payload[name] = params[name]
        for name in ("variables", "extensions"):
            if name in params:
                try:
                    payload[name] = orjson.loads(params[name])
                except orjson.JSONDecodeError:
                    raise bad_request(f"{name} 不是有效的 JSON。", field=name) from None
        return request_from(payload)

    async def _execute(
        self,
        request: Request,
        principal: Principal,
        address: str,
        operation: Operation,
        cacheable: bool,
    ) -> _Outcome:
        resources: Resources = request.state.resources
        context = Context(
            request=request,
            response=None,
            principal=principal,
            loaders=create_loaders(resources.reference),
            resources=resources,
            request_id=_request_id(request),
            client_ip=address,
            document=operation.document.ast,
        )
        meter = Meter()
        plan = self.preparer.plan(operation)
        objects = None
        try:
            async with asyncio.timeout(self.settings.execution_timeout_seconds):
                result = None
                if plan is not None:
                    # What the plan cannot answer as the executor would, the executor
                    # answers from the start: planned reads change nothing.
                    with contextlib.suppress(Unplanned):
                        data, objects = await metered(plan.run(context, operation.variables), meter)
                        result = ExecutionResult(data=data, errors=None)
                if result is None:
                    result = await metered(
                        self.schema.execute(
                            operation.query,
                            variable_values=operation.variables,
                            context_value=context,
                            operation_name=operation.operation_name,
                        ),
                        meter,
                    )
        except TimeoutError:
            return _Outcome(
                {
                    "data": None,
                    "errors": [
                        {
                            "message": "请求处理超时，请缩小查询范围后重试。",
                            "extensions": {"code": "EXECUTION_TIMEOUT"},
                        }
                    ],
                },
                seconds=meter.seconds,
            )
        started = time.perf_counter()
        outcome = self._outcome(result, operation, context.request_id, cacheable, objects)
        outcome.seconds = meter.seconds + time.perf_counter() - started
        return outcome

    def _outcome(
        self,
        result: ExecutionResult,
        operation: Operation,
        request_id: str,
        cacheable: bool,
        objects: int | None = None,
    ) -> _Outcome:
        errors: list[GraphQLError] = list(result.errors or [])
        body: dict[str, Any] = {}
        if not (result.data is None and is_request_error(errors)):
            body["data"] = result.data
        mutations = (
            len(operation.info.root_fields) if operation.info.type is OperationType.MUTATION else 0
        )
        actual = actual_cost(result.data, mutations, objects)
        if errors:
            body["errors"] = format_errors(self.preparer.public_errors(errors), request_id)
            return _Outcome(body, actual)
        if not cacheable:
            return _Outcome(body, actual)
        shape = operation.info.shape
        assert shape is not None
        data = orjson.dumps(rename(result.data, shape.from_client))
        return _Outcome(body, actual, data, as_sent=shape.from_client is None)

    def _capped(self, encoded: bytes) -> bytes:
        """An answer past the size cap is replaced by an error: a page the client must ask
        for in smaller pieces, never megabytes down a mobile connection."""
        limit = self.settings.max_response_bytes
        if len(encoded) <= limit:
            return encoded
        return orjson.dumps(
            {
                "data": None,
                "errors": [
                    {
                        "message": f"结果过大（上限 {limit} 字节），请减少字段或分页大小。",
                        "extensions": {"code": "RESPONSE_TOO_LARGE", "maxBytes": limit},
                    }
                ],
            }
        )

    def _remember(self, scope: Scope, operation: Operation, media_type: str) -> None:
        """Lets CachedAnswers answer this exact request from now on without preparing it:
        it was anonymous, allowed, within the cost limit and is answered as cached (aliases
        renamed per client are left to this slower path)."""
        raw = scope.get(RAW_REQUEST)
        shape = operation.info.shape
        if raw is None or shape is None or shape.to_client is not None:
            return
        assert operation.cache_key is not None
        known = self.known
        if len(known) >= _KNOWN_REQUESTS:
            del known[next(iter(known))]
        known[raw] = (operation.cache_key, media_type.encode(), _name(operation))

    def _cached(
        self, answer: Answer, operation: Operation, media_type: str, scope: Scope
    ) -> Response:
        shape = operation.info.shape
        assert shape is not None
        headers = {"etag": answer.etag.decode(), "vary": _VARY.decode()}
        if _matches(_header(scope, b"if-none-match"), answer.etag):
            return Response(status_code=304, headers={"cache-control": _PUBLIC.decode(), **headers})
        data = answer.data
        if shape.to_client is not None:
            data = orjson.dumps(rename(orjson.loads(data), shape.to_client))
        response = self._encoded(b'{"data":' + data + b"}", media_type, 200)
        # Public catalogue answers: a shared cache (CDN) may keep them briefly too.
        response.headers["cache-control"] = _PUBLIC.decode()
        response.headers.update(headers)
        return response

    def _json(self, body: dict[str, Any], media_type: str, *, request_failed: bool) -> Response:
        # GraphQL over HTTP: with its own media type, a request that failed before
        # execution (no data at all) is a 400; legacy JSON clients always get 200.
        status = 400 if request_failed and media_type == GRAPHQL_RESPONSE_JSON else 200
        return self._encoded(orjson.dumps(body), media_type, status)

    @staticmethod
    def _encoded(body: bytes, media_type: str, status: int) -> Response:
        return Response(
            body,
            status_code=status,
            media_type=media_type,
            headers={"cache-control": "no-store"},
        )

    @staticmethod
    def _refusal(refused: Refused, media_type: str) -> Response:
        body = orjson.dumps({"errors": [refused.error()]})
        # Refusals before execution use the negotiated type only when they are GraphQL
        # results (200); HTTP-level ones (4xx, 5xx) are plain JSON every client can read.
        chosen = media_type if refused.status == 200 else APPLICATION_JSON
        if refused.status == 400 and refused.code in _RESULT_CODES:
            chosen = media_type
        return Response(
            body,
            status_code=refused.status,
            media_type=chosen,
            headers={"cache-control": "no-store", **refused.headers},
        )


def _header(scope: Scope, name: bytes) -> bytes | None:
    for key, value in scope["headers"]:
        if key == name:
            return bytes(value)
    return None


def _matches(if_none_match: bytes | None, etag: bytes) -> bool:
    """If-None-Match against our (weak) ETag, compared weakly as RFC 9110 says."""
    if if_none_match is None:
        return False
    if if_none_match.strip() == b"*":
        return True
    bare = etag.removeprefix(b"W/")
    return any(tag.strip().removeprefix(b"W/") == bare for tag in if_none_match.split(b","))


def preferred_encoding(accept_encoding: bytes) -> str | None:
    """The compression for an Accept-Encoding header: brotli, else gzip, else none (a
    coding with q=0 is refused)."""
    accepted = set()
    for part in accept_encoding.decode("latin-1").lower().split(","):
        coding, _, params = part.partition(";")
        quality = params.strip().removeprefix("q=").strip() if params else "1"
        try:
            if float(quality or "1") <= 0:
                continue
        except ValueError:
            continue
        accepted.add(coding.strip())
    if "br" in accepted:
        return "br"
    if "gzip" in accepted or "*" in accepted:
        return "gzip"
    return None


async def _body(receive: Receive) -> bytes:
    """The request's body, read from `receive` as `Request.body` reads it (a client gone
    before its end is ClientDisconnect), without the async generator it reads through: a
    noticeable share of a small request's cost."""
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] == "http.request":
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                return b"".join(chunks)
        elif message["type"] == "http.disconnect":
            raise ClientDisconnect


class CachedAnswers:
    """Pure-ASGI, in front of the GraphQL endpoint: answers an anonymous request that this
    process has answered from the response cache before, while the answer is still held in
    memory, with a few dictionary lookups: no parsing, validation, cost analysis, Redis or
    database. Anything else (a signed-in caller, a cross-origin request, which CORS answers, a
    request not seen before, an answer gone stale) goes on to the endpoint unchanged.

    What a hit still pays, and what it does not: it sits behind ShedThrottled, so a principal
    this process saw THROTTLED is refused before it is looked at; it holds no execution slot
    and charges neither of the caller's budgets, exactly as a hit in the endpoint never has
    (an answer from memory costs the worker about what refusing it would). The request was
    admitted when it was first prepared: the allow-list, the cost limit and the transport's
    rules depend only on what is in the remembered key (method, query string or body, Accept),
    and only anonymous requests are remembered."""

    def __init__(self, app: ASGIApp, endpoint: GraphQLEndpoint, path: str = "/graphql") -> None:
        self.app = app
        self.endpoint = endpoint
        self.path = path
        self.max_bytes = endpoint.settings.max_body_bytes
        self._media: dict[bytes, bytes | None] = {}
        self._encodings: dict[bytes, str | None] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != self.path:
            await self.app(scope, receive, send)
            return
        method = scope["method"]
        accept = accept_encoding = if_none_match = length = None
        for name, value in scope["headers"]:
            if name == b"authorization" or name == b"origin":
                await self.app(scope, receive, send)
                return
            if name == b"accept":
                accept = value
            elif name == b"accept-encoding":
                accept_encoding = value
            elif name == b"if-none-match":
                if_none_match = value
            elif name == b"content-length":
                length = value
        if method == "GET":
            raw = (b"GET", scope["query_string"], accept or b"")
        elif method == "POST" and length is not None and length.isdigit():
            if int(length) > min(self.max_bytes, _KNOWN_MAX_BYTES):
                await self.app(scope, receive, send)
                return
            body, first = await _read_body(receive, int(length))
            receive = _replayed(first, receive)
            if body is None:
                await self.app(scope, receive, send)
                return
            raw = (b"POST", body, accept or b"")
        else:
            await self.app(scope, receive, send)
            return
        known = self.endpoint.known.get(raw)
        answer = None
        if known is not None:
            resources = scope.get("state", {}).get("resources")
            if resources is not None:
                answer = resources.response_cache.local(known[0])
        if answer is None:
            if len(raw[1]) <= _KNOWN_MAX_BYTES:
                scope[RAW_REQUEST] = raw
            await self.app(scope, receive, send)
            return
        assert known is not None
        note_cached_answer(scope, known[2])
        headers = [
            (b"cache-control", _PUBLIC),
            (b"etag", answer.etag),
            (b"vary", _VARY),
        ]
        if if_none_match is not None and _matches(if_none_match, answer.etag):
            await send({"type": "http.response.start", "status": 304, "headers": headers})
            await send({"type": "http.response.body", "body": b""})
            return
        encoding = None
        if accept_encoding is not None:
            encoding = self._encodings.get(accept_encoding, "?")
            if encoding == "?":
                encoding = preferred_encoding(accept_encoding)
                if len(self._encodings) > 256:
                    self._encodings.clear()
                self._encodings[accept_encoding] = encoding
        body = answer.encoded(encoding)
        if body is not answer.body:
            headers.append((b"content-encoding", encoding.encode()))  # type: ignore[union-attr]
        headers.append((b"content-type", known[1]))
        headers.append((b"content-length", str(len(body)).encode()))
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})


async def _read_body(receive: Receive, length: int) -> tuple[bytes | None, Message]:
    """The whole body when it arrives in one message of the declared length (what clients
    send for a small JSON body), with that message to replay; else None."""
    message = await receive()
    if message["type"] != "http.request" or message.get("more_body", False):
        return None, message
    body = message.get("body", b"")
    return (body if len(body) == length else None), message


def _replayed(first: Message, receive: Receive) -> Receive:
    pending = [first]

    async def replay() -> Message:
        if pending:
            return pending.pop()
        return await receive()

    return replay


# Refusals that are GraphQL answers rather than transport failures.
_RESULT_CODES: Sequence[str] = ("QUERY_TOO_COSTLY",)


def _name(operation: Operation) -> str | None:
    """The operation's own name (the document's, also when the request names none)."""
    name = operation.info.node.name
    return name.value if name is not None else None


def _request_id(request: Request) -> str:
    return str(getattr(request.state, "request_id", "-"))
